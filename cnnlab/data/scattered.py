"""Scattered digits: scikit-learn's 8 x 8 digits, each pasted at a random place on a larger canvas.

A fully connected network sees a digit at a new place as a new pattern of input pixels, so it must
learn every digit at every position from the examples it happens to get there; a convolutional
network applies the same filters everywhere (translation equivariance) and, with pooling, answers
the same wherever the digit sits. On this data set, made offline from what scikit-learn ships, the
difference is large: it is the course's demonstration that convolution matters.
"""

from __future__ import annotations

import numpy as np
import torch

from .split import Split, standardise, train_test_split

DIGIT = 8   # side of scikit-learn's digits


def scatter(images: np.ndarray, *, canvas: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Paste each (8, 8) image at a uniformly random place on a zero (canvas, canvas) background.

    images: (N, 8, 8). Returns (out: (N, canvas, canvas), corners: (N, 2) row and column of each
    image's top-left pixel, both in 0 .. canvas - 8).
    """
    n = len(images)
    corners = rng.integers(0, canvas - DIGIT + 1, size=(n, 2))
    out = np.zeros((n, canvas, canvas), dtype=images.dtype)
    rows = corners[:, 0, None] + np.arange(DIGIT)          # (N, 8) canvas rows of each image
    cols = corners[:, 1, None] + np.arange(DIGIT)
    out[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]] = images
    return out, corners


def load_scattered_digits(*, canvas: int = 24, test_size: float = 0.25, seed: int = 0,
                          normalize: bool = True, flatten: bool = False) -> Split:
    """The 1,797 digits, each at a random place on a canvas x canvas background, as tensors.

    x: (N, 1, canvas, canvas) float32 (pixels in [0, 1] before ``normalize``, which standardises with
    the training mean and std; ``flatten`` gives (N, canvas * canvas) for MLPs), y: (N,) in 0..9.
    The places are drawn with ``seed`` (so are the stratified train/test split, 1,347 / 450 for
    test_size=0.25); train and test digits come from the same uniform distribution of places.
    canvas=8 gives the plain digits.
    """
    from sklearn.datasets import load_digits as sk_digits

    if isinstance(canvas, bool) or not isinstance(canvas, int):
        raise TypeError(f"load_scattered_digits: canvas must be an int, got {type(canvas).__name__} {canvas!r}")
    if canvas < DIGIT:
        raise ValueError(f"load_scattered_digits: canvas must be >= {DIGIT} (the digits are 8 x 8), got {canvas}")
    d = sk_digits()
    x, _ = scatter(d.images.astype(np.float32) / 16.0, canvas=canvas, rng=np.random.default_rng(seed))
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=test_size, seed=seed)
    xtr, xte = (torch.from_numpy(a).unsqueeze(1) for a in (xtr, xte))
    if normalize:
        xtr, xte = standardise(xtr, xte, (0, 2, 3))
    if flatten:
        xtr, xte = xtr.flatten(1), xte.flatten(1)
    return Split(xtr.contiguous(), torch.from_numpy(ytr).long(), xte.contiguous(), torch.from_numpy(yte).long())
