"""Datasets for the course, offline by default.

Offline (bundled with scikit-learn, nothing is downloaded):
- ``load_digits(size=8|28|32)``: 1,797 handwritten digits, 8 x 8 grey levels 0..16, optionally
  upsampled (bilinear) to MNIST's 28 x 28 or LeNet-5's 32 x 32; the course's stand-in for MNIST.
- ``load_iris()``: 150 flowers, 4 measurements, 3 classes (for MLPs).
- ``load_sample_images()``: two colour photographs (china.jpg, flower.jpg), 427 x 640.

Online (need torchvision and a network connection, e.g. on Colab): ``load_mnist``,
``load_fashion_mnist``, ``load_cifar10``. They cache under $CNNLAB_DATA (default ~/.cache/cnnlab)
and rely on torchvision's MD5 checks of what it downloads. Offline they raise DatasetUnavailable
naming the offline alternative.

Every loader returns a ``Split`` of tensors (x_train, y_train, x_test, y_test): images (N, C, H, W)
float32 normalised with the training set's mean and standard deviation, labels (N,) int64.
``split.loaders(batch_size)`` gives the two DataLoaders.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


class DatasetUnavailable(RuntimeError):
    """A dataset that needs torchvision and the network cannot be loaded here."""


class Split(NamedTuple):
    """Train and test tensors. x: (N, C, H, W) or (N, D) float32; y: (N,) int64 class indices."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def num_classes(self) -> int:
        """Number of classes (1 + the largest label)."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def loaders(self, batch_size: int = 64, *, seed: int = 0, shuffle: bool = True,
                test_batch_size: int | None = None) -> tuple[DataLoader, DataLoader]:
        """(train_loader, test_loader); the training one shuffles with its own seeded generator."""
        return make_loaders(self, batch_size, seed=seed, shuffle=shuffle, test_batch_size=test_batch_size)


def make_loaders(split: Split, batch_size: int = 64, *, seed: int = 0, shuffle: bool = True,
                 test_batch_size: int | None = None) -> tuple[DataLoader, DataLoader]:
    """DataLoaders over a Split: shuffled (seeded, reproducible) training batches, fixed test batches."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"make_loaders: batch_size must be a positive int, got {batch_size!r}")
    train = DataLoader(TensorDataset(split.x_train, split.y_train), batch_size=batch_size,
                       shuffle=shuffle, generator=torch.Generator().manual_seed(seed) if shuffle else None)
    test = DataLoader(TensorDataset(split.x_test, split.y_test), batch_size=test_batch_size or max(batch_size, 256))
    return train, test


def train_test_split(x: np.ndarray, y: np.ndarray, *, test_size: float, seed: int) -> tuple[np.ndarray, ...]:
    """Seeded, stratified split (each class in the same proportion on both sides)."""
    from sklearn.model_selection import train_test_split as split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size}")
    return split(x, y, test_size=test_size, random_state=seed, stratify=y)


def _normalise(x_train: torch.Tensor, x_test: torch.Tensor, dims: tuple[int, ...]):
    """Standardise both with the training set's mean and std (per channel or per feature)."""
    mean = x_train.mean(dim=dims, keepdim=True)
    std = x_train.std(dim=dims, keepdim=True).clamp_min(1e-8)
    return (x_train - mean) / std, (x_test - mean) / std


def load_digits(*, size: int = 8, test_size: float = 0.25, seed: int = 0, normalize: bool = True,
                flatten: bool = False) -> Split:
    """scikit-learn's handwritten digits as tensors: x (N, 1, size, size) float32, y (N,) in 0..9.

    The 8 x 8 images (grey levels 0..16, scaled to [0, 1]) are upsampled bilinearly when ``size``
    is larger (28 for MNIST-sized models, 32 for LeNet-5). ``normalize`` standardises with the
    training mean and std; ``flatten`` gives x (N, size*size) for MLPs. 1,797 images, split
    stratified with ``seed`` (1,347 train and 450 test for test_size=0.25).
    """
    from sklearn.datasets import load_digits as sk_digits

    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"load_digits: size must be an int >= 8 (8, 28 or 32), got {size!r}")
    d = sk_digits()
    x = d.images.astype(np.float32) / 16.0
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=test_size, seed=seed)
    xtr, xte = (torch.from_numpy(a).unsqueeze(1) for a in (xtr, xte))
    if size != 8:
        up = lambda t: torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear",  # noqa: E731
                                                       align_corners=False)
        xtr, xte = up(xtr), up(xte)
    if normalize:
        xtr, xte = _normalise(xtr, xte, (0, 2, 3))
    if flatten:
        xtr, xte = xtr.flatten(1), xte.flatten(1)
    return Split(xtr.contiguous(), torch.from_numpy(ytr).long(), xte.contiguous(), torch.from_numpy(yte).long())


