"""Tests for mlp_helpers.data (the subpackage: cifar10, archive, batches, images, normalisation, dataset).

The fast tests build a tiny fake CIFAR-10 archive and serve it from a local HTTP server, so they need
no network. The real-data tests at the end run when CIFAR10_DIR names a copy (or data/ holds one):

    CIFAR10_DIR=/path/to/folder-with-cifar-10-batches-py pytest tests/test_data.py
"""
import errno
import functools
import hashlib
import http.server
import io
import json
import os
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from mlp_helpers import data, settings
from mlp_helpers.data import cifar10, dataset, fingerprint, normalisation

REAL_ENV = os.environ.get(data.ENV_VAR)  # read before any test changes the environment
N_PER_TRAIN_BATCH, N_TEST = 40, 40


# ---------------------------------------------------------------- fake CIFAR-10 files


class _Py2StylePickler(pickle._Pickler):
    """Writes bytes as Python 2 str opcodes, as the official files do (Python 3 would call _codecs.encode)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_bytes_as_py2_str(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_bytes_as_py2_str


def py2_pickle(obj, numpy_module="numpy.core.multiarray") -> bytes:
    """Protocol-2 pickle in the style of the official batches (numpy 1 names its reconstructor numpy.core)."""
    buffer = io.BytesIO()
    _Py2StylePickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue().replace(b"cnumpy._core.multiarray\n", f"c{numpy_module}\n".encode())


def fake_batch(n, seed):
    rng = np.random.default_rng(seed)
    return {b"batch_label": b"fake batch", b"labels": [int(v) for v in np.arange(n) % 10],
            b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            b"filenames": [b"img_%d.png" % i for i in range(n)]}


def batch_files():
    """{file name: batch dict} for a whole fake cifar-10-batches-py folder."""
    files = {f"data_batch_{i}": fake_batch(N_PER_TRAIN_BATCH, seed=i) for i in range(1, 6)}
    files["test_batch"] = fake_batch(N_TEST, seed=99)
    return files


def write_tar(path, files, extra_members=()):
    """Write a tar.gz holding cifar-10-batches-py/<name> for each {name: bytes}, plus raw TarInfo members."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"{data.BATCHES_FOLDER}/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for info, content in extra_members:
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return path


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    """The fake batches, their pickled bytes, and a good archive built from them."""
    batches = batch_files()
    pickled = {name: py2_pickle(batch) for name, batch in batches.items()}
    pickled["batches.meta"] = py2_pickle({b"label_names": [n.encode() for n in data.CLASS_NAMES]})
    archive = write_tar(tmp_path_factory.mktemp("archive") / data.ARCHIVE_NAME, pickled)
    return {"batches": batches, "pickled": pickled, "archive": archive, "md5": md5(archive)}


