"""Row blocks: a speed trick for elementwise work on large weight arrays, and nothing else.

An update such as ``v *= mu; v -= eta * g; W += v`` is several numpy operations, each one a full
pass over arrays of megabytes (W1 of a 3072-512 layer is 6 MB): every pass streams the arrays from
main memory again. Done one block of rows at a time, a block stays in the core's cache from the
first operation to the last, so the arrays travel from memory once. The numbers are the same:
every element gets exactly the same operations, in the same order.
"""
from __future__ import annotations

# Elements per block: 32,768 float32 = 128 KB per array, so the three or four arrays an update
# touches fit in a core's L2 cache together, while blocks stay few enough that numpy's per-call
# overhead (about a microsecond per operation) stays small next to the arithmetic.
BLOCK_ELEMENTS = 32_768


def row_blocks(array):
    """Index objects that cut ``array`` into blocks of whole rows (along axis 0), in order.

    Small arrays, 0-d ones and 1-d ones come back whole (one ``...``): blocking them would only add calls."""
    if array.ndim < 2 or array.size <= BLOCK_ELEMENTS:
        return [...]
    rows = max(1, BLOCK_ELEMENTS // (array.size // array.shape[0]))
    return [slice(start, start + rows) for start in range(0, array.shape[0], rows)]
