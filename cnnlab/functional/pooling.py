"""Pooling: max (with torch-compatible switches and unpooling), average, L2 and global average.

A pooling window of kH x kW moves with stride (sH, sW) over x padded by (pH, pW); output size
H' = (H + 2 pH - dH (kH - 1) - 1) // sH + 1, dH the dilation (max pooling only; 1 elsewhere).
Windows overlap when the stride is smaller than the kernel (AlexNet's width 3, stride 2).
ceil_mode=True rounds that division up (GoogLeNet's pools), so that a last, partial window covers
the rest of the input; as torch, a window must start inside the input or its left padding. The
partial window reads past the padded input: max pooling pads it with -inf, average pooling with
zeros that never count in the divisor.

The vectorised versions loop over the kH * kW offsets (u, v) of the window, not over pixels: for a
fixed offset, the pixels that all windows read form one strided slice of the input, so each step
is one whole-array operation. The backward passes add strided slices back the same way.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import Pair, check_dout, check_shape, int_pair, real_array
from cnnlab.functional._windows import (Unbatched, check_fits, offsets, out_size, pad, transposed_out_size,
                                        unbatched_backward, unbatched_forward, unpad, with_batch_axis)

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward", "max_pool2d",
    "max_pool2d_forward_naive", "max_pool2d_backward_naive",
    "max_pool2d_with_indices", "max_unpool2d_forward", "max_unpool2d_backward", "max_unpool2d",
    "avg_pool2d_forward", "avg_pool2d_backward", "avg_pool2d",
    "l2_pool2d_forward", "l2_pool2d_backward", "l2_pool2d",
    "global_avg_pool2d_forward", "global_avg_pool2d_backward", "global_avg_pool2d",
]

_ONE: Pair = (1, 1)   # pooling windows are never dilated


class _PoolArgs(NamedTuple):
    x: np.ndarray
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    out_hw: Pair
    extra: Pair        # ceil_mode: how far the last window reaches past the padded input (bottom, right)


def _check_pool(fn: str, x, kernel_size, stride, padding, dilation=1, ceil_mode=False) -> _PoolArgs:
    """Validate pooling arguments; stride defaults to kernel_size; padding at most half the kernel (as torch)."""
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    kernel, stride, padding = _window_args(fn, kernel_size, stride, padding)
    dilation = int_pair(fn, "dilation", dilation, minimum=1)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"{fn}: ceil_mode must be a bool, got {type(ceil_mode).__name__} {ceil_mode!r}")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{fn}: padding={padding} must be at most half of kernel_size={kernel}")
    check_fits(fn, x.shape, kernel, padding, dilation)
    out_hw = tuple(out_size(n, k, s, p, d, ceil_mode=bool(ceil_mode))
                   for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation))
    # the last window spans (H' - 1) s + d (k - 1) + 1 rows; anything past H + 2p is ceil_mode's overhang
    extra = tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
                  for o, n, k, s, p, d in zip(out_hw, x.shape[2:], kernel, stride, padding, dilation))
    return _PoolArgs(x, kernel, stride, padding, dilation, out_hw, extra)


def _window_args(fn: str, kernel_size, stride, padding) -> tuple[Pair, Pair, Pair]:
    """kernel_size, stride (default: kernel_size) and padding as pairs."""
    kernel = int_pair(fn, "kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else int_pair(fn, "stride", stride, minimum=1)
    return kernel, stride, int_pair(fn, "padding", padding, minimum=0)


def _pad_pool(x: np.ndarray, padding: Pair, extra: Pair, value: float = 0.0) -> np.ndarray:
    """x padded by (pH, pW) on both sides, plus ceil_mode's ``extra`` rows/columns after, with ``value``."""
    if not any(padding) and not any(extra):
        return x
    (ph, pw), (eh, ew) = padding, extra
    return np.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)), constant_values=value)


def _grad_buffer(x_shape: tuple, padding: Pair, extra: Pair, dtype) -> np.ndarray:
    """Zeros of the padded input's shape (ceil_mode's overhang included), for the backward passes."""
    n, c, h, w = x_shape
    return np.zeros((n, c, h + 2 * padding[0] + extra[0], w + 2 * padding[1] + extra[1]), dtype=dtype)


