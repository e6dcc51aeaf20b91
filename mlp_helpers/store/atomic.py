"""Replace a file atomically: write a temporary file beside it, then rename it over the old one, so a reader
(or a process killed halfway) sees the old file or the new one, never half of one."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; a failure leaves ``path`` as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(temporary, 0o644)                  # mkstemp makes it private; these files are for everyone
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
