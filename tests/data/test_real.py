"""cnnlab.data.real: MNIST, Fashion-MNIST and CIFAR-10 read from files written here to the real formats.

Nothing downloads: every test that could reach ``_download`` replaces it, and the download path is
exercised with a stand-in torchvision that writes the files the way torchvision lays them out.
"""

import gzip
import io
import pickle
import struct
import sys
import tarfile
import types

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.data import real  # noqa: E402
from cnnlab.data import DatasetUnavailable, load_cifar10, load_fashion_mnist, load_mnist, read_cifar10, read_idx  # noqa: E402,E501


_real_download = real._download


def _must_not_download(name, root):
    raise AssertionError("nothing may download in tests")


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    monkeypatch.setattr(real, "_download", _must_not_download)


def write_idx(path, array, *, compress=True):
    """The IDX format: 0, 0, type 0x08 (unsigned byte), ndim, big-endian uint32 dims, then the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    blob = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(blob)
    return path


def fake_mnist(folder, *, n_train=6, n_test=3, compress=True, seed=0):
    """IDX files as MNIST ships them; returns the arrays written (images (N, 28, 28), labels (N,))."""
    rng = np.random.default_rng(seed)
    written = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, size=n, dtype=np.uint8)
        suffix = ".gz" if compress else ""
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", x, compress=compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", y, compress=compress)
        written[prefix] = (x, y)
    return written


def _batch_pickle(x_nchw, labels):
    """A CIFAR-10 batch as the python version pickles it (protocol 2, numpy.core module name)."""
    batch = {b"batch_label": b"testing batch", b"labels": [int(v) for v in labels],
             b"data": x_nchw.reshape(len(x_nchw), -1), b"filenames": [b"img.png"] * len(labels)}
    blob = pickle.dumps(batch, protocol=2)
    return blob.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")   # as written by numpy 1


def fake_cifar10(root, *, per_batch=2, archive=True, seed=0):
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    arrays = {n: (rng.integers(0, 256, size=(per_batch, 3, 32, 32), dtype=np.uint8),
                  rng.integers(0, 10, size=per_batch)) for n in names}
    root.mkdir(parents=True, exist_ok=True)
    if archive:
        with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as tar:
            for n, (x, y) in arrays.items():
                blob = _batch_pickle(x, y)
                info = tarfile.TarInfo(f"cifar-10-batches-py/{n}")
                info.size = len(blob)
                tar.addfile(info, io.BytesIO(blob))
    else:
        folder = root / "cifar-10-batches-py"
        folder.mkdir()
        for n, (x, y) in arrays.items():
            (folder / n).write_bytes(_batch_pickle(x, y))
    x_train = np.concatenate([arrays[n][0] for n in names[:5]])
    y_train = np.concatenate([arrays[n][1] for n in names[:5]])
    return (x_train, y_train), arrays["test_batch"]


def test_read_idx_round_trip_and_bad_files(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a.gz", a)), a)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a", a, compress=False)), a)
    (tmp_path / "bad").write_bytes(b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00" * 4)  # float32 IDX
    with pytest.raises(ValueError, match="read_idx: .* not an IDX file of unsigned bytes"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x01\x02")
    with pytest.raises(ValueError, match=r"holds 2 bytes of data but its header says \(5,\)"):
        read_idx(tmp_path / "short")


@pytest.mark.parametrize("loader, folder", [(load_mnist, "MNIST"), (load_fashion_mnist, "FashionMNIST")])
@pytest.mark.parametrize("layout", ["torchvision", "loose"])
def test_mnist_formats(tmp_path, loader, folder, layout):
    where = tmp_path / folder / "raw" if layout == "torchvision" else tmp_path
    written = fake_mnist(where, compress=layout == "torchvision")
    raw = loader(root=tmp_path, download=False, normalize=False)
    assert raw.x_train.shape == (6, 1, 28, 28) and raw.x_test.shape == (3, 1, 28, 28)
    assert raw.x_train.dtype == torch.float32 and raw.y_train.dtype == torch.int64
    assert torch.equal(raw.x_train[:, 0], torch.from_numpy(written["train"][0]).float() / 255)
    assert raw.y_test.tolist() == written["t10k"][1].tolist()
    std = loader(root=tmp_path, download=False)
    mean, sd = real.DATASETS["mnist" if folder == "MNIST" else "fashion_mnist"][2:]
    assert torch.allclose(std.x_test, (raw.x_test - mean[0]) / sd[0])
    flat = loader(root=tmp_path, download=False, normalize=False, flatten=True)
    assert flat.x_train.shape == (6, 784) and torch.equal(flat.x_train, raw.x_train.flatten(1))


@pytest.mark.parametrize("archive", [True, False])
def test_cifar10_pickle_batches(tmp_path, archive):
    (x_train, y_train), (x_test, y_test) = fake_cifar10(tmp_path, archive=archive)
    s = load_cifar10(root=tmp_path, download=False, normalize=False)
    assert s.x_train.shape == (10, 3, 32, 32) and s.x_test.shape == (2, 3, 32, 32)
    # Rows hold the R plane, then G, then B, each 32 x 32 row-major: channel c of pixel (i, j) is
    # byte c * 1024 + i * 32 + j.
    row = x_train.reshape(10, -1)
    assert s.x_train[3, 1, 4, 5].item() == pytest.approx(row[3, 1024 + 4 * 32 + 5] / 255)
    assert torch.equal(s.x_test, torch.from_numpy(x_test).float() / 255)
    assert s.y_train.tolist() == y_train.tolist() and s.y_test.tolist() == y_test.tolist()
    std = load_cifar10(root=tmp_path, download=False)
    mean = torch.tensor(real.DATASETS["cifar10"][2]).view(1, 3, 1, 1)
    sd = torch.tensor(real.DATASETS["cifar10"][3]).view(1, 3, 1, 1)
    assert torch.allclose(std.x_train, (s.x_train - mean) / sd)


def test_cifar10_pickle_may_not_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(pickle.UnpicklingError, match="may not hold builtins.print"):
        read_cifar10(folder, "test")


def test_the_loaded_data_fits_the_models(tmp_path):
    """LeNet-5 via its padding option, the autoencoders on flattened [0, 1] pixels, ResNet on CIFAR-10."""
    from cnnlab.models import DenoisingAutoencoder, lenet5, small_resnet18

    fake_mnist(tmp_path / "MNIST" / "raw")
    fake_cifar10(tmp_path)
    mnist = load_mnist(root=tmp_path, download=False)
    assert lenet5(padding=2)(mnist.x_train).shape == (6, 10)
    assert lenet5(padding=2, variant="modern")(mnist.x_test).shape == (3, 10)
    with pytest.raises(ValueError, match="expected 32x32 inputs"):
        lenet5()(mnist.x_train)                              # why the padding option is needed
    pixels = load_mnist(root=tmp_path, download=False, normalize=False, flatten=True)
    assert 0 <= pixels.x_train.min() and pixels.x_train.max() <= 1
    ae = DenoisingAutoencoder(784, [64, 16]).train()
    assert ae(pixels.x_train).shape == (6, 784)
    cifar = load_cifar10(root=tmp_path, download=False)
    assert small_resnet18(num_classes=10)(cifar.x_test).shape == (2, 10)


def test_missing_files_without_download(tmp_path):
    with pytest.raises(DatasetUnavailable, match="load_mnist: no MNIST files under .* download=False; "
                                                 r"offline, use cnnlab.data.load_digits\(size=28\)"):
        load_mnist(root=tmp_path, download=False)
    fake_mnist(tmp_path, n_train=2)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()          # one of the four files missing
    with pytest.raises(DatasetUnavailable, match="no MNIST files"):
        load_mnist(root=tmp_path, download=False)
    with pytest.raises(DatasetUnavailable, match="load_sample_images"):
        load_cifar10(root=tmp_path, download=False)


def test_root_defaults_to_cnnlab_data(tmp_path, monkeypatch):
    fake_mnist(tmp_path / "FashionMNIST" / "raw")
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path))
    assert real.data_dir() == tmp_path
    assert load_fashion_mnist(download=False).x_train.shape == (6, 1, 28, 28)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_download_without_torchvision(monkeypatch, tmp_path, name):
    monkeypatch.setattr(real, "_download", _real_download)
    monkeypatch.setitem(sys.modules, "torchvision", None)          # import torchvision -> ImportError
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)
    with pytest.raises(DatasetUnavailable) as err:
        getattr(real, f"load_{name}")(root=tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"load_{name}: no ") and "torchvision is not installed" in msg
    assert "offline, use cnnlab.data." in msg and "\n" not in msg


def _fake_torchvision(calls, *, fail=None):
    """A stand-in for torchvision.datasets whose classes write the files as torchvision lays them out."""
    def make(cls_name):
        def dataset(root, train, download):
            from pathlib import Path

            calls.append((cls_name, train, download))
            if fail is not None:
                raise fail
            if cls_name == "CIFAR10":
                if not (Path(root) / "cifar-10-python.tar.gz").exists():
                    fake_cifar10(Path(root))
            else:
                fake_mnist(Path(root) / cls_name / "raw", n_train=4, n_test=2)
        return dataset

    datasets = types.SimpleNamespace(**{n: make(n) for n in ("MNIST", "FashionMNIST", "CIFAR10")})
    return types.SimpleNamespace(datasets=datasets), datasets


@pytest.mark.parametrize("name, cls, shape", [("mnist", "MNIST", (4, 1, 28, 28)),
                                              ("cifar10", "CIFAR10", (10, 3, 32, 32))])
def test_download_when_allowed(monkeypatch, tmp_path, name, cls, shape):
    calls = []
    tv, datasets = _fake_torchvision(calls)
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)
    monkeypatch.setattr(real, "_download", _real_download)
    s = getattr(real, f"load_{name}")(root=tmp_path)
    assert s.x_train.shape == shape
    assert calls == [(cls, True, True), (cls, False, True)]
    getattr(real, f"load_{name}")(root=tmp_path)                 # the files are there now: no second call
    assert len(calls) == 2


def test_download_failure_is_dataset_unavailable(monkeypatch, tmp_path):
    from urllib.error import URLError

    tv, datasets = _fake_torchvision([], fail=URLError("no network"))
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)
    monkeypatch.setattr(real, "_download", _real_download)
    with pytest.raises(DatasetUnavailable, match=r"load_mnist: .* \(URLError: .*no network"):
        load_mnist(root=tmp_path)