# ----------------------------------------------------------------------------- max pooling

class MaxPool2dCache(NamedTuple):
    x_shape: tuple
    arg: np.ndarray        # (N, C, H', W'): offset u * kW + v of each window's first maximum
    kernel: Pair
    stride: Pair
    padding: Pair
    dtype: np.dtype        # x's: the gradient comes back in it
    dilation: Pair = (1, 1)
    extra: Pair = (0, 0)   # ceil_mode's overhang (see _check_pool)


@unbatched_forward()
def max_pool2d_forward(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                       padding: int | Pair = 0, dilation: int | Pair = 1,
                       ceil_mode: bool = False) -> tuple[np.ndarray, MaxPool2dCache | Unbatched]:
    """Max pooling over kH x kW windows (padding counts as -inf, as in torch).

    x: (N, C, H, W), or one unbatched sample (C, H, W) (out then has no N). Returns out: (N, C, H', W') with H' = (H + 2 pH - dH (kH - 1) - 1) // sH + 1
    (rounded up with ceil_mode=True, see the module docstring), and a cache for max_pool2d_backward.
    dilation spreads the window's taps dH rows and dW columns apart. Ties send the gradient to the
    first maximum in row-major window order; a window holding NaN outputs NaN and sends its gradient
    to its last NaN (torch's rule).
    """
    x, kernel, stride, padding, dilation, out_hw, extra = _check_pool(
        "max_pool2d_forward", x, kernel_size, stride, padding, dilation, ceil_mode)
    xp = _pad_pool(x, padding, extra, -np.inf)      # -inf never wins a max (torch's padding)
    out = arg = None
    for k, (_, _, region) in enumerate(offsets(kernel, stride, dilation, out_hw)):
        candidate = xp[region]                      # offset k of every window at once
        if out is None:
            out, arg = candidate.copy(), np.zeros(candidate.shape, np.min_scalar_type(kernel[0] * kernel[1]))
            continue
        # strictly greater: earlier maxima win ties; a NaN always wins (the last one), as in torch
        better = (candidate > out) | np.isnan(candidate)
        # arg = k where better. k only grows, so max(arg, better * k) does it with arithmetic; it is
        # many times faster than np.copyto(arg, k, where=better), which branches on a random mask.
        np.maximum(arg, better * arg.dtype.type(k), out=arg)
        np.maximum(out, candidate, out=out)
    return out, MaxPool2dCache(x.shape, arg, kernel, stride, padding, x.dtype, dilation, extra)


@unbatched_backward
def max_pool2d_backward(dout: np.ndarray, cache: MaxPool2dCache | Unbatched) -> np.ndarray:
    """Gradient of max_pool2d_forward: each window's dout goes to its (first) maximum, zero elsewhere.

    dout: (N, C, H', W'), or (C, H', W') for an unbatched x. Returns dx: (N, C, H, W) (or (C, H, W)).
    """
    x_shape, arg, kernel, stride, padding, dtype, dilation, extra = cache
    dout = check_dout("max_pool2d_backward", dout, arg.shape, dtype)
    dxp = _grad_buffer(x_shape, padding, extra, dtype)
    zero = np.zeros((), dtype)
    # dout * (arg == k) picks the gradients of the windows whose maximum is at offset k without
    # branching on the mask (np.where does, and is ~3x slower on a random one). It is exact for
    # finite dout; 0 * inf would be nan, so np.where handles a dout with infs or nans.
    finite = bool(np.isfinite(dout).all())
    # Windows no longer than the stride never share a pixel: then each offset's slice is written
    # once (no read-modify-write of dxp); otherwise the shares of overlapping windows add up.
    overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
    for k, (_, _, region) in enumerate(offsets(kernel, stride, dilation, arg.shape[2:])):
        share = dout * (arg == k) if finite else np.where(arg == k, dout, zero)
        if overlap:
            dxp[region] += share
        else:
            dxp[region] = share
    return np.ascontiguousarray(unpad(dxp, padding, x_shape[2:]))


