"""Pooling: max (with torch-compatible switches and unpooling), average, L2 and global average.

A pooling window of kH x kW moves with stride (sH, sW) over x padded by (pH, pW); output size
H' = (H + 2 pH - kH) // sH + 1 (torch's ceil_mode=False). Windows overlap when the stride is
smaller than the kernel (AlexNet's width 3, stride 2).

The vectorised versions loop over the kH * kW offsets (u, v) of the window, not over pixels: for a
fixed offset, the pixels that all windows read form one strided slice of the input, so each step
is one whole-array operation. The backward passes add strided slices back the same way.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import Pair, check_dout, int_pair, real_array
from cnnlab.functional._windows import (check_fits, offsets, out_size, pad, padded_shape, transposed_out_size,
                                        unpad)

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward", "max_pool2d",
    "max_pool2d_forward_naive", "max_pool2d_backward_naive",
    "max_pool2d_with_indices", "max_unpool2d",
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
    out_hw: Pair


def _check_pool(fn: str, x, kernel_size, stride, padding) -> _PoolArgs:
    """Validate pooling arguments; stride defaults to kernel_size; padding at most half the kernel (as torch)."""
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    kernel, stride, padding = _window_args(fn, kernel_size, stride, padding)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{fn}: padding={padding} must be at most half of kernel_size={kernel}")
    check_fits(fn, x.shape, kernel, padding)
    out_hw = tuple(out_size(n, k, s, p) for n, k, s, p in zip(x.shape[2:], kernel, stride, padding))
    return _PoolArgs(x, kernel, stride, padding, out_hw)


def _window_args(fn: str, kernel_size, stride, padding) -> tuple[Pair, Pair, Pair]:
    """kernel_size, stride (default: kernel_size) and padding as pairs."""
    kernel = int_pair(fn, "kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else int_pair(fn, "stride", stride, minimum=1)
    return kernel, stride, int_pair(fn, "padding", padding, minimum=0)


# ----------------------------------------------------------------------------- max pooling

class MaxPool2dCache(NamedTuple):
    x_shape: tuple
    arg: np.ndarray        # (N, C, H', W'): offset u * kW + v of each window's first maximum
    kernel: Pair
    stride: Pair
    padding: Pair
    dtype: np.dtype        # x's: the gradient comes back in it


def max_pool2d_forward(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                       padding: int | Pair = 0) -> tuple[np.ndarray, MaxPool2dCache]:
    """Max pooling over kH x kW windows (padding counts as -inf, as in torch).

    x: (N, C, H, W). Returns out: (N, C, H', W') with H' = (H + 2 pH - kH) // sH + 1, and a cache
    for max_pool2d_backward. Ties send the gradient to the first maximum in row-major window order.
    """
    x, kernel, stride, padding, out_hw = _check_pool("max_pool2d_forward", x, kernel_size, stride, padding)
    xp = pad(x, padding, -np.inf)      # -inf never wins a max (torch's padding)
    out = arg = None
    for k, (_, _, region) in enumerate(offsets(kernel, stride, _ONE, out_hw)):
        candidate = xp[region]                      # offset k of every window at once
        if out is None:
            out, arg = candidate.copy(), np.zeros(candidate.shape, np.min_scalar_type(kernel[0] * kernel[1]))
            continue
        better = candidate > out                    # strictly greater: earlier maxima win ties
        np.copyto(arg, k, where=better)
        np.maximum(out, candidate, out=out)
    return out, MaxPool2dCache(x.shape, arg, kernel, stride, padding, x.dtype)


def max_pool2d_backward(dout: np.ndarray, cache: MaxPool2dCache) -> np.ndarray:
    """Gradient of max_pool2d_forward: each window's dout goes to its (first) maximum, zero elsewhere.

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    x_shape, arg, kernel, stride, padding, dtype = cache
    dout = check_dout("max_pool2d_backward", dout, arg.shape, dtype)
    dxp = np.zeros(padded_shape(x_shape, padding), dtype=dtype)
    zero = np.zeros((), dtype)
    for k, (_, _, region) in enumerate(offsets(kernel, stride, _ONE, arg.shape[2:])):
        dxp[region] += np.where(arg == k, dout, zero)
    return np.ascontiguousarray(unpad(dxp, padding, x_shape[2:]))


