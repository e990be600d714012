"""MNIST, Fashion-MNIST and CIFAR-10 read from their own file formats, downloaded only when allowed.

The files are looked for under ``root`` (default $CNNLAB_DATA, else ~/.cache/cnnlab), in the
layout torchvision writes, or loose in ``root`` itself:
- MNIST / Fashion-MNIST: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``), in
  ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``) or ``root/``; IDX format: a 4-byte magic
  (0, 0, type 0x08 = unsigned byte, number of dimensions), the dimensions as big-endian uint32, the data.
- CIFAR-10: the python pickle batches ``data_batch_1..5`` and ``test_batch`` (each a dict with
  b"data" (10000, 3072) uint8, rows R then G then B planes of 32 x 32, and b"labels"), in
  ``root/cifar-10-batches-py/`` or inside ``root/cifar-10-python.tar.gz``.

Only when the files are missing and ``download=True`` is torchvision asked to fetch them (it checks
their MD5 sums); otherwise, or when that fails, DatasetUnavailable names the offline alternative.
Pickles are read with an unpickler that accepts numpy arrays and nothing else, so a doctored batch
file cannot run code.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
import torch

from .split import Split


class DatasetUnavailable(RuntimeError):
    """A dataset whose files are not here and cannot be downloaded (no torchvision or no network)."""


# name -> (torchvision class and folder, offline alternative, per-channel mean, std of the training pixels)
DATASETS = {
    "mnist": ("MNIST", "cnnlab.data.load_digits(size=28)", (0.1307,), (0.3081,)),
    "fashion_mnist": ("FashionMNIST", "cnnlab.data.load_digits(size=28)", (0.2860,), (0.3530,)),
    "cifar10": ("CIFAR10", "cnnlab.data.load_sample_images() or load_digits(size=32)",
                (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}
IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
CIFAR10_FOLDER, CIFAR10_ARCHIVE = "cifar-10-batches-py", "cifar-10-python.tar.gz"
CIFAR10_BATCHES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """Folder of the datasets' files: ``root``, else $CNNLAB_DATA, else ~/.cache/cnnlab."""
    return Path(root or os.environ.get("CNNLAB_DATA") or Path.home() / ".cache" / "cnnlab")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An IDX file (gzipped when its name ends in .gz) as a uint8 array of the shape its header gives."""
    path = Path(path)
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08 or not 1 <= raw[3] <= 4:
        raise ValueError(f"read_idx: {path} is not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"read_idx: {path} holds {data.size} bytes of data but its header says {shape}")
    return data.reshape(shape)


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays, lists, dicts, bytes and numbers; refuses every other class."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"),
               ("numpy._core.numeric", "_frombuffer"),
               ("_codecs", "encode")}   # how python 3's protocol 2 writes bytes

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"read_cifar10: a CIFAR-10 batch may not hold {module}.{name}")
        if module.startswith("numpy.core.") and hasattr(np, "_core"):   # numpy 2 renamed numpy.core
            module = "numpy._core." + module[len("numpy.core."):]
        return super().find_class(module, name)


def _read_batch(blob: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    batch = _ArrayUnpickler(io.BytesIO(blob), encoding="bytes").load()
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"read_cifar10: {name} is not a CIFAR-10 batch (a dict with b'data' and b'labels')")
    x = np.asarray(batch[b"data"], dtype=np.uint8)
    if x.ndim != 2 or x.shape[1] != 3 * 32 * 32:
        raise ValueError(f"read_cifar10: {name}'s data should be (N, 3072), got {x.shape}")
    return x.reshape(-1, 3, 32, 32), np.asarray(batch[b"labels"], dtype=np.int64)


def read_cifar10(source: str | os.PathLike, part: str) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10's ``part`` ("train": the five data batches; "test") from the batches folder or the tar.gz.

    Returns images (N, 3, 32, 32) uint8 and labels (N,) int64.
    """
    source = Path(source)
    names = CIFAR10_BATCHES[part]
    if source.is_dir():
        blobs = [(n, (source / n).read_bytes()) for n in names]
    else:
        with tarfile.open(source, "r:gz") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            missing = [n for n in names if n not in members]
            if missing:
                raise ValueError(f"read_cifar10: {source} has no {', '.join(missing)}")
            blobs = [(n, tar.extractfile(members[n]).read()) for n in names]
    xs, ys = zip(*(_read_batch(blob, n) for n, blob in blobs))
    return np.concatenate(xs), np.concatenate(ys)