def max_pool2d(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0, dilation: int | Pair = 1, ceil_mode: bool = False) -> np.ndarray:
    """Forward-only max_pool2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return max_pool2d_forward(x, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                              ceil_mode=ceil_mode)[0]


class MaxPool2dNaiveCache(NamedTuple):
    x_shape: tuple
    argmax: np.ndarray     # (N, C, H', W', 2): padded (row, col) of each window's first maximum
    padding: Pair
    dtype: np.dtype
    extra: Pair = (0, 0)


@unbatched_forward()
def max_pool2d_forward_naive(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                             padding: int | Pair = 0, dilation: int | Pair = 1,
                             ceil_mode: bool = False) -> tuple[np.ndarray, MaxPool2dNaiveCache | Unbatched]:
    """max_pool2d_forward as loops over every window; remembers where each maximum was (the "switches").

    x: (N, C, H, W), or one unbatched sample (C, H, W) (out then has no N). Returns out: (N, C, H', W') and a cache for max_pool2d_backward_naive.
    """
    x, kernel, stride, padding, dilation, out_hw, extra = _check_pool(
        "max_pool2d_forward_naive", x, kernel_size, stride, padding, dilation, ceil_mode)
    xp = _pad_pool(x, padding, extra, -np.inf)      # -inf never wins a max (torch's padding)
    out = np.zeros(x.shape[:2] + out_hw, dtype=x.dtype)
    argmax = np.zeros(out.shape + (2,), dtype=np.intp)
    (k_h, k_w), (d_h, d_w) = kernel, dilation
    for n, c, i, j in np.ndindex(out.shape):
        top, left = i * stride[0], j * stride[1]
        window = xp[n, c, top:top + d_h * (k_h - 1) + 1:d_h, left:left + d_w * (k_w - 1) + 1:d_w]
        nans = np.flatnonzero(np.isnan(window))
        # the first maximum (np.argmax's choice), unless the window holds NaN: then its last NaN, as torch
        u, v = np.unravel_index(nans[-1] if nans.size else np.argmax(window), kernel)
        out[n, c, i, j] = window[u, v]
        argmax[n, c, i, j] = top + u * d_h, left + v * d_w
    return out, MaxPool2dNaiveCache(x.shape, argmax, padding, x.dtype, extra)


@unbatched_backward
def max_pool2d_backward_naive(dout: np.ndarray, cache: MaxPool2dNaiveCache | Unbatched) -> np.ndarray:
    """max_pool2d_backward as a loop: window (i, j) adds dout[n, c, i, j] at its maximum.

    dout: (N, C, H', W'), or (C, H', W') for an unbatched x. Returns dx: (N, C, H, W) (or (C, H, W)).
    """
    x_shape, argmax, padding, dtype, extra = cache
    dout = check_dout("max_pool2d_backward_naive", dout, argmax.shape[:-1], dtype)
    dxp = _grad_buffer(x_shape, padding, extra, dtype)
    for n, c, i, j in np.ndindex(dout.shape):
        row, col = argmax[n, c, i, j]
        dxp[n, c, row, col] += dout[n, c, i, j]       # overlapping windows may share a maximum
    return unpad(dxp, padding, x_shape[2:]).copy()


# ----------------------------------------------------------------------------- switches and unpooling

def max_pool2d_with_indices(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                            padding: int | Pair = 0, dilation: int | Pair = 1,
                            ceil_mode: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling that also returns the switches, as torch's max_pool2d(..., return_indices=True).

    x: (N, C, H, W) or (C, H, W). Returns out: (N, C, H', W') and indices: (N, C, H', W') int64
    (both without N for an unbatched x), the flat position row * W + col of each maximum within its
    (H, W) plane (unpadded coordinates).
    """
    x, unbatched = with_batch_axis("max_pool2d_with_indices", x)
    out, cache = max_pool2d_forward(x, kernel_size=kernel_size, stride=stride, padding=padding,
                                    dilation=dilation, ceil_mode=ceil_mode)
    (k_h, k_w), (s_h, s_w), (p_h, p_w), (d_h, d_w) = cache.kernel, cache.stride, cache.padding, cache.dilation
    h_out, w_out = out.shape[2:]
    u, v = np.divmod(cache.arg.astype(np.int64), k_w)              # offset inside the window
    rows = np.arange(h_out)[:, None] * s_h + u * d_h - p_h          # window origin + offset
    cols = np.arange(w_out)[None, :] * s_w + v * d_w - p_w
    indices = rows * x.shape[3] + cols
    return (out[0], indices[0]) if unbatched else (out, indices)