def max_pool2d(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0) -> np.ndarray:
    """Forward-only max_pool2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return max_pool2d_forward(x, kernel_size=kernel_size, stride=stride, padding=padding)[0]


class MaxPool2dNaiveCache(NamedTuple):
    x_shape: tuple
    argmax: np.ndarray     # (N, C, H', W', 2): padded (row, col) of each window's first maximum
    padding: Pair
    dtype: np.dtype


def max_pool2d_forward_naive(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                             padding: int | Pair = 0) -> tuple[np.ndarray, MaxPool2dNaiveCache]:
    """max_pool2d_forward as loops over every window; remembers where each maximum was (the "switches").

    x: (N, C, H, W). Returns out: (N, C, H', W') and a cache for max_pool2d_backward_naive.
    """
    x, kernel, stride, padding, out_hw = _check_pool("max_pool2d_forward_naive", x, kernel_size, stride, padding)
    xp = pad(x, padding, -np.inf)      # -inf never wins a max (torch's padding)
    out = np.zeros(x.shape[:2] + out_hw, dtype=x.dtype)
    argmax = np.zeros(out.shape + (2,), dtype=np.intp)
    for n, c, i, j in np.ndindex(out.shape):
        top, left = i * stride[0], j * stride[1]
        window = xp[n, c, top:top + kernel[0], left:left + kernel[1]]
        u, v = np.unravel_index(np.argmax(window), kernel)     # np.argmax returns the first maximum
        out[n, c, i, j] = window[u, v]
        argmax[n, c, i, j] = top + u, left + v
    return out, MaxPool2dNaiveCache(x.shape, argmax, padding, x.dtype)


def max_pool2d_backward_naive(dout: np.ndarray, cache: MaxPool2dNaiveCache) -> np.ndarray:
    """max_pool2d_backward as a loop: window (i, j) adds dout[n, c, i, j] at its maximum.

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    x_shape, argmax, padding, dtype = cache
    dout = check_dout("max_pool2d_backward_naive", dout, argmax.shape[:-1], dtype)
    dxp = np.zeros(padded_shape(x_shape, padding), dtype=dtype)
    for n, c, i, j in np.ndindex(dout.shape):
        row, col = argmax[n, c, i, j]
        dxp[n, c, row, col] += dout[n, c, i, j]       # overlapping windows may share a maximum
    return unpad(dxp, padding, x_shape[2:]).copy()


# ----------------------------------------------------------------------------- switches and unpooling

