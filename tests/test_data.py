"""Tests for mlp_helpers.data.

The fast tests build a tiny fake CIFAR-10 archive and serve it from a local HTTP server, so they need
no network. The real-data tests at the end run when CIFAR10_DIR names a copy (or data/ holds one):

    CIFAR10_DIR=/path/to/folder-with-cifar-10-batches-py pytest tests/test_data.py
"""
import functools
import hashlib
import http.server
import io
import os
import pickle
import socket
import struct
import tarfile
import threading

import numpy as np
import pytest

from mlp_helpers import data

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
    """Serve `content` and point data.CIFAR10_URL / CIFAR10_MD5 at it."""
    base, root = server
    (root / name).write_bytes(content)
    monkeypatch.setattr(data, "CIFAR10_URL", f"{base}/{name}")
    monkeypatch.setattr(data, "CIFAR10_MD5", md5_hex or hashlib.md5(content).hexdigest())


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
    x_train, y_train, x_test, y_test = data.load_cifar10(data_dir)
    train = [fake["batches"][f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(x_train, np.concatenate([b[b"data"] for b in train]))
    np.testing.assert_array_equal(y_train, np.concatenate([b[b"labels"] for b in train]))
    np.testing.assert_array_equal(x_test, fake["batches"]["test_batch"][b"data"])
    assert x_train.shape == (5 * N_PER_TRAIN_BATCH, 3072) and x_test.shape == (N_TEST, 3072)
    assert (x_train.dtype, y_train.dtype) == (np.uint8, np.int64) and x_train.flags.c_contiguous
    assert listing(data_dir) == sorted(["README.md", data.ARCHIVE_NAME, data.BATCHES_FOLDER])  # no temp files left

    monkeypatch.setattr(data, "CIFAR10_URL", closed_port_url())  # the second time needs no network
    assert data.locate_cifar10(data_dir) == data_dir / data.BATCHES_FOLDER


def test_loaded_arrays_are_cached_and_read_only(server, monkeypatch, fake, data_dir):
    serve(server, monkeypatch, fake["archive"].read_bytes())
    first = data.load_cifar10(data_dir)
    second = data.load_cifar10(data_dir)
    assert all(a is b for a, b in zip(first, second))
    for array in first:
        assert not array.flags.writeable
    with pytest.raises(ValueError):
        first[0][0, 0] = 1


def test_download_creates_missing_data_dir(server, monkeypatch, fake, tmp_path):
    serve(server, monkeypatch, fake["archive"].read_bytes())
    archive = data.download_cifar10(tmp_path / "new" / "dir", url=data.CIFAR10_URL, md5=data.CIFAR10_MD5,
                                    progress=False)
    assert archive == tmp_path / "new" / "dir" / data.ARCHIVE_NAME and md5(archive) == fake["md5"]


def test_archive_already_in_data_dir_is_used_without_download(monkeypatch, fake, data_dir):
    (data_dir / data.ARCHIVE_NAME).write_bytes(fake["archive"].read_bytes())
    monkeypatch.setattr(data, "CIFAR10_URL", closed_port_url())
    monkeypatch.setattr(data, "CIFAR10_MD5", fake["md5"])
    assert data.load_cifar10(data_dir, download=False)[0].shape == (5 * N_PER_TRAIN_BATCH, 3072)


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
    monkeypatch.setattr(data, "CIFAR10_URL", f"{base}/missing.tar.gz")
    with pytest.raises(data.DataError, match="404"):
        data.locate_cifar10(data_dir)
    assert listing(data_dir) == ["README.md"]


def test_unreachable_server_explains_the_alternatives(monkeypatch, data_dir):
    monkeypatch.setattr(data, "CIFAR10_URL", closed_port_url())
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
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda *args, **kwargs: _FailingResponse(error))
    with pytest.raises(data.DataError, match=words):
        data.download_cifar10(data_dir, progress=False)
    assert listing(data_dir) == ["README.md"]


def test_incomplete_batches_folder(fake, data_dir):
    folder = write_folder(data_dir / data.BATCHES_FOLDER, {"data_batch_1": fake["pickled"]["data_batch_1"]})
    with pytest.raises(data.DataError, match="incomplete.*data_batch_2"):
        data.locate_cifar10(data_dir)
    assert listing(folder) == ["data_batch_1"]


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
        data.load_batch(path)
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
        data.load_batch(path)
    assert "data_batch_3" in str(info.value)


def test_missing_batch_file_is_a_data_error(tmp_path):
    with pytest.raises(data.DataError, match="data_batch_1"):
        data.load_batch(tmp_path / "data_batch_1")


@pytest.mark.parametrize("numpy_module", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_batch_variants_that_load(numpy_module, tmp_path):
    batch = fake_batch(10, seed=3)
    flat_str_keys = {"data": batch[b"data"].ravel(), "labels": np.array(batch[b"labels"], np.uint8)}
    path = tmp_path / "batch"
    path.write_bytes(py2_pickle(flat_str_keys, numpy_module))
    x, y = data.load_batch(path)
    np.testing.assert_array_equal(x, batch[b"data"])
    assert (x.shape, x.dtype, y.dtype) == ((10, 3072), np.uint8, np.int64)


# ---------------------------------------------------------------- CIFAR10_DIR


@pytest.mark.parametrize("point_at", ["parent", "batches folder"])
def test_cifar10_dir_is_used_without_download(point_at, monkeypatch, fake, tmp_path):
    folder = write_folder(tmp_path / "shared" / data.BATCHES_FOLDER, fake["pickled"])
    monkeypatch.setenv(data.ENV_VAR, str(folder.parent if point_at == "parent" else folder))
    monkeypatch.setattr(data, "CIFAR10_URL", closed_port_url())
    assert data.locate_cifar10(tmp_path / "unused") == folder
    assert data.load_cifar10(tmp_path / "unused")[2].shape == (N_TEST, 3072)
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
    monkeypatch.setattr(data, "split_train_val", functools.partial(data.split_train_val, n_val=100))
    full = data.load_dataset("per_feature", data_dir=tmp_path)
    assert full.sizes() == {"train": 100, "val": 100, "test": N_TEST}
    small = data.load_dataset("per_channel", n_per_class=4, data_dir=tmp_path, dtype=np.float64)
    assert small.sizes() == {"train": 40, "val": 10, "test": 10}
    assert small.x_train.dtype == np.float64 and small.y_test.dtype == np.int64
    assert small.class_names == data.CLASS_NAMES and small.scheme == "per_channel"


@pytest.mark.parametrize("kwargs", [{"scheme": "per_pixel"}, {"n_per_class": 0}, {"n_per_class": -3},
                                    {"n_per_class": 2.5}, {"n_per_class": True}, {"n_eval_per_class": 0},
                                    {"dtype": np.int32}])
def test_load_dataset_checks_arguments_before_loading(kwargs, monkeypatch, tmp_path):
    monkeypatch.setattr(data, "CIFAR10_URL", closed_port_url())
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
    monkeypatch.setattr(data, "_CHUNK_ROWS", 7)  # several chunks, the last one partial
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


# ---------------------------------------------------------------- real CIFAR-10 (skipped without a copy)


@pytest.fixture(scope="module")
def real():
    """(batches folder, load_cifar10 arrays) of the real data set, or skip."""
    if not REAL_ENV and not (data.DEFAULT_DATA_DIR / data.BATCHES_FOLDER).is_dir():
        pytest.skip(f"real CIFAR-10 not available: set {data.ENV_VAR} to a folder holding "
                    f"{data.BATCHES_FOLDER}, or put a copy in {data.DEFAULT_DATA_DIR}")
    with pytest.MonkeyPatch.context() as mp:
        if REAL_ENV:
            mp.setenv(data.ENV_VAR, REAL_ENV)
        folder = data.locate_cifar10(download=False)
        return folder, data.load_cifar10(download=False)


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
    assert all(a is b for a, b in zip(real[1], data.load_cifar10(real[0].parent)))


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
