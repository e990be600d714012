"""Upsampling by nearest-neighbour and bilinear interpolation (torch.nn.functional.interpolate).

Both are linear and act on the two spatial axes separately: out = A_h @ x @ A_w.T for every
(n, c) plane, where A_h (H', H) and A_w (W', W) are interpolation matrices. Row i of A_h says
which input rows output row i mixes, and with what weights: one 1 for nearest, two weights
(1 - lambda, lambda) for bilinear. The backward pass is the transpose: dx = A_h.T @ dout @ A_w.
Output size, as in torch: H' = floor(H * scale_factor), or H' given by ``size``. Output row i
reads input row src(i) = i * r (nearest, floored) or (i + 1/2) r - 1/2 (bilinear, the pixel
centres lined up), with the ratio r = 1 / scale_factor when a scale is given and r = H / H' when
a size is (torch's rule; the two differ when H * scale_factor is not a whole number).

The matrices are mostly zeros, and 0 * inf is NaN: multiplying by them would let one inf or NaN
pixel spoil its whole row. So each axis applies what a row of A holds, a gather of (at most) two
neighbours x[..., i0, :] and x[..., i1, :] weighted 1 - lambda and lambda, and the backward
scatters dout onto the same two (np.add.at). An inf then reaches exactly the outputs it feeds, as
in torch, whose formula (width first, then height) this follows.

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


class Taps(NamedTuple):
    """One axis of an interpolation, row by row of its matrix A: output i reads inputs i0[i] and i1[i]
    with weights 1 - lam[i] and lam[i]; nearest reads i0 alone (lam is None)."""
    i0: np.ndarray
    i1: np.ndarray
    lam: np.ndarray | None
    n_in: int


class UpsampleCache(NamedTuple):
    rows: Taps             # along H: H' outputs from H inputs
    cols: Taps             # along W
    batch: tuple           # (N, C): with (H', W'), the shape dout must have
    dtype: np.dtype


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


def _nearest_taps(n_in: int, n_out: int, scale: float | None) -> Taps:
    """Output i copies input floor(i r) (a row of A with one 1), torch's rule computed as torch does
    (in float32, with r = 1 / scale or n_in / n_out), and exactly i or i // 2 for sizes kept or doubled."""
    i = np.arange(n_out)
    if n_out == n_in:
        src = i
    elif n_out == 2 * n_in:
        src = i // 2
    else:
        ratio = np.float32(1.0 / scale) if scale is not None else np.float32(n_in) / np.float32(n_out)
        src = np.minimum(np.floor(i.astype(np.float32) * ratio).astype(np.intp), n_in - 1)
    return Taps(src, src, None, n_in)


def _linear_taps(n_in: int, n_out: int, scale: float | None, align_corners: bool) -> Taps:
    """Linear-interpolation taps (a row of A holds 1 - lam and lam), torch's source-index rules.

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
    return Taps(i0, i1, lam, n_in)


def _apply(x: np.ndarray, taps: Taps, axis: int) -> np.ndarray:
    """A along ``axis``, row by row: x[i0] for nearest, (1 - lam) x[i0] + lam x[i1] for linear."""
    first = np.take(x, taps.i0, axis=axis)
    if taps.lam is None:
        return first
    shape = [1] * x.ndim
    shape[axis] = -1
    lam = taps.lam.astype(x.dtype).reshape(shape)
    with np.errstate(invalid="ignore"):             # 0 * inf = NaN, as in torch's formula
        return (1 - lam) * first + lam * np.take(x, taps.i1, axis=axis)


def _apply_transpose(g: np.ndarray, taps: Taps, axis: int) -> np.ndarray:
    """A.T along ``axis``: each output's g goes back to i0 (times 1 - lam) and to i1 (times lam)."""
    g = np.moveaxis(g, axis, 0)
    out = np.zeros((taps.n_in,) + g.shape[1:], dtype=g.dtype)
    if taps.lam is None:
        np.add.at(out, taps.i0, g)                     # several outputs may copy one input: add them all
    else:
        lam = taps.lam.astype(g.dtype).reshape((-1,) + (1,) * (g.ndim - 1))
        with np.errstate(invalid="ignore"):
            np.add.at(out, taps.i0, (1 - lam) * g)
            np.add.at(out, taps.i1, lam * g)
    return np.moveaxis(out, 0, axis)


def _resample(fn: str, x, size, scale_factor, taps) -> tuple[np.ndarray, UpsampleCache]:
    """out = A_h @ x @ A_w.T over the last two axes of x (N, C, H, W), along W first, then H (torch's
    order); taps(n_in, n_out, scale) gives the rows of A."""
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    (h_out, s_h), (w_out, s_w) = _axes(fn, x.shape, size, scale_factor)
    if h_out == 0 or w_out == 0:
        raise ValueError(f"{fn}: output size {(h_out, w_out)} is empty for x.shape={x.shape}")
    rows, cols = taps(x.shape[2], h_out, s_h), taps(x.shape[3], w_out, s_w)
    out = _apply(_apply(x, cols, axis=3), rows, axis=2)
    return out, UpsampleCache(rows, cols, x.shape[:2], x.dtype)


def _resample_backward(fn: str, dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """dx = A_h.T @ dout @ A_w: each output pixel hands its gradient back with the same weights."""
    out_shape = tuple(cache.batch) + (cache.rows.i0.size, cache.cols.i0.size)
    dout = check_dout(fn, dout, out_shape, cache.dtype)
    return _apply_transpose(_apply_transpose(dout, cache.rows, axis=2), cache.cols, axis=3)


def upsample_nearest2d_forward(x: np.ndarray, *, size: int | Pair | None = None,
                               scale_factor: Scale | None = None) -> tuple[np.ndarray, UpsampleCache]:
    """Nearest-neighbour upsampling, as interpolate(x, size=..., scale_factor=..., mode="nearest").

    x: (N, C, H, W); exactly one of size (H', W') (or one int for both) and scale_factor (a
    number or an (sH, sW) pair, H' = floor(H sH)). Returns out: (N, C, H', W') with
    out[..., i, j] = x[..., floor(i r_h), floor(j r_w)] (r = 1 / s, or H / H' for a size), and a cache.
    2-D only: 1-D and 3-D spatial inputs, other interpolation modes (mode=) and antialias are not
    implemented (see the module docstring).
    """
    return _resample("upsample_nearest2d_forward", x, size, scale_factor, _nearest_taps)


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
                     lambda n_in, n_out, scale: _linear_taps(n_in, n_out, scale, align_corners))


def upsample_bilinear2d_backward(dout: np.ndarray, cache: UpsampleCache) -> np.ndarray:
    """Gradient of upsample_bilinear2d_forward: dout shared back with the interpolation weights.

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    return _resample_backward("upsample_bilinear2d_backward", dout, cache)


def upsample_bilinear2d(x: np.ndarray, *, size: int | Pair | None = None, scale_factor: Scale | None = None,
                        align_corners: bool = False) -> np.ndarray:
    """Forward-only upsample_bilinear2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return upsample_bilinear2d_forward(x, size=size, scale_factor=scale_factor, align_corners=align_corners)[0]
