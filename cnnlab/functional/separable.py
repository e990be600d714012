"""Separable convolutions: a rank-1 kernel as two 1-D passes, and depthwise-then-pointwise (MobileNet).

Both trade one large convolution for two cheap ones. A spatially separable kernel K = outer(w_col,
w_row) costs kH + kW multiplications per output pixel instead of kH * kW; a depthwise separable
convolution filters each channel alone and then mixes channels with a 1x1 convolution, C_in M kH kW
+ C_in M C_out instead of C_in kH kW C_out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import Pair, check_dout, int_pair, real_array
from cnnlab.functional.conv import Conv2dCache, conv2d, conv2d_backward, conv2d_forward

__all__ = ["spatially_separable_conv2d", "separate_kernel", "depthwise_separable_conv2d_forward",
           "depthwise_separable_conv2d_backward", "depthwise_separable_conv2d"]


def spatially_separable_conv2d(x: np.ndarray, w_col: np.ndarray, w_row: np.ndarray, *,
                               stride: int | Pair = 1, padding: int | Pair = 0) -> np.ndarray:
    """Convolve every channel with the rank-1 kernel outer(w_col, w_row) as two 1-D passes.

    x: (N, C, H, W); w_col: (kH,) runs down the columns; w_row: (kW,) runs along the rows.
    Returns (N, C, H', W'), equal to conv2d(x, K, groups=C) with K[c, 0] = outer(w_col, w_row),
    at kH + kW instead of kH * kW multiplications per output pixel.
    """
    fn = "spatially_separable_conv2d"
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    w_col = real_array(fn, "w_col", w_col, ndim=1, layout="(kH,)", dtype=x.dtype)
    w_row = real_array(fn, "w_row", w_row, ndim=1, layout="(kW,)", dtype=x.dtype)
    stride, padding = int_pair(fn, "stride", stride, minimum=1), int_pair(fn, "padding", padding, minimum=0)
    c = x.shape[1]
    column = np.broadcast_to(w_col.reshape(1, 1, -1, 1), (c, 1, w_col.size, 1))
    row = np.broadcast_to(w_row.reshape(1, 1, 1, -1), (c, 1, 1, w_row.size))
    # Zero padding and a rank-1 kernel separate: pad and stride the height in pass 1, the width in pass 2.
    y = conv2d(x, column, stride=(stride[0], 1), padding=(padding[0], 0), groups=c)
    return conv2d(y, row, stride=(1, stride[1]), padding=(0, padding[1]), groups=c)


def separate_kernel(w2d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Factor a rank-1 kernel as w2d == np.outer(w_col, w_row).

    w2d: (kH, kW). Returns w_col: (kH,) (a column of w2d) and w_row: (kW,) (a row of w2d divided by
    the pivot), e.g. Sobel [[1,0,-1],[2,0,-2],[1,0,-1]] -> [1, 2, 1], [1, 0, -1].
    Raises ValueError if w2d is not rank 1 (up to rounding).
    """
    w2d = real_array("separate_kernel", "w2d", w2d, ndim=2, layout="(kH, kW)")
    i, j = np.unravel_index(np.argmax(np.abs(w2d)), w2d.shape)       # the largest entry as pivot
    if w2d[i, j] == 0:
        return np.zeros(w2d.shape[0], w2d.dtype), np.zeros(w2d.shape[1], w2d.dtype)
    w_col, w_row = w2d[:, j].copy(), w2d[i, :] / w2d[i, j]
    if not np.allclose(np.outer(w_col, w_row), w2d, rtol=1e-6, atol=1e-6 * abs(w2d[i, j])):
        rank = np.linalg.matrix_rank(w2d)
        raise ValueError(f"separate_kernel: w2d (shape {w2d.shape}) has rank {rank}, not 1, so it is not "
                         f"an outer product of a column and a row")
    return w_col, w_row


class DepthwiseSeparableCache(NamedTuple):
    depth: Conv2dCache
    point: Conv2dCache


def depthwise_separable_conv2d_forward(x: np.ndarray, w_depth: np.ndarray, w_point: np.ndarray,
                                       b_depth: np.ndarray | None = None, b_point: np.ndarray | None = None, *,
                                       stride: int | Pair = 1, padding: int | Pair = 0
                                       ) -> tuple[np.ndarray, DepthwiseSeparableCache]:
    """Depthwise convolution (each channel alone) followed by a pointwise 1x1 convolution.

    x: (N, C_in, H, W); w_depth: (C_in * M, 1, kH, kW) (M filters per input channel);
    w_point: (C_out, C_in * M, 1, 1); b_depth: (C_in * M,) or None; b_point: (C_out,) or None.
    Returns out: (N, C_out, H', W') and a cache. Costs C_in M kH kW + C_in M C_out multiplications
    per output pixel instead of C_in kH kW C_out.
    """
    fn = "depthwise_separable_conv2d_forward"
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    w_depth = real_array(fn, "w_depth", w_depth, ndim=4, layout="(C_in * M, 1, kH, kW)")
    if w_depth.shape[1] != 1 or w_depth.shape[0] % x.shape[1]:
        raise ValueError(f"{fn}: w_depth must have shape (C_in * M, 1, kH, kW) with C_in={x.shape[1]}, "
                         f"got w_depth.shape={w_depth.shape}")
    w_point = real_array(fn, "w_point", w_point, ndim=4, layout="(C_out, C_in * M, 1, 1)")
    if w_point.shape[1:] != (w_depth.shape[0], 1, 1):
        raise ValueError(f"{fn}: w_point must have shape (C_out, {w_depth.shape[0]}, 1, 1) to follow "
                         f"w_depth.shape={w_depth.shape}, got w_point.shape={w_point.shape}")
    y, depth = conv2d_forward(x, w_depth, b_depth, stride=stride, padding=padding, groups=x.shape[1])
    out, point = conv2d_forward(y, w_point, b_point)
    return out, DepthwiseSeparableCache(depth, point)


def depthwise_separable_conv2d_backward(dout: np.ndarray, cache: DepthwiseSeparableCache) -> tuple:
    """Gradients of depthwise_separable_conv2d_forward.

    dout: (N, C_out, H', W'). Returns (dx, dw_depth, dw_point, db_depth, db_point), shaped like the
    inputs (a bias gradient is None when that bias was None).
    """
    point = cache.point
    out_shape = (point.x_shape[0], point.w.shape[0]) + tuple(point.x_shape[2:])    # 1x1, stride 1: same H', W'
    dout = check_dout("depthwise_separable_conv2d_backward", dout, out_shape, point.w.dtype)
    dy, dw_point, db_point = conv2d_backward(dout, point)
    dx, dw_depth, db_depth = conv2d_backward(dy, cache.depth)
    return dx, dw_depth, dw_point, db_depth, db_point


def depthwise_separable_conv2d(x: np.ndarray, w_depth: np.ndarray, w_point: np.ndarray,
                               b_depth: np.ndarray | None = None, b_point: np.ndarray | None = None, *,
                               stride: int | Pair = 1, padding: int | Pair = 0) -> np.ndarray:
    """Forward-only depthwise_separable_conv2d_forward: x (N, C_in, H, W) -> (N, C_out, H', W')."""
    return depthwise_separable_conv2d_forward(x, w_depth, w_point, b_depth, b_point,
                                              stride=stride, padding=padding)[0]