def write_folder(folder, pickled):
    folder.mkdir(parents=True)
    for name, content in pickled.items():
        (folder / name).write_bytes(content)
    return folder


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{data.ARCHIVE_NAME}"  # nothing listens there once the socket is closed


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1; returns (base url, folder it serves)."""
    root = tmp_path / "served"
    root.mkdir()

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=root))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def serve(server, monkeypatch, content: bytes, name=data.ARCHIVE_NAME, md5_hex=None):
    """Serve `content` and point cifar10.CIFAR10_URL / CIFAR10_MD5 (read by locate_cifar10) at it."""
    base, root = server
    (root / name).write_bytes(content)
    monkeypatch.setattr(cifar10, "CIFAR10_URL", f"{base}/{name}")
    monkeypatch.setattr(cifar10, "CIFAR10_MD5", md5_hex or hashlib.md5(content).hexdigest())


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "README.md").write_text("notes\n")
    return folder


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- download, extract, load


def test_download_extract_and_load(server, monkeypatch, fake, data_dir):
    serve(server, monkeypatch, fake["archive"].read_bytes())
    x_train, y_train, x_test, y_test = data.load_raw_cifar10(data_dir)
    train = [fake["batches"][f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(x_train, np.concatenate([b[b"data"] for b in train]))
    np.testing.assert_array_equal(y_train, np.concatenate([b[b"labels"] for b in train]))
    np.testing.assert_array_equal(x_test, fake["batches"]["test_batch"][b"data"])
    assert x_train.shape == (5 * N_PER_TRAIN_BATCH, 3072) and x_test.shape == (N_TEST, 3072)
    assert (x_train.dtype, y_train.dtype) == (np.uint8, np.int64) and x_train.flags.c_contiguous
    assert listing(data_dir) == sorted(["README.md", data.ARCHIVE_NAME, data.BATCHES_FOLDER])  # no temp files left

    monkeypatch.setattr(cifar10, "CIFAR10_URL", closed_port_url())  # the second time needs no network
    assert data.locate_cifar10(data_dir) == data_dir / data.BATCHES_FOLDER


def test_loaded_arrays_are_cached_and_read_only(server, monkeypatch, fake, data_dir):
    serve(server, monkeypatch, fake["archive"].read_bytes())
    first = data.load_raw_cifar10(data_dir)
    second = data.load_raw_cifar10(data_dir)
    assert all(a is b for a, b in zip(first, second))
    for array in first:
        assert not array.flags.writeable
    with pytest.raises(ValueError):
        first[0][0, 0] = 1


def test_load_raw_cifar10_is_a_named_tuple_and_its_cache_can_be_cleared(fake, tmp_path):
    folder = write_folder(tmp_path / data.BATCHES_FOLDER, fake["pickled"])
    raw = data.load_raw_cifar10(tmp_path)
    assert isinstance(raw, data.RawCifar10) and raw._fields == ("x_train", "y_train", "x_test", "y_test")
    np.testing.assert_array_equal(raw.y_test, fake["batches"]["test_batch"][b"labels"])
    assert data.load_raw_cifar10(folder).x_train is raw.x_train  # the batches folder itself works too
    data.load_raw_cifar10.cache_clear()
    again = data.load_raw_cifar10(tmp_path)
    assert again.x_train is not raw.x_train
    np.testing.assert_array_equal(again.x_train, raw.x_train)


def test_download_creates_missing_data_dir(server, monkeypatch, fake, tmp_path):
    serve(server, monkeypatch, fake["archive"].read_bytes())
    archive = data.download_cifar10(tmp_path / "new" / "dir", url=cifar10.CIFAR10_URL, md5=cifar10.CIFAR10_MD5,
                                    progress=False)
    assert archive == tmp_path / "new" / "dir" / data.ARCHIVE_NAME and md5(archive) == fake["md5"]


def test_archive_already_in_data_dir_is_used_without_download(monkeypatch, fake, data_dir):
    (data_dir / data.ARCHIVE_NAME).write_bytes(fake["archive"].read_bytes())
    monkeypatch.setattr(cifar10, "CIFAR10_URL", closed_port_url())
    monkeypatch.setattr(cifar10, "CIFAR10_MD5", fake["md5"])
    assert data.load_raw_cifar10(data_dir, download=False)[0].shape == (5 * N_PER_TRAIN_BATCH, 3072)


def test_archive_in_data_dir_with_wrong_md5_is_reported_not_replaced(monkeypatch, data_dir):
    (data_dir / data.ARCHIVE_NAME).write_bytes(b"half a download")
    with pytest.raises(data.DataError, match="md5.*Delete it"):
        data.locate_cifar10(data_dir)
    assert (data_dir / data.ARCHIVE_NAME).read_bytes() == b"half a download"


def test_wrong_checksum_leaves_nothing_behind(server, monkeypatch, fake, data_dir):
    serve(server, monkeypatch, fake["archive"].read_bytes(), md5_hex="0" * 32)
    with pytest.raises(data.DataError, match=r"md5.*Run again.*cifar-10-python.tar.gz.*CIFAR10_DIR"):
        data.locate_cifar10(data_dir)
    assert listing(data_dir) == ["README.md"]


def test_truncated_archive(server, monkeypatch, fake, data_dir):
    content = fake["archive"].read_bytes()
    # The md5 is patched to the truncated file's, so the download succeeds and extraction must notice.
    serve(server, monkeypatch, content[: len(content) // 2])
    with pytest.raises(data.DataError, match="damaged"):
        data.locate_cifar10(data_dir)
    assert listing(data_dir) == ["README.md", data.ARCHIVE_NAME]  # no half-extracted or temp folders


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_corrupted_archive(where, fake, data_dir):
    content = bytearray(fake["archive"].read_bytes())
    content[int(len(content) * where)] ^= 0xFF
    archive = data_dir / data.ARCHIVE_NAME
    archive.write_bytes(bytes(content))
    with pytest.raises(data.DataError, match="damaged"):
        data.extract_archive(archive, data_dir)
    assert listing(data_dir) == ["README.md", data.ARCHIVE_NAME]


def test_archive_without_the_batches(fake, data_dir):
    archive = write_tar(data_dir / data.ARCHIVE_NAME, {"data_batch_1": fake["pickled"]["data_batch_1"]})
    with pytest.raises(data.DataError, match="data_batch_2"):
        data.extract_archive(archive, data_dir)
    assert listing(data_dir) == ["README.md", data.ARCHIVE_NAME]


def test_server_404(server, monkeypatch, data_dir):
    base, _ = server
    monkeypatch.setattr(cifar10, "CIFAR10_URL", f"{base}/missing.tar.gz")
    with pytest.raises(data.DataError, match="404"):
        data.locate_cifar10(data_dir)
    assert listing(data_dir) == ["README.md"]


def test_unreachable_server_explains_the_alternatives(monkeypatch, data_dir):
    monkeypatch.setattr(cifar10, "CIFAR10_URL", closed_port_url())
    with pytest.raises(data.DataError) as info:
        data.locate_cifar10(data_dir)
    message = str(info.value)
    assert "could not reach" in message and "CIFAR10_DIR" in message
    assert str(data_dir / data.ARCHIVE_NAME) in message
    assert listing(data_dir) == ["README.md"]


def test_no_copy_and_download_false(data_dir):
    with pytest.raises(data.DataError, match="download=False.*CIFAR10_DIR"):
        data.locate_cifar10(data_dir, download=False)


class _FailingResponse:
    """Stands in for an HTTP response whose second read fails."""

    def __init__(self, error):
        self.error, self.reads, self.headers = error, 0, {"Content-Length": "2000000"}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, size):
        self.reads += 1
        if self.reads > 1:
            raise self.error
        return b"x" * 1000


@pytest.mark.parametrize("error, words", [
    (KeyboardInterrupt(), "interrupted"),
    (TimeoutError("timed out"), "timed out"),
    (OSError(28, "No space left on device"), "No space left"),
])
def test_interrupted_download_removes_the_partial_file(monkeypatch, data_dir, error, words):
    monkeypatch.setattr(urllib.request, "urlopen", lambda *args, **kwargs: _FailingResponse(error))
    with pytest.raises(data.DataError, match=words):
        data.download_cifar10(data_dir, progress=False)
    assert listing(data_dir) == ["README.md"]


def test_incomplete_batches_folder(fake, data_dir):
    folder = write_folder(data_dir / data.BATCHES_FOLDER, {"data_batch_1": fake["pickled"]["data_batch_1"]})
    with pytest.raises(data.DataError, match="incomplete.*data_batch_2"):
        data.locate_cifar10(data_dir)
    assert listing(folder) == ["data_batch_1"]


# ---------------------------------------------------------------- the real cause of a failure ---------


def _os_error(code):
    return OSError(code, os.strerror(code))


def _fail_while_writing(code):
    """Stands in for tarfile's copy of a member's bytes: writes a little, then the disk refuses."""
    def copy(src, dst, length=None, exception=OSError, bufsize=None):
        dst.write(src.read(100))
        raise _os_error(code)
    return copy


def _fail(code):
    def call(*args, **kwargs):
        raise _os_error(code)
    return call


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "disk is full"), (errno.EDQUOT, "disk is full"),
    (errno.EACCES, "permission was denied"), (errno.EPERM, "permission was denied"),
    (errno.EROFS, "read-only"),
])
@pytest.mark.parametrize("where", ["writing a member", "making the staging folder"])
def test_extraction_failure_names_the_real_cause_and_keeps_the_archive(code, words, where, monkeypatch, fake,
                                                                       data_dir):
    archive = data_dir / data.ARCHIVE_NAME
    archive.write_bytes(fake["archive"].read_bytes())
    if where == "writing a member":
        monkeypatch.setattr(tarfile, "copyfileobj", _fail_while_writing(code))
    else:
        monkeypatch.setattr(tempfile, "mkdtemp", _fail(code))
    with pytest.raises(data.DataError, match=words) as info:
        data.extract_archive(archive, data_dir)
    message = str(info.value)
    assert "keep it" in message and os.strerror(code) in message
    assert "damaged" not in message and "Delete" not in message and "download a fresh" not in message
    assert listing(data_dir) == ["README.md", data.ARCHIVE_NAME]  # no half-extracted or staging folder
    assert md5(archive) == fake["md5"]


def test_disk_full_after_a_download_keeps_the_download_for_the_next_run(server, monkeypatch, fake, data_dir):
    serve(server, monkeypatch, fake["archive"].read_bytes())
    with monkeypatch.context() as patch:
        patch.setattr(tarfile, "copyfileobj", _fail_while_writing(errno.ENOSPC))
        with pytest.raises(data.DataError, match=r"disk is full.*Free about \d+ MB"):
            data.locate_cifar10(data_dir)
    assert listing(data_dir) == ["README.md", data.ARCHIVE_NAME]
    monkeypatch.setattr(cifar10, "CIFAR10_URL", closed_port_url())  # space freed: no second download needed
    assert data.locate_cifar10(data_dir) == data_dir / data.BATCHES_FOLDER


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "disk is full"), (errno.EACCES, "permission was denied"),
                                         (errno.EROFS, "read-only")])
@pytest.mark.parametrize("where", ["writing", "creating the file"])
def test_download_failure_that_is_not_the_network_says_so(code, words, where, monkeypatch, data_dir):
    if where == "writing":
        monkeypatch.setattr(urllib.request, "urlopen", lambda *args, **kwargs: _FailingResponse(_os_error(code)))
    else:
        monkeypatch.setattr(tempfile, "mkstemp", _fail(code))
    with pytest.raises(data.DataError, match=words) as info:
        data.download_cifar10(data_dir, progress=False)
    assert "connection" not in str(info.value) and str(data_dir) in str(info.value)
    assert listing(data_dir) == ["README.md"]


def test_network_failure_is_still_a_network_failure(monkeypatch, data_dir):
    monkeypatch.setattr(urllib.request, "urlopen", lambda *args, **kwargs: _FailingResponse(ConnectionResetError(
        errno.ECONNRESET, "Connection reset by peer")))
    with pytest.raises(data.DataError, match="Downloading.*Connection reset.*Check your connection"):
        data.download_cifar10(data_dir, progress=False)


def _corrupt_copy(tmp_path, fake, name="data_batch_2"):
    folder = write_folder(tmp_path / "shared" / data.BATCHES_FOLDER, fake["pickled"])
    (folder / name).write_bytes(b"not a pickle")
    return folder


@pytest.mark.parametrize("point_at", ["parent", "batches folder"])
def test_bad_batch_in_a_cifar10_dir_copy_is_never_to_be_deleted(point_at, monkeypatch, fake, tmp_path):
    folder = _corrupt_copy(tmp_path, fake)
    monkeypatch.setenv(data.ENV_VAR, str(folder.parent if point_at == "parent" else folder))
    with pytest.raises(data.DataError, match="data_batch_2") as info:
        data.load_raw_cifar10(tmp_path / "unused")
    message = str(info.value)
    assert "CIFAR10_DIR" in message and "repair or replace that copy" in message and "point CIFAR10_DIR" in message
    assert "Delete" not in message and "delete" not in message
    (folder / "data_batch_2").write_bytes(pickle.dumps({b"data": _RunsCode(eval, "1"), b"labels": [0]}, protocol=2))
    with pytest.raises(data.DataError, match="refusing") as info:
        data.read_batch(folder / "data_batch_2")
    assert "CIFAR10_DIR" in str(info.value) and "elete" not in str(info.value)


def test_bad_batch_in_our_own_extracted_folder_may_be_deleted(fake, tmp_path):
    folder = _corrupt_copy(tmp_path, fake)  # CIFAR10_DIR unset: this is data_dir's extracted folder
    with pytest.raises(data.DataError, match=f"Delete {folder}"):
        data.load_raw_cifar10(folder.parent)


def _age(path, seconds):
    """Set the modification time of `path` and everything in it to `seconds` ago."""
    then = time.time() - seconds
    for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.utime(item, (then, then))


@pytest.mark.parametrize("step", ["download", "extraction"])
def test_leftovers_of_a_killed_process_are_removed_on_the_next_run(step, server, monkeypatch, fake, data_dir):
    stale_part = data_dir / ".cifar-10-download-killed.part"
    stale_part.write_bytes(b"x" * 1000)
    stale_staging = data_dir / ".cifar-10-extract-killed"
    (stale_staging / data.BATCHES_FOLDER).mkdir(parents=True)
    (stale_staging / data.BATCHES_FOLDER / "data_batch_1").write_bytes(b"half")
    live_part, live_staging = data_dir / ".cifar-10-download-live.part", data_dir / ".cifar-10-extract-live"
    live_part.write_bytes(b"y")  # another process, still at work
    live_staging.mkdir()
    unrelated = data_dir / "notes.part"
    unrelated.write_bytes(b"mine")
    for path in (stale_part, stale_staging, unrelated):
        _age(path, 11 * 60)
    _age(live_staging, 9 * 60)  # idle for less than 10 minutes: may still be alive
    if step == "download":
        serve(server, monkeypatch, fake["archive"].read_bytes())
        data.download_cifar10(data_dir, url=cifar10.CIFAR10_URL, md5=cifar10.CIFAR10_MD5, progress=False)
    else:
        data.extract_archive(write_tar(data_dir / data.ARCHIVE_NAME, fake["pickled"]), data_dir)
    assert not stale_part.exists() and not stale_staging.exists()
    assert live_part.exists() and live_staging.exists() and unrelated.exists()


def test_a_second_process_that_finishes_extracting_first_is_fine(monkeypatch, fake, data_dir):
    archive = write_tar(data_dir / data.ARCHIVE_NAME, fake["pickled"])
    real_replace = os.replace

    def other_process_wins(src, dst):
        if Path(dst).name == data.BATCHES_FOLDER:
            write_folder(Path(dst), fake["pickled"])  # the other process's complete copy lands first
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", other_process_wins)
    assert data.extract_archive(archive, data_dir) == data_dir / data.BATCHES_FOLDER
    assert listing(data_dir) == sorted(["README.md", data.ARCHIVE_NAME, data.BATCHES_FOLDER])  # no staging left


# ---------------------------------------------------------------- data_fingerprint


def _layout_like_a_batch(folder, seed=0):
    """Six files laid out like real batches: a label list first, pixels in the middle, file names last."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for name in data.BATCH_FILES:
        labels, pixels, names = (rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (20_000, 600_000, 30_000))
        (folder / name).write_bytes(labels + pixels + names)
    return folder


