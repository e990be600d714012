"""Upsampling by nearest-neighbour and bilinear interpolation (torch.nn.functional.interpolate).

Both are linear and act on the two spatial axes separately: out = A_h @ x @ A_w.T for every
(n, c) plane, where A_h (H', H) and A_w (W', W) are interpolation matrices. Row i of A_h says
which input rows output row i mixes, and with what weights: one 1 for nearest, two weights
(1 - lambda, lambda) for bilinear. The backward pass is the transpose: dx = A_h.T @ dout @ A_w.
Output size: H' = floor(H * scale_factor), as in torch.

x must be batched (N, C, H, W): torch's interpolate reads a 3-D input as (N, C, L), a 1-D signal, so
an unbatched image has no 2-D meaning there and is refused here too.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import check_dout, real_array

__all__ = [
    "upsample_nearest2d_forward", "upsample_nearest2d_backward", "upsample_nearest2d",
    "upsample_bilinear2d_forward", "upsample_bilinear2d_backward", "upsample_bilinear2d",
]

Scale = float | tuple[float, float]


class UpsampleCache(NamedTuple):
    a_h: np.ndarray        # (H', H)
    a_w: np.ndarray        # (W', W)
    batch: tuple           # (N, C): with (H', W'), the shape dout must have


def _scales(fn: str, scale_factor: Scale) -> tuple[float, float]:
    """A positive number or a (height, width) pair of them."""
    pair = (scale_factor,) * 2 if np.isscalar(scale_factor) else tuple(scale_factor)
    if len(pair) != 2 or not all(isinstance(s, (int, float, np.integer, np.floating)) for s in pair):
        raise TypeError(f"{fn}: scale_factor must be a number or a pair of numbers, got {scale_factor!r}")
    if min(pair) <= 0:
        raise ValueError(f"{fn}: scale_factor must be positive, got {scale_factor!r}")
    return float(pair[0]), float(pair[1])


def _nearest_matrix(n_in: int, scale: float) -> np.ndarray:
    """(n_out, n_in) 0/1 matrix: output i copies input floor(i / scale) (torch computes it in float32)."""
    n_out = int(np.floor(n_in * scale))
    src = np.floor(np.arange(n_out, dtype=np.float32) * np.float32(1.0 / scale)).astype(np.intp)
    src = np.minimum(src, n_in - 1)
    return (np.arange(n_in) == src[:, None]).astype(np.float64)


def _linear_matrix(n_in: int, scale: float, align_corners: bool) -> np.ndarray:
    """(n_out, n_in) matrix of linear-interpolation weights, torch's source-index rules.

    align_corners=True maps the corner pixel centres onto each other: src = i (n_in - 1) / (n_out - 1).
    align_corners=False maps pixel areas: src = (i + 0.5) / scale - 0.5, clamped at 0.
    """
    n_out = int(np.floor(n_in * scale))
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum((i + 0.5) * (1.0 / scale) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.intp), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = np.clip(src - i0, 0.0, 1.0)                   # weight of the right-hand neighbour
    cols = np.arange(n_in)
    return (1 - lam)[:, None] * (cols == i0[:, None]) + lam[:, None] * (cols == i1[:, None])


def _resample(fn: str, x, a_h_of, a_w_of) -> tuple[np.ndarray, UpsampleCache]:
    """out = A_h @ x @ A_w.T over the last two axes of x (N, C, H, W)."""
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    a_h, a_w = a_h_of(x.shape[2]).astype(x.dtype), a_w_of(x.shape[3]).astype(x.dtype)
    if a_h.shape[0] == 0 or a_w.shape[0] == 0:
        raise ValueError(f"{fn}: output size {(a_h.shape[0], a_w.shape[0])} is empty for x.shape={x.shape}")
    return np.matmul(np.matmul(a_h, x), a_w.T), UpsampleCache(a_h, a_w, x.shape[:2])


def _resample_backward(fn: str, dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """dx = A_h.T @ dout @ A_w: each output pixel hands its gradient back with the same weights."""
    out_shape = tuple(cache.batch) + (cache.a_h.shape[0], cache.a_w.shape[0])
    dout = check_dout(fn, dout, out_shape, cache.a_h.dtype)
    return np.matmul(np.matmul(cache.a_h.T, dout), cache.a_w)


def upsample_nearest2d_forward(x: np.ndarray, *, scale_factor: Scale) -> tuple[np.ndarray, UpsampleCache]:
    """Nearest-neighbour upsampling, as interpolate(x, scale_factor=s, mode="nearest").

    x: (N, C, H, W); scale_factor: number or (sH, sW) pair. Returns out: (N, C, H', W') with
    H' = floor(H sH), out[..., i, j] = x[..., floor(i / sH), floor(j / sW)], and a cache.
    """
    s_h, s_w = _scales("upsample_nearest2d_forward", scale_factor)
    return _resample("upsample_nearest2d_forward", x, lambda n: _nearest_matrix(n, s_h),
                     lambda n: _nearest_matrix(n, s_w))


def upsample_nearest2d_backward(dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """Gradient of upsample_nearest2d_forward: each input pixel sums the dout of its copies.

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    return _resample_backward("upsample_nearest2d_backward", dout, cache)


def upsample_nearest2d(x: np.ndarray, *, scale_factor: Scale) -> np.ndarray:
    """Forward-only upsample_nearest2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return upsample_nearest2d_forward(x, scale_factor=scale_factor)[0]


def upsample_bilinear2d_forward(x: np.ndarray, *, scale_factor: Scale,
                                align_corners: bool = False) -> tuple[np.ndarray, UpsampleCache]:
    """Bilinear upsampling, as interpolate(x, scale_factor=s, mode="bilinear", align_corners=...).

    x: (N, C, H, W); scale_factor: number or (sH, sW) pair. Returns out: (N, C, H', W') with
    H' = floor(H sH): linear interpolation down the columns, then along the rows; and a cache.
    """
    s_h, s_w = _scales("upsample_bilinear2d_forward", scale_factor)
    return _resample("upsample_bilinear2d_forward", x, lambda n: _linear_matrix(n, s_h, align_corners),
                     lambda n: _linear_matrix(n, s_w, align_corners))


def upsample_bilinear2d_backward(dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """Gradient of upsample_bilinear2d_forward: dout shared back with the interpolation weights.

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    return _resample_backward("upsample_bilinear2d_backward", dout, cache)


def upsample_bilinear2d(x: np.ndarray, *, scale_factor: Scale, align_corners: bool = False) -> np.ndarray:
    """Forward-only upsample_bilinear2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return upsample_bilinear2d_forward(x, scale_factor=scale_factor, align_corners=align_corners)[0]
