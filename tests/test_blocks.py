"""Row blocks (the cache-sized pieces the optimiser updates one at a time) cover every element once."""
import numpy as np
import pytest

from mlp_helpers.model.blocks import BLOCK_ELEMENTS, row_blocks


@pytest.mark.parametrize("shape", [(), (7,), (BLOCK_ELEMENTS + 1,), (3, 5), (3072, 128), (3072, 512), (1000, 77),
                                   (3, BLOCK_ELEMENTS + 5), (BLOCK_ELEMENTS * 2 + 1, 1), (4, 3, 5000)])
def test_row_blocks_cover_every_element_once_in_order(shape):
    array = np.zeros(shape, np.float32)
    counts = np.zeros(shape, np.int64)
    previous_end = 0
    for rows in row_blocks(array):
        block = array[rows]
        assert np.shares_memory(block, array)          # a view: an update through it changes the array
        counts[rows] += 1
        if isinstance(rows, slice):
            assert rows.start == previous_end          # whole rows, in order, no gap
            previous_end = min(rows.stop, shape[0])
            assert block.size <= max(BLOCK_ELEMENTS, array[0].size)
    assert (counts == 1).all()


def test_small_arrays_are_one_block():
    assert row_blocks(np.zeros((128, 10))) == [...]
    assert len(row_blocks(np.zeros((3072, 128)))) == 3072 * 128 // BLOCK_ELEMENTS