def test_fingerprint_tells_copies_apart_by_their_pixels(tmp_path):
    original = _layout_like_a_batch(tmp_path / "a" / data.BATCHES_FOLDER)
    same = tmp_path / "b" / data.BATCHES_FOLDER
    same.parent.mkdir()
    shutil.copytree(original, same)
    _age(same / "test_batch", 3600)  # a copy made at another time is still the same copy
    print_a = data.data_fingerprint(original)
    assert len(print_a) == 16 and int(print_a, 16) >= 0
    assert data.data_fingerprint(same) == print_a == data.data_fingerprint(original.parent)
    noisy = tmp_path / "c"
    shutil.copytree(original, noisy)
    content = bytearray((noisy / "data_batch_3").read_bytes())
    for i in range(20_000, 620_000):  # only the pixels change: same size, same start, same end
        content[i] ^= 1
    (noisy / "data_batch_3").write_bytes(bytes(content))
    assert data.data_fingerprint(noisy) != print_a
    with pytest.raises(data.DataError, match="no copy to fingerprint"):
        data.data_fingerprint(tmp_path)


def _official_like_copy(folder, rows=None):
    """Six pickled batches in the official format; `rows` {file name: images} overrides the tiny default."""
    rows = rows or {}
    pickled = {name: py2_pickle(fake_batch(rows.get(name, N_PER_TRAIN_BATCH), seed=k))
               for k, name in enumerate(data.BATCH_FILES)}
    pickled["batches.meta"] = py2_pickle({b"label_names": [n.encode() for n in data.CLASS_NAMES]})
    return write_folder(folder, pickled)