class MaxUnpool2dCache(NamedTuple):
    indices: np.ndarray    # (N, C, H' * W'): where each input value went in its output plane
    x_shape: tuple
    out_shape: tuple
    dtype: np.dtype


def max_unpool2d_forward(x: np.ndarray, indices: np.ndarray, *, kernel_size: int | Pair,
                         stride: int | Pair | None = None, padding: int | Pair = 0,
                         output_size: tuple | None = None) -> tuple[np.ndarray, MaxUnpool2dCache | Unbatched]:
    """Approximate inverse of max pooling: put each value back where its maximum came from, zeros elsewhere.

    x, indices: (N, C, H', W'), or unbatched (C, H', W') (indices from max_pool2d_with_indices).
    Returns out: (N, C, H, W) (no N when x has none) with H = (H' - 1) sH - 2 pH + kH unless
    output_size gives (H, W) (or the whole output shape), and a cache for max_unpool2d_backward.
    out[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j].
    """
    fn = "max_unpool2d_forward"
    x, unbatched = with_batch_axis(fn, x, "(N, C, H', W')")
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"{fn}: indices must be an integer array, got dtype {indices.dtype}")
    indices = check_shape(fn, "indices", indices[None] if unbatched else indices, x.shape, " (x's shape)")
    kernel, stride, padding = _window_args(fn, kernel_size, stride, padding)
    if output_size is None:
        hw = tuple(transposed_out_size(n, k, s, p) for n, k, s, p in zip(x.shape[2:], kernel, stride, padding))
    else:
        hw = tuple(int(v) for v in tuple(output_size)[-2:])
    if indices.size and (indices.min() < 0 or indices.max() >= hw[0] * hw[1]):
        raise ValueError(f"{fn}: indices must lie in [0, {hw[0] * hw[1]}) for an output of size {hw}, "
                         f"got values in [{indices.min()}, {indices.max()}]")
    out = np.zeros(x.shape[:2] + (hw[0] * hw[1],), dtype=x.dtype)
    flat = indices.reshape(x.shape[:2] + (x.shape[2] * x.shape[3],))
    np.put_along_axis(out, flat, x.reshape(flat.shape), axis=2)
    out, cache = out.reshape(x.shape[:2] + hw), MaxUnpool2dCache(flat, x.shape, x.shape[:2] + hw, x.dtype)
    return (out[0], Unbatched(cache, out.shape[1:])) if unbatched else (out, cache)


@unbatched_backward
def max_unpool2d_backward(dout: np.ndarray, cache: MaxUnpool2dCache | Unbatched) -> np.ndarray:
    """Gradient of max_unpool2d_forward: out.flat[idx] = x, so dx = dout.flat[idx], a gather;
    the zeros depend on no input. dout: (N, C, H, W) or (C, H, W). Returns dx: (N, C, H', W') or (C, H', W')."""
    dout = check_dout("max_unpool2d_backward", dout, cache.out_shape, cache.dtype)
    n, c, h, w = cache.out_shape
    planes = dout.reshape(n, c, h * w)
    return np.take_along_axis(planes, cache.indices, axis=2).reshape(cache.x_shape)


def max_unpool2d(x: np.ndarray, indices: np.ndarray, *, kernel_size: int | Pair,
                 stride: int | Pair | None = None, padding: int | Pair = 0,
                 output_size: tuple | None = None) -> np.ndarray:
    """Forward-only max_unpool2d_forward: x, indices (N, C, H', W') -> (N, C, H, W)."""
    return max_unpool2d_forward(x, indices, kernel_size=kernel_size, stride=stride, padding=padding,
                                output_size=output_size)[0]


# ----------------------------------------------------------------------------- average and L2

class AvgPool2dCache(NamedTuple):
    x_shape: tuple
    kernel: Pair
    stride: Pair
    padding: Pair
    out_shape: tuple
    dtype: np.dtype
    divisor: np.ndarray | float = 1.0     # what each window's sum was divided by: (1, 1, H', W') or a number
    extra: Pair = (0, 0)                  # ceil_mode's overhang (see _check_pool)