def load_iris(*, test_size: float = 0.3, seed: int = 0, normalize: bool = True) -> Split:
    """Fisher's iris: x (N, 4) float32 measurements, y (N,) in 0..2; 105 train / 45 test by default."""
    from sklearn.datasets import load_iris as sk_iris

    d = sk_iris()
    xtr, xte, ytr, yte = train_test_split(d.data.astype(np.float32), d.target, test_size=test_size, seed=seed)
    xtr, xte = torch.from_numpy(xtr), torch.from_numpy(xte)
    if normalize:
        xtr, xte = _normalise(xtr, xte, (0,))
    return Split(xtr, torch.from_numpy(ytr).long(), xte, torch.from_numpy(yte).long())


def load_sample_images(*, size: int | tuple[int, int] | None = None) -> tuple[torch.Tensor, list[str]]:
    """scikit-learn's two sample photographs as x (2, 3, H, W) float32 in [0, 1] and their names.

    Native size 427 x 640 (china.jpg, flower.jpg); ``size`` resizes them (bilinear, antialiased).
    """
    from sklearn.datasets import load_sample_images as sk_images

    d = sk_images()
    x = torch.from_numpy(np.stack(d.images)).permute(0, 3, 1, 2).float() / 255.0
    if size is not None:
        hw = (size, size) if isinstance(size, int) else tuple(size)
        if len(hw) != 2 or not all(isinstance(s, int) and s > 0 for s in hw):
            raise ValueError(f"load_sample_images: size must be a positive int or (H, W), got {size!r}")
        x = torch.nn.functional.interpolate(x, size=hw, mode="bilinear", align_corners=False,
                                            antialias=True).clamp(0, 1)
    return x.contiguous(), [Path(f).name for f in d.filenames]


# ----------------------------------------------------------------------------- online datasets

# name -> (torchvision class name, offline alternative, per-channel mean, std)
_ONLINE = {
    "mnist": ("MNIST", "cnnlab.data.load_digits(size=28)", (0.1307,), (0.3081,)),
    "fashion_mnist": ("FashionMNIST", "cnnlab.data.load_digits(size=28)", (0.2860,), (0.3530,)),
    "cifar10": ("CIFAR10", "cnnlab.data.load_sample_images() or load_digits(size=32)",
                (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """Cache folder for downloaded datasets: ``root``, else $CNNLAB_DATA, else ~/.cache/cnnlab."""
    return Path(root or os.environ.get("CNNLAB_DATA") or Path.home() / ".cache" / "cnnlab")


def _torchvision_dataset(cls_name: str, root: Path, train: bool, download: bool) -> Any:
    """torchvision.datasets.<cls_name>(root, train, download): downloads, MD5-checks, caches."""
    import torchvision.datasets

    return getattr(torchvision.datasets, cls_name)(str(root), train=train, download=download)


def _load_online(name: str, root: str | os.PathLike | None, download: bool, normalize: bool) -> Split:
    cls_name, offline, mean, std = _ONLINE[name]
    message = f"load_{name} needs torchvision and a network connection; offline, use {offline}"
    try:
        import torchvision  # noqa: F401
    except ImportError:
        raise DatasetUnavailable(message) from None
    try:
        parts = [_torchvision_dataset(cls_name, data_dir(root), train, download) for train in (True, False)]
    except (OSError, RuntimeError) as err:   # URLError is an OSError; torchvision raises RuntimeError
        raise DatasetUnavailable(f"{message} ({type(err).__name__}: {err})") from None
    xs, ys = [], []
    for ds in parts:
        data = torch.as_tensor(np.asarray(ds.data))
        data = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)    # NHW or NHWC -> NCHW
        x = data.float() / 255.0
        if normalize:
            x = (x - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
        xs.append(x.contiguous())
        ys.append(torch.as_tensor(np.asarray(ds.targets)).long())
    return Split(xs[0], ys[0], xs[1], ys[1])


def load_mnist(*, root: str | os.PathLike | None = None, download: bool = True, normalize: bool = True) -> Split:
    """MNIST (60,000 train / 10,000 test, 1 x 28 x 28) via torchvision; online only."""
    return _load_online("mnist", root, download, normalize)


def load_fashion_mnist(*, root: str | os.PathLike | None = None, download: bool = True,
                       normalize: bool = True) -> Split:
    """Fashion-MNIST (60,000 / 10,000, 1 x 28 x 28) via torchvision; online only."""
    return _load_online("fashion_mnist", root, download, normalize)


def load_cifar10(*, root: str | os.PathLike | None = None, download: bool = True, normalize: bool = True) -> Split:
    """CIFAR-10 (50,000 / 10,000, 3 x 32 x 32) via torchvision; online only."""
    return _load_online("cifar10", root, download, normalize)


LOADERS = {"digits": load_digits, "iris": load_iris, "mnist": load_mnist,
           "fashion_mnist": load_fashion_mnist, "cifar10": load_cifar10}
