"""The offline datasets, bundled with scikit-learn (nothing is downloaded).

- ``load_digits(size=8|28|32)``: 1,797 handwritten digits, 8 x 8 grey levels 0..16, optionally
  upsampled (bilinear) to MNIST's 28 x 28 or LeNet-5's 32 x 32; the course's stand-in for MNIST.
- ``load_iris()``: 150 flowers, 4 measurements, 3 classes (for MLPs).
- ``load_sample_images()``: two colour photographs (china.jpg, flower.jpg), 427 x 640.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .split import Split, standardise, train_test_split


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
        xtr, xte = standardise(xtr, xte, (0, 2, 3))
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
        xtr, xte = standardise(xtr, xte, (0,))
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