def _window_sum(xp: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair) -> np.ndarray:
    """sum over each window: (N, C, H', W'), one strided slice per kernel offset."""
    total = np.zeros(xp.shape[:2] + out_hw, dtype=xp.dtype)
    for _, _, region in offsets(kernel, stride, _ONE, out_hw):
        total += xp[region]
    return total


def _spread(g: np.ndarray, x_shape: tuple, kernel: Pair, stride: Pair, padding: Pair,
            xp: np.ndarray | None = None, extra: Pair = (0, 0)) -> np.ndarray:
    """Adjoint of a window sum: add g (N, C, H', W') to every pixel of its window (times xp if given)."""
    dxp = _grad_buffer(x_shape, padding, extra, g.dtype)
    for _, _, region in offsets(kernel, stride, _ONE, g.shape[2:]):
        dxp[region] += g if xp is None else g * xp[region]
    return np.ascontiguousarray(unpad(dxp, padding, x_shape[2:]))


def _avg_divisor(fn: str, x_shape: tuple, kernel: Pair, stride: Pair, padding: Pair, out_hw: Pair, extra: Pair,
                 count_include_pad: bool, divisor_override, dtype) -> np.ndarray | float:
    """What each window's sum is divided by, torch's rule: divisor_override if given; else the
    number of the window's cells that count, zero padding included (count_include_pad) or not,
    ceil_mode's overhang never. That count is the window sum of a mask of the cells that count
    (1, 1, H', W'); a plain kH * kW when every window is whole."""
    if divisor_override is not None:
        if isinstance(divisor_override, (bool, np.bool_)) or not isinstance(divisor_override, (int, np.integer)):
            raise TypeError(f"{fn}: divisor_override must be an int or None, got "
                            f"{type(divisor_override).__name__} {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError(f"{fn}: divisor_override must not be 0")
        return dtype.type(divisor_override)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"{fn}: count_include_pad must be a bool, got {type(count_include_pad).__name__}")
    if not any(extra) and (count_include_pad or not any(padding)):
        return dtype.type(kernel[0] * kernel[1])
    ones = np.ones((1, 1) + tuple(x_shape[2:]), dtype=dtype)
    mask = _pad_pool(ones, padding, (0, 0), 1.0 if count_include_pad else 0.0)   # padding counts, or not
    return _window_sum(_pad_pool(mask, (0, 0), extra), kernel, stride, out_hw)     # the overhang never does


