"""Upsampling by nearest-neighbour and bilinear interpolation (torch.nn.functional.interpolate).

Both are linear and act on the two spatial axes separately: out = A_h @ x @ A_w.T for every
(n, c) plane, where A_h (H', H) and A_w (W', W) are interpolation matrices. Row i of A_h says
which input rows output row i mixes, and with what weights: one 1 for nearest, two weights
(1 - lambda, lambda) for bilinear. The backward pass is the transpose: dx = A_h.T @ dout @ A_w.
Output size, as in torch: H' = floor(H * scale_factor), or H' given by ``size``. Output row i
reads input row src(i) = i * r (nearest, floored) or (i + 1/2) r - 1/2 (bilinear, the pixel
centres lined up), with the ratio r = 1 / scale_factor when a scale is given and r = H / H' when
a size is (torch's rule; the two differ when H * scale_factor is not a whole number).

x must be batched (N, C, H, W): torch's interpolate reads a 3-D input as (N, C, L), a 1-D signal, so
an unbatched image has no 2-D meaning there and is refused here too.

Left out on purpose (the course upsamples images, in decoders and segmentation heads): 1-D and
3-D spatial inputs (torch's mode="linear"/"trilinear" and nearest on (N, C, L) or (N, C, D, H, W)),
the other modes (bicubic, area, nearest-exact), and antialias=True (a low-pass filter for downsampling).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import check_dout, int_pair, real_array

__all__ = [
    "upsample_nearest2d_forward", "upsample_nearest2d_backward", "upsample_nearest2d",
    "upsample_bilinear2d_forward", "upsample_bilinear2d_backward", "upsample_bilinear2d",
]

Scale = float | tuple[float, float]
Pair = tuple[int, int]


class UpsampleCache(NamedTuple):
    a_h: np.ndarray        # (H', H)
    a_w: np.ndarray        # (W', W)
    batch: tuple           # (N, C): with (H', W'), the shape dout must have


def _axes(fn: str, x_shape: tuple, size, scale_factor) -> list[tuple[int, float | None]]:
    """Per spatial axis: (output size, the user's scale or None when the size was given)."""
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{fn}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    if size is not None:
        return [(n, None) for n in int_pair(fn, "size", size, minimum=1)]
    pair = (scale_factor,) * 2 if np.isscalar(scale_factor) else tuple(scale_factor)
    if len(pair) != 2 or not all(isinstance(s, (int, float, np.integer, np.floating))
                                 and not isinstance(s, (bool, np.bool_)) for s in pair):
        raise TypeError(f"{fn}: scale_factor must be a number or a pair of numbers, got {scale_factor!r}")
    if min(pair) <= 0:
        raise ValueError(f"{fn}: scale_factor must be positive, got {scale_factor!r}")
    return [(int(np.floor(n * float(s))), float(s)) for n, s in zip(x_shape[2:], pair)]


def _nearest_matrix(n_in: int, n_out: int, scale: float | None) -> np.ndarray:
    """(n_out, n_in) 0/1 matrix: output i copies input floor(i r), torch's rule computed as torch does
    (in float32, with r = 1 / scale or n_in / n_out), and exactly i or i // 2 for sizes kept or doubled."""
    i = np.arange(n_out)
    if n_out == n_in:
        src = i
    elif n_out == 2 * n_in:
        src = i // 2
    else:
        ratio = np.float32(1.0 / scale) if scale is not None else np.float32(n_in) / np.float32(n_out)
        src = np.minimum(np.floor(i.astype(np.float32) * ratio).astype(np.intp), n_in - 1)
    return (np.arange(n_in) == src[:, None]).astype(np.float64)


def _linear_matrix(n_in: int, n_out: int, scale: float | None, align_corners: bool) -> np.ndarray:
    """(n_out, n_in) matrix of linear-interpolation weights, torch's source-index rules.

    align_corners=True maps the corner pixel centres onto each other: src = i (n_in - 1) / (n_out - 1).
    align_corners=False maps pixel areas: src = (i + 0.5) r - 0.5, clamped at 0, with the ratio
    r = 1 / scale, or n_in / n_out when the size was given.
    """
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        ratio = 1.0 / scale if scale is not None else n_in / n_out
        src = np.maximum((i + 0.5) * ratio - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.intp), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = np.clip(src - i0, 0.0, 1.0)                   # weight of the right-hand neighbour
    cols = np.arange(n_in)
    return (1 - lam)[:, None] * (cols == i0[:, None]) + lam[:, None] * (cols == i1[:, None])


def _resample(fn: str, x, size, scale_factor, matrix) -> tuple[np.ndarray, UpsampleCache]:
    """out = A_h @ x @ A_w.T over the last two axes of x (N, C, H, W); matrix(n_in, n_out, scale) -> A."""
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    (h_out, s_h), (w_out, s_w) = _axes(fn, x.shape, size, scale_factor)
    if h_out == 0 or w_out == 0:
        raise ValueError(f"{fn}: output size {(h_out, w_out)} is empty for x.shape={x.shape}")
    a_h, a_w = matrix(x.shape[2], h_out, s_h).astype(x.dtype), matrix(x.shape[3], w_out, s_w).astype(x.dtype)
    return np.matmul(np.matmul(a_h, x), a_w.T), UpsampleCache(a_h, a_w, x.shape[:2])


def _resample_backward(fn: str, dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """dx = A_h.T @ dout @ A_w: each output pixel hands its gradient back with the same weights."""
    out_shape = tuple(cache.batch) + (cache.a_h.shape[0], cache.a_w.shape[0])
    dout = check_dout(fn, dout, out_shape, cache.a_h.dtype)
    return np.matmul(np.matmul(cache.a_h.T, dout), cache.a_w)


def upsample_nearest2d_forward(x: np.ndarray, *, size: int | Pair | None = None,
                               scale_factor: Scale | None = None) -> tuple[np.ndarray, UpsampleCache]:
    """Nearest-neighbour upsampling, as interpolate(x, size=..., scale_factor=..., mode="nearest").

    x: (N, C, H, W); exactly one of size (H', W') (or one int for both) and scale_factor (a
    number or an (sH, sW) pair, H' = floor(H sH)). Returns out: (N, C, H', W') with
    out[..., i, j] = x[..., floor(i r_h), floor(j r_w)] (r = 1 / s, or H / H' for a size), and a cache.
    2-D only: 1-D and 3-D spatial inputs, other interpolation modes (mode=) and antialias are not
    implemented (see the module docstring).
    """
    return _resample("upsample_nearest2d_forward", x, size, scale_factor, _nearest_matrix)


def upsample_nearest2d_backward(dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """Gradient of upsample_nearest2d_forward: each input pixel sums the dout of its copies.

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    return _resample_backward("upsample_nearest2d_backward", dout, cache)


def upsample_nearest2d(x: np.ndarray, *, size: int | Pair | None = None,
                       scale_factor: Scale | None = None) -> np.ndarray:
    """Forward-only upsample_nearest2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return upsample_nearest2d_forward(x, size=size, scale_factor=scale_factor)[0]


def upsample_bilinear2d_forward(x: np.ndarray, *, size: int | Pair | None = None, scale_factor: Scale | None = None,
                                align_corners: bool = False) -> tuple[np.ndarray, UpsampleCache]:
    """Bilinear upsampling, as interpolate(x, size=..., scale_factor=..., mode="bilinear", align_corners=...).

    x: (N, C, H, W); exactly one of size (H', W') (or one int for both) and scale_factor (a
    number or an (sH, sW) pair, H' = floor(H sH)). Returns out: (N, C, H', W'): linear
    interpolation down the columns, then along the rows; and a cache. 2-D only: 1-D and 3-D
    spatial inputs and antialias=True are not implemented (see the module docstring).
    """
    return _resample("upsample_bilinear2d_forward", x, size, scale_factor,
                     lambda n_in, n_out, scale: _linear_matrix(n_in, n_out, scale, align_corners))


def upsample_bilinear2d_backward(dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """Gradient of upsample_bilinear2d_forward: dout shared back with the interpolation weights.

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    return _resample_backward("upsample_bilinear2d_backward", dout, cache)


def upsample_bilinear2d(x: np.ndarray, *, size: int | Pair | None = None, scale_factor: Scale | None = None,
                        align_corners: bool = False) -> np.ndarray:
    """Forward-only upsample_bilinear2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return upsample_bilinear2d_forward(x, size=size, scale_factor=scale_factor, align_corners=align_corners)[0]
