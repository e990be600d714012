"""Convolution before the layer: 1-D correlation and convolution, and a 2-D convolution as a matrix.

The notes start chapter 7 here: a 1-D correlation slides a kernel along a signal and takes dot
products (a similarity score); a convolution is the same with the kernel flipped. Any convolution
is a linear map, so it has a matrix: sparse (each row holds the kernel where its window lies) and
with shared entries (the same weights in every row), which is what a convolutional layer saves
over a fully connected one.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab._checks import Pair, choice, real_array
from cnnlab.functional.conv import conv2d_forward

__all__ = ["correlate1d", "convolve1d", "conv_matrix"]


def _padded_1d(fn: str, x, w, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate 1-D inputs; return x zero-padded for ``mode`` (numpy's conventions) and w."""
    x = real_array(fn, "x", x, ndim=1, layout="(N,)")
    w = real_array(fn, "w", w, ndim=1, layout="(F,)", dtype=x.dtype)
    if w.size == 0 or w.size > x.size:
        raise ValueError(f"{fn}: w must have 1 to len(x)={x.size} entries, got w.shape={w.shape}")
    # valid: no padding; same: F - 1 zeros, F // 2 of them on the left; full: F - 1 zeros each side.
    pads = {"valid": (0, 0), "same": (w.size // 2, w.size - 1 - w.size // 2), "full": (w.size - 1,) * 2}
    return np.pad(x, pads[choice(fn, "mode", mode, tuple(pads))]), w


def correlate1d(x: np.ndarray, w: np.ndarray, *, mode: str = "valid") -> np.ndarray:
    """1-D cross-correlation z[i'] = sum_i w[i] x[i' + i] (the notes' "correlation (similarity)").

    x: (N,), w: (F,) with F <= N. mode "valid" -> (N - F + 1,), "same" -> (N,), "full" -> (N + F - 1,)
    (zero padding; matches numpy.correlate).
    """
    xp, w = _padded_1d("correlate1d", x, w, mode)
    return sliding_window_view(xp, w.size) @ w          # each row of the view is one window


def convolve1d(x: np.ndarray, w: np.ndarray, *, mode: str = "valid") -> np.ndarray:
    """1-D convolution z[i'] = sum_i w[F-1-i] x[i' + i]: correlation with the kernel flipped.

    x: (N,), w: (F,) with F <= N. Shapes and modes as correlate1d; matches numpy.convolve.
    """
    xp, w = _padded_1d("convolve1d", x, w, mode)
    return sliding_window_view(xp, w.size) @ w[::-1]


def conv_matrix(w: np.ndarray, input_shape: tuple, *, stride: int | Pair = 1,
                padding: int | Pair = 0) -> np.ndarray:
    """The matrix C of the linear map x -> conv2d(x, w), so that conv2d(x, w).ravel() == C @ x.ravel().

    w: (kH, kW) with input_shape (H, W) -> C: (H' * W', H * W); or w: (C_out, C_in, kH, kW) with
    input_shape (C_in, H, W) -> C: (C_out * H' * W', C_in * H * W). Column k of C is the
    convolution of the k-th unit image, so each row holds the kernel's weights where its window
    lies and zeros elsewhere: a sparse matrix with shared entries.
    """
    w = real_array("conv_matrix", "w", w)
    if (w.ndim, len(input_shape)) not in ((2, 2), (4, 3)):
        raise ValueError(f"conv_matrix: expected w (kH, kW) with input_shape (H, W) or w (C_out, C_in, kH, kW) "
                         f"with input_shape (C_in, H, W); got w.shape={w.shape}, input_shape={tuple(input_shape)}")
    w4 = w.reshape((1, 1) + w.shape) if w.ndim == 2 else w
    shape3 = (1,) + tuple(input_shape) if w.ndim == 2 else tuple(input_shape)
    size = int(np.prod(shape3))
    basis = np.eye(size, dtype=w.dtype).reshape((size,) + shape3)   # one unit image per column of C
    images = conv2d_forward(basis, w4, stride=stride, padding=padding)[0]
    return images.reshape(size, -1).T