@unbatched_forward()
def avg_pool2d_forward(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                       padding: int | Pair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                       divisor_override: int | None = None) -> tuple[np.ndarray, AvgPool2dCache | Unbatched]:
    """Average pooling, torch's avg_pool2d: each window's sum divided by its number of cells.

    x: (N, C, H, W), or one unbatched sample (C, H, W) (out then has no N). Returns out: (N, C, H', W') and a cache. Zero padding counts in the average
    (count_include_pad=True, torch's default) or not (False: border windows average only their
    pixels). ceil_mode=True adds partial windows at the end (module docstring); the cells past the
    padded input never count. divisor_override: an int that divides every window sum instead.
    """
    fn = "avg_pool2d_forward"
    x, kernel, stride, padding, _, out_hw, extra = _check_pool(fn, x, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _avg_divisor(fn, x.shape, kernel, stride, padding, out_hw, extra, count_include_pad,
                           divisor_override, x.dtype)
    out = _window_sum(_pad_pool(x, padding, extra), kernel, stride, out_hw) / divisor
    return out, AvgPool2dCache(x.shape, kernel, stride, padding, out.shape, x.dtype, divisor, extra)


@unbatched_backward
def avg_pool2d_backward(dout: np.ndarray, cache: AvgPool2dCache | Unbatched) -> np.ndarray:
    """Gradient of avg_pool2d_forward: every pixel of a window gets that window's dout / divisor.

    dout: (N, C, H', W'), or (C, H', W') for an unbatched x. Returns dx: (N, C, H, W) (or (C, H, W)).
    """
    x_shape, kernel, stride, padding, out_shape, dtype, divisor, extra = cache
    dout = check_dout("avg_pool2d_backward", dout, out_shape, dtype)
    return _spread((dout / divisor).astype(dtype, copy=False), x_shape, kernel, stride, padding, extra=extra)


def avg_pool2d(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> np.ndarray:
    """Forward-only avg_pool2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return avg_pool2d_forward(x, kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                              count_include_pad=count_include_pad, divisor_override=divisor_override)[0]


class L2Pool2dCache(NamedTuple):
    xp: np.ndarray         # padded input
    out: np.ndarray
    kernel: Pair
    stride: Pair
    padding: Pair
    x_shape: tuple


@unbatched_forward()
def l2_pool2d_forward(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                      padding: int | Pair = 0) -> tuple[np.ndarray, L2Pool2dCache | Unbatched]:
    """L2 pooling: sqrt of each window's sum of squares (torch's lp_pool2d with norm_type=2).

    Only norm_type=2, the L2 pooling of the notes: other p-norms (torch's norm_type=p) are left
    out on purpose, as no network of the course uses them.

    x: (N, C, H, W), or one unbatched sample (C, H, W) (out then has no N). Returns out: (N, C, H', W') and a cache. Zero padding adds nothing to the sums.
    """
    x, kernel, stride, padding, _, out_hw, _ = _check_pool("l2_pool2d_forward", x, kernel_size, stride, padding)
    xp = pad(x, padding)
    out = np.sqrt(_window_sum(xp * xp, kernel, stride, out_hw))
    return out, L2Pool2dCache(xp, out, kernel, stride, padding, x.shape)


@unbatched_backward
def l2_pool2d_backward(dout: np.ndarray, cache: L2Pool2dCache | Unbatched) -> np.ndarray:
    """Gradient of l2_pool2d_forward: d out / d x = x / out within each window (0 where out == 0).

    dout: (N, C, H', W'), or (C, H', W') for an unbatched x. Returns dx: (N, C, H, W) (or (C, H, W)).
    """
    xp, out, kernel, stride, padding, x_shape = cache
    dout = check_dout("l2_pool2d_backward", dout, out.shape, out.dtype)
    # 0 where a window is all zeros (torch's lp_pool: the relu in front of the root stops it there);
    # NaN where the window holds NaN, which then reaches every pixel of it, as in torch
    g = np.divide(dout, out, out=np.zeros_like(out), where=(out > 0) | np.isnan(out))
    with np.errstate(invalid="ignore"):         # inf * 0 at an inf pixel: NaN, as torch's
        return _spread(g, x_shape, kernel, stride, padding, xp)


def l2_pool2d(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
              padding: int | Pair = 0) -> np.ndarray:
    """Forward-only l2_pool2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return l2_pool2d_forward(x, kernel_size=kernel_size, stride=stride, padding=padding)[0]


# ----------------------------------------------------------------------------- global average

class GlobalAvgPool2dCache(NamedTuple):
    x_shape: tuple
    dtype: np.dtype


def global_avg_pool2d_forward(x: np.ndarray) -> tuple[np.ndarray, GlobalAvgPool2dCache]:
    """Global average pooling: the mean of each channel's whole feature map (GoogLeNet's head).

    x: (N, C, H, W). Returns out: (N, C) and a cache (x's shape). This is torch's
    adaptive_avg_pool2d(x, output_size=1) with the 1 x 1 axes dropped. Other output_size values
    (adaptive pooling onto a coarser grid, windows of varying size) are left out on purpose: no
    network of the course uses them, and avg_pool2d covers every grid that divides the input.
    """
    x = real_array("global_avg_pool2d_forward", "x", x, ndim=4, layout="(N, C, H, W)")
    return x.mean(axis=(2, 3)), GlobalAvgPool2dCache(x.shape, x.dtype)


def global_avg_pool2d_backward(dout: np.ndarray, cache: GlobalAvgPool2dCache) -> np.ndarray:
    """Gradient of global_avg_pool2d_forward: dout / (H * W) at every pixel.

    dout: (N, C). Returns dx: (N, C, H, W).
    """
    n, c, h, w = cache.x_shape
    dout = check_dout("global_avg_pool2d_backward", dout, (n, c), cache.dtype)
    return np.broadcast_to((dout / cache.dtype.type(h * w))[:, :, None, None], cache.x_shape).copy()


def global_avg_pool2d(x: np.ndarray) -> np.ndarray:
    """Forward-only global_avg_pool2d_forward: x (N, C, H, W) -> (N, C)."""
    return global_avg_pool2d_forward(x)[0]