def max_pool2d_with_indices(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                            padding: int | Pair = 0) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling that also returns the switches, as torch's max_pool2d(..., return_indices=True).

    x: (N, C, H, W). Returns out: (N, C, H', W') and indices: (N, C, H', W') int64, the flat
    position row * W + col of each maximum within its (H, W) plane (unpadded coordinates).
    """
    out, cache = max_pool2d_forward(x, kernel_size=kernel_size, stride=stride, padding=padding)
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = cache.kernel, cache.stride, cache.padding
    h_out, w_out = out.shape[2:]
    u, v = np.divmod(cache.arg.astype(np.int64), k_w)              # offset inside the window
    rows = np.arange(h_out)[:, None] * s_h + u - p_h                # window origin + offset
    cols = np.arange(w_out)[None, :] * s_w + v - p_w
    return out, rows * x.shape[3] + cols


def max_unpool2d(x: np.ndarray, indices: np.ndarray, *, kernel_size: int | Pair,
                 stride: int | Pair | None = None, padding: int | Pair = 0,
                 output_size: tuple | None = None) -> np.ndarray:
    """Approximate inverse of max pooling: put each value back where its maximum came from, zeros elsewhere.

    x, indices: (N, C, H', W') (indices from max_pool2d_with_indices). Returns (N, C, H, W) with
    H = (H' - 1) sH - 2 pH + kH unless output_size gives (H, W) (or (N, C, H, W)).
    """
    fn = "max_unpool2d"
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H', W')")
    indices = np.asarray(indices)
    if indices.shape != x.shape or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"{fn}: indices must be an integer array of x's shape {x.shape}, "
                         f"got {indices.dtype} {indices.shape}")
    kernel, stride, padding = _window_args(fn, kernel_size, stride, padding)
    if output_size is None:
        hw = tuple(transposed_out_size(n, k, s, p) for n, k, s, p in zip(x.shape[2:], kernel, stride, padding))
    else:
        hw = tuple(int(v) for v in tuple(output_size)[-2:])
    if indices.size and (indices.min() < 0 or indices.max() >= hw[0] * hw[1]):
        raise ValueError(f"{fn}: indices must lie in [0, {hw[0] * hw[1]}) for an output of size {hw}, "
                         f"got values in [{indices.min()}, {indices.max()}]")
    out = np.zeros(x.shape[:2] + (hw[0] * hw[1],), dtype=x.dtype)
    flat = x.shape[:2] + (-1,)
    np.put_along_axis(out, indices.reshape(flat), x.reshape(flat), axis=2)
    return out.reshape(x.shape[:2] + hw)


# ----------------------------------------------------------------------------- average and L2

class AvgPool2dCache(NamedTuple):
    x_shape: tuple
    kernel: Pair
    stride: Pair
    padding: Pair
    out_shape: tuple
    dtype: np.dtype


def _window_sum(xp: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair) -> np.ndarray:
    """sum over each window: (N, C, H', W'), one strided slice per kernel offset."""
    total = np.zeros(xp.shape[:2] + out_hw, dtype=xp.dtype)
    for _, _, region in offsets(kernel, stride, _ONE, out_hw):
        total += xp[region]
    return total


def _spread(g: np.ndarray, x_shape: tuple, kernel: Pair, stride: Pair, padding: Pair,
            xp: np.ndarray | None = None) -> np.ndarray:
    """Adjoint of a window sum: add g (N, C, H', W') to every pixel of its window (times xp if given)."""
    dxp = np.zeros(padded_shape(x_shape, padding), dtype=g.dtype)
    for _, _, region in offsets(kernel, stride, _ONE, g.shape[2:]):
        dxp[region] += g if xp is None else g * xp[region]
    return np.ascontiguousarray(unpad(dxp, padding, x_shape[2:]))


def avg_pool2d_forward(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                       padding: int | Pair = 0) -> tuple[np.ndarray, AvgPool2dCache]:
    """Average pooling; zero padding counts in the average (torch's count_include_pad=True).

    x: (N, C, H, W). Returns out: (N, C, H', W') = window sum / (kH * kW), and a cache.
    """
    x, kernel, stride, padding, out_hw = _check_pool("avg_pool2d_forward", x, kernel_size, stride, padding)
    out = _window_sum(pad(x, padding), kernel, stride, out_hw) / (kernel[0] * kernel[1])
    return out, AvgPool2dCache(x.shape, kernel, stride, padding, out.shape, x.dtype)


def avg_pool2d_backward(dout: np.ndarray, cache: AvgPool2dCache) -> np.ndarray:
    """Gradient of avg_pool2d_forward: every pixel of a window gets dout / (kH * kW).

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    x_shape, kernel, stride, padding, out_shape, dtype = cache
    dout = check_dout("avg_pool2d_backward", dout, out_shape, dtype)
    return _spread(dout / dtype.type(kernel[0] * kernel[1]), x_shape, kernel, stride, padding)


def avg_pool2d(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0) -> np.ndarray:
    """Forward-only avg_pool2d_forward: x (N, C, H, W) -> (N, C, H', W')."""
    return avg_pool2d_forward(x, kernel_size=kernel_size, stride=stride, padding=padding)[0]


class L2Pool2dCache(NamedTuple):
    xp: np.ndarray         # padded input
    out: np.ndarray
    kernel: Pair
    stride: Pair
    padding: Pair
    x_shape: tuple


def l2_pool2d_forward(x: np.ndarray, *, kernel_size: int | Pair, stride: int | Pair | None = None,
                      padding: int | Pair = 0) -> tuple[np.ndarray, L2Pool2dCache]:
    """L2 pooling: sqrt of each window's sum of squares (torch's lp_pool2d with norm_type=2).

    x: (N, C, H, W). Returns out: (N, C, H', W') and a cache. Zero padding adds nothing to the sums.
    """
    x, kernel, stride, padding, out_hw = _check_pool("l2_pool2d_forward", x, kernel_size, stride, padding)
    xp = pad(x, padding)
    out = np.sqrt(_window_sum(xp * xp, kernel, stride, out_hw))
    return out, L2Pool2dCache(xp, out, kernel, stride, padding, x.shape)


def l2_pool2d_backward(dout: np.ndarray, cache: L2Pool2dCache) -> np.ndarray:
    """Gradient of l2_pool2d_forward: d out / d x = x / out within each window (0 where out == 0).

    dout: (N, C, H', W'). Returns dx: (N, C, H, W).
    """
    xp, out, kernel, stride, padding, x_shape = cache
    dout = check_dout("l2_pool2d_backward", dout, out.shape, out.dtype)
    g = np.divide(dout, out, out=np.zeros_like(out), where=out > 0)
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

    x: (N, C, H, W). Returns out: (N, C) and a cache (x's shape).
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