def _sampled_windows(size, windows=16, width=8192):
    """Byte ranges a sampling fingerprint would read: `windows` evenly spaced ones of `width` bytes."""
    last = max(size - width, 0)
    return [(k * last // (windows - 1), k * last // (windows - 1) + width) for k in range(windows)]


def test_every_pixel_byte_counts_even_outside_sampled_windows(tmp_path):
    original = _official_like_copy(tmp_path / "a" / data.BATCHES_FOLDER, rows={"data_batch_3": 2000})
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    content = bytearray((copy / "data_batch_3").read_bytes())
    pixels = _raw_batch(original / "data_batch_3")[b"data"].tobytes()
    start = bytes(content).find(pixels)
    assert start > 0
    sampled = np.zeros(len(content), bool)
    for a, b in _sampled_windows(len(content)):
        sampled[a:b] = True
    changed = 0
    for i in range(start, start + len(pixels)):       # +-1 on every pixel byte no window covers
        if not sampled[i]:
            content[i] += 1 if content[i] < 255 else -1
            changed += 1
    assert changed > 0.9 * len(pixels)
    (copy / "data_batch_3").write_bytes(bytes(content))
    assert data.data_fingerprint(copy) != data.data_fingerprint(original)


def test_relabelled_images_make_another_copy(tmp_path):
    original = _official_like_copy(tmp_path / "a" / data.BATCHES_FOLDER, rows={"data_batch_1": 5000})
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    batch = _raw_batch(original / "data_batch_1")
    labels = batch[b"labels"]
    batch[b"labels"] = labels[:4200] + [(label + 1) % 10 for label in labels[4200:]]  # 800 images relabelled
    (copy / "data_batch_1").write_bytes(py2_pickle(batch))
    assert (copy / "data_batch_1").stat().st_size == (original / "data_batch_1").stat().st_size
    assert data.data_fingerprint(copy) != data.data_fingerprint(original)
    np.testing.assert_array_equal(data.load_raw_cifar10(copy).x_train, data.load_raw_cifar10(original).x_train)


def test_batches_meta_counts_too(tmp_path):
    original = _official_like_copy(tmp_path / "a" / data.BATCHES_FOLDER)
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    (copy / "batches.meta").write_bytes(py2_pickle({b"label_names": [b"cat"] * 10}))
    assert data.data_fingerprint(copy) != data.data_fingerprint(original)


@pytest.fixture
def hashing(monkeypatch):
    """The names of the files whose bytes data_fingerprint reads from now on."""
    read, real = [], fingerprint._sha256_of
    monkeypatch.setattr(fingerprint, "_sha256_of", lambda path: read.append(path.name) or real(path))
    data.data_fingerprint.cache_clear()
    return read


def test_hashes_are_remembered_in_the_process_and_beside_the_data(tmp_path, hashing):
    folder = _official_like_copy(tmp_path / data.BATCHES_FOLDER)
    first = data.data_fingerprint(folder)
    assert sorted(hashing) == sorted([*data.BATCH_FILES, "batches.meta"])
    assert data.data_fingerprint(tmp_path) == first and len(hashing) == 7       # this process remembers
    data.data_fingerprint.cache_clear()                                          # as a new process would
    assert data.data_fingerprint(folder) == first and len(hashing) == 7          # the memo beside the data
    memo = json.loads((folder / fingerprint.MEMO_NAME).read_text())
    assert sorted(memo["files"]) == sorted([*data.BATCH_FILES, "batches.meta"])
    assert listing(folder) == sorted([*data.BATCH_FILES, "batches.meta", fingerprint.MEMO_NAME])  # no .part left


def test_a_remembered_hash_is_used_only_for_the_same_file_unchanged(tmp_path, hashing):
    folder = _official_like_copy(tmp_path / "a" / data.BATCHES_FOLDER)
    first = data.data_fingerprint(folder)
    hashing.clear()
    _age(folder / "data_batch_2", 60)                       # touched: hashed again, same content
    assert data.data_fingerprint(folder) == first and hashing == ["data_batch_2"]
    hashing.clear()
    copy = tmp_path / "b"
    shutil.copytree(folder, copy)                           # same sizes, times and memo; other paths and inodes
    assert data.data_fingerprint(copy) == first and len(hashing) == 7
    hashing.clear()
    path = copy / "data_batch_4"
    before = path.stat()
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 1
    with open(path, "r+b") as f:                            # edited in place, its size and mtime put back
        f.write(content)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_ino) == (before.st_size, before.st_ino)
    data.data_fingerprint.cache_clear()
    assert data.data_fingerprint(copy) != first and hashing == ["data_batch_4"]


def test_a_damaged_memo_is_ignored_and_rewritten(tmp_path, hashing):
    folder = _official_like_copy(tmp_path / data.BATCHES_FOLDER)
    first = data.data_fingerprint(folder)
    (folder / fingerprint.MEMO_NAME).write_text('{"version": 1, "files": {"data_batch_1": [')
    data.data_fingerprint.cache_clear()
    hashing.clear()
    assert data.data_fingerprint(folder) == first and len(hashing) == 7
    assert json.loads((folder / fingerprint.MEMO_NAME).read_text())["version"] == 1


@pytest.mark.parametrize("why", ["named by CIFAR10_DIR", "read-only"])
def test_no_memo_is_written_where_the_loader_only_reads(why, monkeypatch, tmp_path, hashing):
    folder = _official_like_copy(tmp_path / data.BATCHES_FOLDER)
    if why == "read-only":
        folder.chmod(0o555)
    else:
        monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    try:
        first = data.data_fingerprint(folder)
        assert data.data_fingerprint(folder) == first and len(hashing) == 7      # remembered in the process
        assert fingerprint.MEMO_NAME not in listing(folder)
    finally:
        folder.chmod(0o755)


# ---------------------------------------------------------------- a second, perturbed copy ---------

PERTURB_SCRIPT = Path(__file__).with_name("make_perturbed_cifar.py")


def _raw_batch(path):
    """The batch dict exactly as pickled (test-built files only: pickle.load is unsafe on others)."""
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


def test_perturbed_copy_script(monkeypatch, fake, tmp_path):
    source = write_folder(tmp_path / "source" / data.BATCHES_FOLDER, fake["pickled"])
    copies = [tmp_path / "copy", tmp_path / "again"]
    for dest in copies:
        done = subprocess.run([sys.executable, str(PERTURB_SCRIPT), str(source.parent), str(dest)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    copy = copies[0] / data.BATCHES_FOLDER
    assert listing(copies[0]) == [data.BATCHES_FOLDER]  # nothing else, no staging folder left
    assert listing(copy) == sorted(fake["pickled"])
    for name in data.BATCH_FILES:  # the official format: same keys, labels, file names; pixels moved a little
        before, after = _raw_batch(source / name), _raw_batch(copy / name)
        assert list(after) == list(before) == [b"batch_label", b"labels", b"data", b"filenames"]
        assert after[b"labels"] == before[b"labels"] and after[b"filenames"] == before[b"filenames"]
        change = after[b"data"].astype(np.int16) - before[b"data"]
        assert np.abs(change).max() <= 3 and np.count_nonzero(change) > 0.9 * change.size
        assert (copy / name).read_bytes() == (copies[1] / data.BATCHES_FOLDER / name).read_bytes()  # seeded
    assert (copy / "batches.meta").read_bytes() == (source / "batches.meta").read_bytes()
    monkeypatch.setenv(data.ENV_VAR, str(copies[0]))
    raw = data.load_raw_cifar10()
    monkeypatch.delenv(data.ENV_VAR)
    original = data.load_raw_cifar10(source.parent)
    np.testing.assert_array_equal(raw.y_train, original.y_train)
    np.testing.assert_array_equal(raw.y_test, original.y_test)
    assert not np.array_equal(raw.x_train, original.x_train) and not np.array_equal(raw.x_test, original.x_test)
    assert data.data_fingerprint(copy) != data.data_fingerprint(source)
    again = subprocess.run([sys.executable, str(PERTURB_SCRIPT), str(source), str(copies[0])],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode != 0 and "already exists" in again.stderr  # never overwrites a copy


# ---------------------------------------------------------------- hostile archives


def _member(name, kind=tarfile.REGTYPE, linkname="", content=b"pwned"):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    info.size = len(content) if kind == tarfile.REGTYPE else 0
    return info, content if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "hardlink", "fifo", "device"])
def test_hostile_archive_is_refused(kind, fake, tmp_path, data_dir):
    outside = tmp_path / "evil"
    member = {
        "dotdot": _member(f"{data.BATCHES_FOLDER}/../../evil"),
        "absolute": _member(str(outside)),
        "symlink": _member(f"{data.BATCHES_FOLDER}/link", tarfile.SYMTYPE, str(outside)),
        "hardlink": _member(f"{data.BATCHES_FOLDER}/link", tarfile.LNKTYPE, "../../evil"),
        "fifo": _member(f"{data.BATCHES_FOLDER}/pipe", tarfile.FIFOTYPE),
        "device": _member(f"{data.BATCHES_FOLDER}/dev", tarfile.CHRTYPE),
    }[kind]
    archive = write_tar(tmp_path / "hostile.tar.gz", fake["pickled"], [member])
    with pytest.raises(data.DataError, match="refusing to extract"):
        data.extract_archive(archive, data_dir)
    assert not outside.exists()
    assert listing(data_dir) == ["README.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "hostile.tar.gz"]


# ---------------------------------------------------------------- reading batch files


class _RunsCode:
    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return self.func, (self.arg,)


@pytest.mark.parametrize("func", [os.system, eval])
def test_pickle_that_imports_code_is_refused(func, tmp_path):
    marker = tmp_path / "ran"
    arg = f"touch {marker}" if func is os.system else f"open({str(marker)!r}, 'w')"
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": _RunsCode(func, arg), b"labels": [0]}, protocol=2))
    with pytest.raises(data.DataError, match=r"tries to import \w+\.\w+; refusing"):
        data.read_batch(path)
    assert not marker.exists()


def _bad(**changes):
    batch = fake_batch(10, seed=0)
    for key, value in changes.items():
        if value is None:
            del batch[key.encode()]
        else:
            batch[key.encode()] = value
    return py2_pickle(batch)


@pytest.mark.parametrize("content, words", [
    (_bad(data=np.zeros((10, 3072), np.float32)), "uint8"),
    (_bad(data=np.zeros((10, 3071), np.uint8)), "shape"),
    (_bad(data=np.zeros(3072 * 10 + 1, np.uint8)), "shape"),
    (_bad(data=np.zeros((0, 3072), np.uint8), labels=[]), "shape"),
    (_bad(labels=[10] * 10), "0..9"),
    (_bad(labels=[-1] * 10), "0..9"),
    (_bad(labels=[0] * 9), "labels"),
    (_bad(labels=[b"cat"] * 10), "labels"),
    (_bad(labels=[[0], [1, 2]] * 5), "labels"),
    (_bad(labels=None), "no 'data' or no 'labels'"),
    (py2_pickle([1, 2, 3]), "not a CIFAR-10 batch dict"),
    (b"this is not a pickle at all", "Cannot read"),
    (py2_pickle(fake_batch(10, 0))[:5000], "Cannot read"),
])
def test_malformed_batches_are_refused(content, words, tmp_path):
    path = tmp_path / "data_batch_3"
    path.write_bytes(content)
    with pytest.raises(data.DataError, match=words) as info:
        data.read_batch(path)
    assert "data_batch_3" in str(info.value)


def test_missing_batch_file_is_a_data_error(tmp_path):
    with pytest.raises(data.DataError, match="data_batch_1"):
        data.read_batch(tmp_path / "data_batch_1")


@pytest.mark.parametrize("numpy_module", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_batch_variants_that_load(numpy_module, tmp_path):
    batch = fake_batch(10, seed=3)
    flat_str_keys = {"data": batch[b"data"].ravel(), "labels": np.array(batch[b"labels"], np.uint8)}
    path = tmp_path / "batch"
    path.write_bytes(py2_pickle(flat_str_keys, numpy_module))
    x, y = data.read_batch(path)
    np.testing.assert_array_equal(x, batch[b"data"])
    assert (x.shape, x.dtype, y.dtype) == ((10, 3072), np.uint8, np.int64)


# ---------------------------------------------------------------- CIFAR10_DIR


@pytest.mark.parametrize("point_at", ["parent", "batches folder"])
def test_cifar10_dir_is_used_without_download(point_at, monkeypatch, fake, tmp_path):
    folder = write_folder(tmp_path / "shared" / data.BATCHES_FOLDER, fake["pickled"])
    monkeypatch.setenv(data.ENV_VAR, str(folder.parent if point_at == "parent" else folder))
    monkeypatch.setattr(cifar10, "CIFAR10_URL", closed_port_url())
    assert data.locate_cifar10(tmp_path / "unused") == folder
    assert data.load_raw_cifar10(tmp_path / "unused")[2].shape == (N_TEST, 3072)
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize("exists", [False, True])
def test_cifar10_dir_without_data_is_a_clear_error(exists, monkeypatch, tmp_path):
    folder = tmp_path / "nowhere"
    if exists:
        folder.mkdir()
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    problem = "holds neither" if exists else "does not exist"
    with pytest.raises(data.DataError, match=f"CIFAR10_DIR is set to.*{problem}"):
        data.locate_cifar10(tmp_path)


def test_load_dataset_on_fake_data(monkeypatch, fake, tmp_path):
    write_folder(tmp_path / data.BATCHES_FOLDER, fake["pickled"])
    monkeypatch.setattr(dataset, "split_train_val", functools.partial(dataset.split_train_val, n_val=100))
    full = data.load_dataset("per_feature", data_dir=tmp_path)
    assert full.sizes() == {"train": 100, "val": 100, "test": N_TEST}
    small = data.load_dataset("per_channel", n_per_class=4, data_dir=tmp_path, dtype=np.float64)
    assert small.sizes() == {"train": 40, "val": 10, "test": 10}
    assert small.x_train.dtype == np.float64 and small.y_test.dtype == np.int64
    assert small.class_names == data.CLASS_NAMES and small.scheme == "per_channel"
    assert small.source == full.source == data.data_fingerprint(tmp_path / data.BATCHES_FOLDER)


def test_load_dataset_returns_read_only_arrays(monkeypatch, fake, tmp_path):
    """Datasets are shared (the experiments cache them), so an in-place edit must fail, not spread."""
    write_folder(tmp_path / data.BATCHES_FOLDER, fake["pickled"])
    monkeypatch.setattr(dataset, "split_train_val", functools.partial(dataset.split_train_val, n_val=100))
    loaded = data.load_dataset("per_channel", n_per_class=4, data_dir=tmp_path)
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        assert not getattr(loaded, name).flags.writeable, name
    with pytest.raises(ValueError, match="read-only"):
        loaded.x_train -= loaded.x_train.mean()
    with pytest.raises(ValueError, match="read-only"):
        loaded.y_train[0] = 3
    centred = loaded.x_train - loaded.x_train.mean()           # what to do instead: edit a copy
    assert centred.flags.writeable


@pytest.mark.parametrize("kwargs", [{"scheme": "per_pixel"}, {"n_per_class": 0}, {"n_per_class": -3},
                                    {"n_per_class": 2.5}, {"n_per_class": True}, {"n_eval_per_class": 0},
                                    {"dtype": np.int32}])
def test_load_dataset_checks_arguments_before_loading(kwargs, monkeypatch, tmp_path):
    monkeypatch.setattr(cifar10, "CIFAR10_URL", closed_port_url())
    with pytest.raises(ValueError):
        data.load_dataset(data_dir=tmp_path, **kwargs)
    assert listing(tmp_path) == []


# ---------------------------------------------------------------- array helpers (synthetic data)


def _pixels(n, seed=0):
    """uint8 rows whose images differ in brightness and contrast, plus one flat image."""
    rng = np.random.default_rng(seed)
    centre, spread = rng.uniform(60, 200, (n, 1)), rng.uniform(5, 60, (n, 1))
    x = np.clip(centre + spread * rng.standard_normal((n, 3072)), 0, 255).astype(np.uint8)
    x[0] = 128
    return x


def _reference(x, scheme, fit_on):
    """Straightforward float64 version of each scheme, to check the fast chunked one against."""
    x, fit_on = x.astype(np.float64), fit_on.astype(np.float64)
    if scheme == "per_image":
        planes = x.reshape(len(x), 3, 1024)
        mean, std = planes.mean(2, keepdims=True), planes.std(2, keepdims=True)
        return ((planes - mean) / np.maximum(std, data.STD_FLOOR)).reshape(x.shape)
    if scheme == "per_channel":
        planes = fit_on.reshape(len(fit_on), 3, 1024)
        mean, std = np.repeat(planes.mean((0, 2)), 1024), np.repeat(planes.std((0, 2)), 1024)
    else:
        mean, std = fit_on.mean(0), fit_on.std(0)
    return (x - mean) / np.maximum(std, data.STD_FLOOR)


@pytest.mark.parametrize("scheme", data.NORMALISATIONS)
def test_normaliser_matches_a_plain_float64_reference(scheme, monkeypatch):
    monkeypatch.setattr(normalisation, "CHUNK_ROWS", 7)  # several chunks, the last one partial
    x_train, x_other = _pixels(60), _pixels(25, seed=1)
    normaliser = data.Normaliser.fit(x_train, scheme)
    before = x_other.copy()
    for x in (x_train, x_other):
        out = normaliser.transform(x)
        assert out.dtype == np.float32 and out.shape == x.shape and np.isfinite(out).all()
        np.testing.assert_allclose(out, _reference(x, scheme, fit_on=x_train), atol=2e-5)
    np.testing.assert_array_equal(x_other, before)
    assert normaliser.transform(x_other, dtype=np.float64).dtype == np.float64


def test_normaliser_statistics_shapes():
    x = _pixels(30)
    assert data.Normaliser.fit(x, "per_image").mean is None
    per_channel, per_feature = data.Normaliser.fit(x, "per_channel"), data.Normaliser.fit(x, "per_feature")
    assert per_channel.mean.shape == per_channel.std.shape == (3,)
    assert per_feature.mean.shape == per_feature.std.shape == (3072,)
    np.testing.assert_allclose(per_feature.mean, x.mean(0))
    assert data.Normaliser.fit(x[:1], "per_feature").std.min() == data.STD_FLOOR  # one image: every std is 0
    np.testing.assert_array_equal(data.Normaliser("per_image").transform(x[:1]), 0)  # a flat image maps to 0


@pytest.mark.parametrize("call", [
    lambda: data.Normaliser.fit(_pixels(5), "per_pixel"),
    lambda: data.Normaliser.fit(_pixels(5).astype(np.float32), "per_image"),
    lambda: data.Normaliser.fit(_pixels(5)[:, :100], "per_image"),
    lambda: data.Normaliser("per_feature").transform(_pixels(5)),
    lambda: data.Normaliser("per_image").transform(_pixels(5), dtype=np.int16),
])
def test_normaliser_argument_errors(call):
    with pytest.raises(ValueError):
        call()


def test_split_train_val_is_a_seeded_partition():
    x, y = np.arange(100)[:, None] * np.ones((1, 3)), np.arange(100)
    x_tr, y_tr, x_val, y_val = data.split_train_val(x, y, n_val=30, seed=5)
    assert (len(y_tr), len(y_val)) == (70, 30)
    assert sorted(np.concatenate([y_tr, y_val])) == list(range(100))
    np.testing.assert_array_equal(x_val[:, 0], y_val)
    np.testing.assert_array_equal(data.split_train_val(x, y, n_val=30, seed=5)[3], y_val)
    assert not np.array_equal(data.split_train_val(x, y, n_val=30, seed=6)[3], y_val)
    with pytest.raises(ValueError):
        data.split_train_val(x, y, n_val=100)


def test_subset_per_class():
    y = np.repeat(np.arange(10), 20)
    x = np.arange(200)
    xs, ys = data.subset_per_class(x, y, 5, seed=1)
    assert np.bincount(ys, minlength=10).tolist() == [5] * 10
    np.testing.assert_array_equal(y[xs], ys)
    assert len(np.unique(ys[:10])) > 3  # shuffled: a prefix mixes classes
    np.testing.assert_array_equal(data.subset_per_class(x, y, 5, seed=1)[0], xs)
    assert not np.array_equal(data.subset_per_class(x, y, 5, seed=2)[0], xs)
    with pytest.raises(data.DataError, match="at most 20"):
        data.subset_per_class(x, y, 21)


def test_one_hot_round_trip():
    y = np.array([3, 0, 9, 3])
    encoded = data.one_hot(y)
    assert encoded.shape == (4, 10) and encoded.dtype == np.float32 and encoded.sum() == 4
    np.testing.assert_array_equal(encoded.argmax(1), y)
    with pytest.raises(ValueError):
        data.one_hot([10])


def test_images_layout():
    x = np.arange(2 * 3072).reshape(2, 3072)
    pictures = data.images(x)
    assert pictures.shape == (2, 32, 32, 3)
    assert pictures[1, 4, 7, 2] == x[1, 2 * 1024 + 4 * 32 + 7]  # channel plane, then row, then column
    assert data.images(x[0]).shape == (32, 32, 3)


_X, _Y = np.zeros((20, 3072), np.uint8), np.repeat(np.arange(10), 2)


@pytest.mark.parametrize("call, words", [
    (lambda: data.split_train_val(_X.tolist(), _Y, n_val=5), "x must be a numpy array, got list"),
    (lambda: data.split_train_val(_X, _Y.tolist(), n_val=5), "y must be a numpy array, got list"),
    (lambda: data.split_train_val(_X, _Y[:, None], n_val=5), r"integer labels y \(N,\)"),
    (lambda: data.split_train_val(_X[:0], _Y[:0], n_val=5), "non-zero number of examples"),
    (lambda: data.split_train_val(_X, _Y[:10], n_val=5), "same, non-zero number"),
    (lambda: data.split_train_val(_X, _Y, n_val=0), "n_val must be an integer >= 1"),
    (lambda: data.split_train_val(_X, _Y, n_val=20), "leaves no training rows"),
    (lambda: data.subset_per_class(list(_X), _Y, 1), "x must be a numpy array, got list"),
    (lambda: data.subset_per_class(_X, _Y.astype(float), 1), "integer labels"),
    (lambda: data.subset_per_class(_X[:0], _Y[:0], 1), "non-zero number of examples"),
    (lambda: data.subset_per_class(_X, _Y + 1, 1), r"labels must be in 0\.\.9"),
    (lambda: data.subset_per_class(_X, _Y, 0), "n_per_class must be an integer >= 1"),
    (lambda: data.one_hot(np.eye(3, dtype=int)), r"1-d integer labels \(N,\)"),
    (lambda: data.one_hot([0.5, 1.0]), "integer labels"),
    (lambda: data.images(np.zeros((2, 32, 32, 3))), r"rows \(N, 3072\)"),
    (lambda: data.flip_half(np.zeros((2, 32, 32, 3)), np.random.default_rng(0)), r"rows \(B, 3072\)"),
    (lambda: data.flip_half(np.zeros((2, 3072)).tolist(), np.random.default_rng(0)), r"numpy array of rows"),
    (lambda: data.flip_half(np.zeros((2, 3072)), np.random.RandomState(0)), "numpy Generator"),
    (lambda: data.Normaliser.fit(_X.tolist(), "per_feature"), r"numpy uint8 array of rows \(N, 3072\)"),
    (lambda: data.Normaliser.fit(np.zeros((2, 32, 32, 3), np.uint8), "per_image"), r"\(N, 3072\).*\(2, 32, 32, 3\)"),
    (lambda: data.Normaliser.fit(_X[:0], "per_channel"), "training split is empty"),
    (lambda: data.Normaliser("per_image").transform(np.zeros((2, 32, 32, 3), np.uint8)), r"\(N, 3072\)"),
    (lambda: data.Dataset(_X[:0], _Y[:0], _X, _Y, _X, _Y, "per_image"), "train split must be non-empty"),
    (lambda: data.Dataset(_X, _Y, _X, _Y, _X.tolist(), _Y, "per_image"), r"x_test must be a numpy array"),
    (lambda: data.Dataset(_X, _Y, _X[:, :10], _Y, _X, _Y, "per_image"), "different numbers of features"),
])
def test_bad_inputs_say_what_was_expected(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# ---------------------------------------------------------------- real CIFAR-10 (skipped without a copy)


@pytest.fixture(scope="module")
def real():
    """(batches folder, load_raw_cifar10 arrays) of the real data set, or skip."""
    if not REAL_ENV and not (settings.DATA_DIR / data.BATCHES_FOLDER).is_dir():
        pytest.skip(f"real CIFAR-10 not available: set {data.ENV_VAR} to a folder holding "
                    f"{data.BATCHES_FOLDER}, or put a copy in {settings.DATA_DIR}")
    with pytest.MonkeyPatch.context() as mp:
        if REAL_ENV:
            mp.setenv(data.ENV_VAR, REAL_ENV)
        folder = data.locate_cifar10(download=False)
        return folder, data.load_raw_cifar10(download=False)


@pytest.fixture(scope="module", params=data.NORMALISATIONS)
def real_dataset(real, request):
    """load_dataset(scheme) on the real data; one scheme at a time, as each takes about 740 MB."""
    return data.load_dataset(request.param, data_dir=real[0].parent)


def moments(x, groups):
    """Mean and std of float32 rows (N, 3072) per image plane ("per_image": (N, 3)), per colour (3,) or per
    feature (3072,): float32 products, float64 sums, a chunk of rows at a time, so little extra memory."""
    sums, sums_sq = [], []
    for i in range(0, len(x), 5000):
        chunk = x[i:i + 5000].astype(np.float32)
        if groups == "per_image":
            planes = chunk.reshape(-1, 3, 1024)
            sums.append(planes.sum(2, dtype=np.float64))
            sums_sq.append(np.einsum("ijk,ijk->ij", planes, planes).astype(np.float64))
        else:
            sums.append(chunk.sum(0, dtype=np.float64))
            sums_sq.append(np.einsum("ij,ij->j", chunk, chunk).astype(np.float64))
    if groups == "per_image":
        mean, mean_sq = np.concatenate(sums) / 1024, np.concatenate(sums_sq) / 1024
    else:
        mean, mean_sq = np.sum(sums, axis=0) / len(x), np.sum(sums_sq, axis=0) / len(x)
        if groups == "per_channel":
            mean, mean_sq = mean.reshape(3, 1024).mean(1), mean_sq.reshape(3, 1024).mean(1)
    return mean, np.sqrt(mean_sq - mean**2)


def test_real_shapes_dtypes_and_classes(real):
    x_train, y_train, x_test, y_test = real[1]
    assert x_train.shape == (50_000, 3072) and x_test.shape == (10_000, 3072)
    assert (x_train.dtype, x_test.dtype, y_train.dtype, y_test.dtype) == (np.uint8, np.uint8, np.int64, np.int64)
    assert np.bincount(y_train).tolist() == [5000] * 10 and np.bincount(y_test).tolist() == [1000] * 10
    assert not any(a.flags.writeable for a in real[1])
    assert all(a is b for a, b in zip(real[1], data.load_raw_cifar10(real[0].parent)))


def test_real_split_is_disjoint_and_seeded(real):
    x_train, y_train = real[1][:2]
    index = np.arange(len(y_train))
    idx_tr, _, idx_val, _ = data.split_train_val(index, y_train, seed=0)
    assert (len(idx_tr), len(idx_val)) == (40_000, 10_000)
    assert len(np.union1d(idx_tr, idx_val)) == 50_000
    x_tr, y_tr, x_val, y_val = data.split_train_val(x_train, y_train, seed=0)
    np.testing.assert_array_equal(x_val, x_train[idx_val])
    np.testing.assert_array_equal(y_tr, y_train[idx_tr])
    np.testing.assert_array_equal(data.split_train_val(index, y_train, seed=0)[2], idx_val)
    assert not np.array_equal(data.split_train_val(index, y_train, seed=1)[2], idx_val)


def test_real_load_dataset(real_dataset, real):
    dataset, scheme = real_dataset, real_dataset.scheme
    assert dataset.sizes() == {"train": 40_000, "val": 10_000, "test": 10_000}
    for name in ("x_train", "x_val", "x_test"):  # float32 throughout: no float64 leaks out
        assert getattr(dataset, name).dtype == np.float32, name
        assert getattr(dataset, name.replace("x_", "y_")).dtype == np.int64, name
    assert dataset.source == data.data_fingerprint(real[0])
    x_tr, y_tr, x_val, _ = data.split_train_val(*real[1][:2], seed=0)
    np.testing.assert_array_equal(dataset.y_train, y_tr)
    if scheme == "per_image":  # every image plane of every split is standardised on its own
        for x in (dataset.x_train, dataset.x_val, dataset.x_test):
            mean, std = moments(x, scheme)
            np.testing.assert_allclose(mean, 0, atol=1e-3)
            np.testing.assert_allclose(std, 1, atol=1e-3)  # no real plane is flat (the smallest std is ~3.9)
        return
    mean, std = moments(dataset.x_train, scheme)  # fitted on train: train comes out exactly standardised
    np.testing.assert_allclose(mean, 0, atol=1e-3)
    np.testing.assert_allclose(std, 1, atol=1e-3)
    raw_mean, _ = moments(x_tr, scheme)
    np.testing.assert_allclose(data.Normaliser.fit(x_tr, scheme).mean, raw_mean, rtol=1e-9)
    val_mean, _ = moments(dataset.x_val, scheme)
    assert 1e-4 < np.abs(val_mean).max() < 0.2  # val was not used for fitting, yet is close


def test_real_subsets(real):
    x_train, y_train = real[1][:2]
    xs, ys = data.subset_per_class(x_train, y_train, 100, seed=3)
    assert np.bincount(ys).tolist() == [100] * 10
    np.testing.assert_array_equal(data.subset_per_class(x_train, y_train, 100, seed=3)[1], ys)
    small = data.load_dataset(n_per_class=50, data_dir=real[0].parent)
    assert small.sizes() == {"train": 500, "val": 120, "test": 120}
    np.testing.assert_array_equal(data.one_hot(small.y_train).argmax(1), small.y_train)
    with pytest.raises(data.DataError, match="fewer than"):
        data.subset_per_class(x_train, y_train, 5001)