def _find(root: Path, folder: str, name: str) -> Path | None:
    for where in (root / folder / "raw", root / folder, root):
        for candidate in (where / name, where / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _read_local(name: str, root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """{"train": (x uint8 (N, C, H, W), y), "test": ...} from the files under root, or None if any is missing."""
    if name == "cifar10":
        folder = root / CIFAR10_FOLDER
        if all((folder / n).is_file() for names in CIFAR10_BATCHES.values() for n in names):
            return {part: read_cifar10(folder, part) for part in CIFAR10_BATCHES}
        archive = root / CIFAR10_ARCHIVE
        return {part: read_cifar10(archive, part) for part in CIFAR10_BATCHES} if archive.is_file() else None
    paths = {part: [_find(root, DATASETS[name][0], f) for f in files] for part, files in IDX_FILES.items()}
    if any(p is None for pair in paths.values() for p in pair):
        return None
    out = {}
    for part, (images, labels) in paths.items():
        x, y = read_idx(images), read_idx(labels)
        if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
            raise ValueError(f"load_{name}: {images.name} {x.shape} and {labels.name} {y.shape} do not pair up")
        out[part] = (x[:, None], y.astype(np.int64))
    return out


def _download(name: str, root: Path) -> None:
    """Fetch the dataset's files into root with torchvision (MD5-checked); DatasetUnavailable on failure."""
    cls_name, offline = DATASETS[name][:2]
    message = f"load_{name}: no {cls_name} files under {root} and they cannot be downloaded; offline, use {offline}"
    try:
        import torchvision.datasets
    except ImportError:
        raise DatasetUnavailable(f"{message} (torchvision is not installed)") from None
    try:
        for train in (True, False):
            getattr(torchvision.datasets, cls_name)(str(root), train=train, download=True)
    except (OSError, RuntimeError) as err:   # URLError is an OSError; torchvision raises RuntimeError
        raise DatasetUnavailable(f"{message} ({type(err).__name__}: {err})") from None


def _load(name: str, root: str | os.PathLike | None, download: bool, normalize: bool, flatten: bool) -> Split:
    folder = data_dir(root)
    parts = _read_local(name, folder)
    if parts is None:
        if not download:
            cls_name, offline = DATASETS[name][:2]
            raise DatasetUnavailable(f"load_{name}: no {cls_name} files under {folder} and download=False; "
                                     f"offline, use {offline}")
        _download(name, folder)
        parts = _read_local(name, folder)
        if parts is None:
            raise DatasetUnavailable(f"load_{name}: torchvision downloaded nothing readable into {folder}")
    mean, std = (torch.tensor(v).view(1, -1, 1, 1) for v in DATASETS[name][2:])
    tensors = []
    for part in ("train", "test"):
        x_uint8, y = parts[part]
        x = torch.from_numpy(np.array(x_uint8)).float() / 255.0    # a writable copy
        if normalize:
            x = (x - mean) / std
        if flatten:
            x = x.flatten(1)
        tensors += [x.contiguous(), torch.from_numpy(y).long()]
    return Split(*tensors)


def load_mnist(*, root: str | os.PathLike | None = None, download: bool = True, normalize: bool = True,
               flatten: bool = False) -> Split:
    """MNIST: 60,000 train / 10,000 test handwritten digits, x (N, 1, 28, 28) float32, y (N,) in 0..9.

    ``normalize``: standardised with the training set's mean 0.1307 and std 0.3081 (else pixels in
    [0, 1]); ``flatten``: x (N, 784), e.g. ``load_mnist(normalize=False, flatten=True)`` for the
    fully connected autoencoders. LeNet-5 takes the 28 x 28 digits with ``lenet5(padding=2)``.
    """
    return _load("mnist", root, download, normalize, flatten)


def load_fashion_mnist(*, root: str | os.PathLike | None = None, download: bool = True, normalize: bool = True,
                       flatten: bool = False) -> Split:
    """Fashion-MNIST: 60,000 / 10,000 clothing images in MNIST's format, x (N, 1, 28, 28), y in 0..9."""
    return _load("fashion_mnist", root, download, normalize, flatten)


def load_cifar10(*, root: str | os.PathLike | None = None, download: bool = True, normalize: bool = True,
                 flatten: bool = False) -> Split:
    """CIFAR-10: 50,000 / 10,000 colour images, x (N, 3, 32, 32) float32 (per-channel standardised), y in 0..9."""
    return _load("cifar10", root, download, normalize, flatten)
