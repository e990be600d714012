"""2-D convolution (grouped, strided, padded, dilated): conv2d by im2col, and its naive twin.

Every convolution here is a cross-correlation, as in torch: out[n, f, i, j] = b[f] + sum over
c, u, v of w[f, c, u, v] * xp[n, c, i*sH + u*dH, j*sW + v*dW], where xp is x zero-padded by
(pH, pW) and the sum runs over the C_in / G channels of f's group. Output size per axis:
H' = (H + 2p - d (kH - 1) - 1) // s + 1.

Two implementations sit side by side:
- ``conv2d_forward_naive`` / ``conv2d_backward_naive``: the formula above as loops;
- ``conv2d_forward`` / ``conv2d_backward``: im2col. Every window's C/G * kH * kW numbers are copied
  into one column of a matrix, which meets all the filters in one large matmul per group:
  out = W @ cols + b. The backward pass is two more matmuls, dW = dout @ cols.T and
  dcols = W.T @ dout, plus col2im, which adds every column of dcols back onto the pixels it was
  read from (a loop over the kH * kW kernel offsets, each adding one slice: no np.add.at). The
  engine lives in ``_im2col.py``, which explains the three tricks that make it fast (the padded
  grid, stride phases, chunks of samples).

The transposed convolution is in ``conv_transpose.py``; the 1-D forms and the convolution matrix in
``correlation.py``; separable convolutions in ``separable.py``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import Pair, check_dout, choice, int_pair
from cnnlab.functional._im2col import Grid, conv_backward, conv_forward, conv_grid
from cnnlab.functional._windows import (Unbatched, check_conv, check_fits, out_size, pad, unbatched_backward,
                                        unbatched_forward, unpad)

__all__ = ["conv2d_forward", "conv2d_backward", "conv2d", "conv2d_forward_naive", "conv2d_backward_naive"]


class Conv2dNaiveCache(NamedTuple):
    """What the naive loops keep: the inputs and hyper-parameters."""
    x: np.ndarray
    w: np.ndarray
    has_bias: bool
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int
    extra: Pair = (0, 0)      # padding="same" with an even kernel: zeros added after x (bottom, right)


class Conv2dCache(NamedTuple):
    x: np.ndarray             # the input (with "same"'s extra zeros): backward copies its windows again,
                              # so, as with torch's saved tensors, x must not change in place before it
    w: np.ndarray
    has_bias: bool
    grid: Grid                # where the windows lie (sizes, padding, stride, dilation)
    groups: int
    extra: Pair = (0, 0)      # as in Conv2dNaiveCache

    @property
    def x_shape(self) -> tuple:
        return self.x.shape


def _out_hw(x_shape: tuple, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    return tuple(out_size(n, k, s, p, d) for n, k, s, p, d in zip(x_shape[2:], kernel, stride, padding, dilation))


def _string_padding(fn: str, padding, w, stride, dilation) -> tuple:
    """torch's padding="valid" / "same" as (padding, extra); numbers pass through with extra (0, 0).

    "valid": no padding. "same": the output keeps the input's size (stride 1 only), which takes
    d (k - 1) zeros per axis; half go before and half after, and when d (k - 1) is odd the extra
    zero goes after (bottom, right), as in torch: padding = d (k - 1) // 2, extra = d (k - 1) % 2.
    """
    if not isinstance(padding, str):
        return padding, (0, 0)
    choice(fn, "padding", padding, ("valid", "same"))
    if padding == "valid":
        return 0, (0, 0)
    if int_pair(fn, "stride", stride, minimum=1) != (1, 1):
        raise ValueError(f"{fn}: padding='same' needs stride=1 (the output keeps the input's size), got "
                         f"stride={stride!r}")
    kernel, dilation = np.shape(w)[2:], int_pair(fn, "dilation", dilation, minimum=1)
    if len(kernel) != 2:
        return 0, (0, 0)                   # a malformed w: check_conv names the problem
    total = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    return tuple(t // 2 for t in total), tuple(t % 2 for t in total)


def _pad_after(x: np.ndarray, extra: Pair) -> np.ndarray:
    """x with extra[0] zero rows below and extra[1] zero columns to the right (no copy when none)."""
    if extra == (0, 0):
        return x
    return np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))


@unbatched_forward("(N, C_in, H, W)")
def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                   stride: int | Pair = 1, padding: int | Pair | str = 0, dilation: int | Pair = 1,
                   groups: int = 1) -> tuple[np.ndarray, Conv2dCache | Unbatched]:
    """2-D convolution (cross-correlation, as torch.nn.functional.conv2d), by im2col and matmul.

    x: (N, C_in, H, W), or one unbatched sample (C_in, H, W) (then out has no N either); w: (C_out, C_in/G, kH, kW); b: (C_out,) or None. stride, padding,
    dilation: int or (height, width) pair; padding may also be "valid" (0) or "same" (stride 1;
    the output has x's size, an odd number of zeros putting the extra one after, as torch).
    Returns out: (N, C_out, H', W') with H' = (H + 2 pH - dH (kH - 1) - 1) // sH + 1 (same for
    W'), and a cache for conv2d_backward.
    """
    padding, extra = _string_padding("conv2d_forward", padding, w, stride, dilation)
    x, w, b, stride, padding, dilation, groups = check_conv("conv2d_forward", x, w, b, stride, padding,
                                                             dilation, groups)
    x = _pad_after(x, extra)
    kernel = w.shape[2:]
    check_fits("conv2d_forward", x.shape, kernel, padding, dilation)
    grid = conv_grid(x.shape[2:], _out_hw(x.shape, kernel, stride, padding, dilation), kernel, stride, padding,
                     dilation)
    out = conv_forward(x, w, b, grid, groups)                         # out = W @ cols + b
    return out, Conv2dCache(x, w, b is not None, grid, groups, extra)


@unbatched_backward
def conv2d_backward(dout: np.ndarray, cache: Conv2dCache | Unbatched
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of conv2d_forward.

    dout: (N, C_out, H', W') (no N when x had none: dx has none either). Returns (dx (N, C_in, H, W), dw (C_out, C_in/G, kH, kW),
    db (C_out,) or None when the forward had no bias), in x's dtype.
    """
    x, w, has_bias, grid, groups, extra = cache
    dout = check_dout("conv2d_backward", dout, (x.shape[0], w.shape[0]) + grid.out_hw, w.dtype)
    dx, dw = conv_backward(dout, x, w, grid, groups, x.shape)        # col2im(W.T @ dout), dout @ cols.T
    dx = np.ascontiguousarray(_crop_extra(dx, extra))
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


def _crop_extra(dx: np.ndarray, extra: Pair) -> np.ndarray:
    """Drop the gradient of the zeros _pad_after added (they are not inputs)."""
    return dx[:, :, :dx.shape[2] - extra[0], :dx.shape[3] - extra[1]]


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: int | Pair = 1,
           padding: int | Pair | str = 0, dilation: int | Pair = 1, groups: int = 1) -> np.ndarray:
    """Forward-only conv2d_forward: x (N, C_in, H, W) or (C_in, H, W), w (C_out, C_in/G, kH, kW)
    -> (N, C_out, H', W') or (C_out, H', W')."""
    return conv2d_forward(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)[0]


# ----------------------------------------------------------------------------- naive loops

def _window(n: int, channels: slice, i: int, j: int, kernel: Pair, stride: Pair, dilation: Pair) -> tuple:
    """Index of the (C/G, kH, kW) patch of the padded input that output pixel (i, j) of sample n sees."""
    h0, w0 = i * stride[0], j * stride[1]
    return (n, channels, slice(h0, h0 + dilation[0] * (kernel[0] - 1) + 1, dilation[0]),
            slice(w0, w0 + dilation[1] * (kernel[1] - 1) + 1, dilation[1]))


@unbatched_forward("(N, C_in, H, W)")
def conv2d_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                         stride: int | Pair = 1, padding: int | Pair | str = 0, dilation: int | Pair = 1,
                         groups: int = 1) -> tuple[np.ndarray, Conv2dNaiveCache | Unbatched]:
    """conv2d_forward as plain loops: for every sample, filter and output pixel, one dot product.

    x: (N, C_in, H, W) or (C_in, H, W); w: (C_out, C_in/G, kH, kW); b: (C_out,) or None; padding as conv2d_forward
    (an int, a pair, "valid" or "same"). Returns out: (N, C_out, H', W') and a cache for
    conv2d_backward_naive.
    """
    padding, extra = _string_padding("conv2d_forward_naive", padding, w, stride, dilation)
    x, w, b, stride, padding, dilation, groups = check_conv("conv2d_forward_naive", x, w, b, stride, padding,
                                                             dilation, groups)
    x = _pad_after(x, extra)
    check_fits("conv2d_forward_naive", x.shape, w.shape[2:], padding, dilation)
    n_out, c_g, f_g = w.shape[0], w.shape[1], w.shape[0] // groups
    h_out, w_out = _out_hw(x.shape, w.shape[2:], stride, padding, dilation)
    xp = pad(x, padding)
    out = np.zeros((x.shape[0], n_out, h_out, w_out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for f in range(n_out):
            channels = slice(f // f_g * c_g, (f // f_g + 1) * c_g)   # the input channels of f's group
            for i in range(h_out):
                for j in range(w_out):
                    patch = xp[_window(n, channels, i, j, w.shape[2:], stride, dilation)]
                    out[n, f, i, j] = np.sum(patch * w[f]) + (b[f] if b is not None else 0)
    return out, Conv2dNaiveCache(x, w, b is not None, stride, padding, dilation, groups, extra)


@unbatched_backward
def conv2d_backward_naive(dout: np.ndarray, cache: Conv2dNaiveCache | Unbatched
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """conv2d_backward as loops: each output pixel sends dout * w to its patch and dout * patch to w.

    dout: (N, C_out, H', W'). Returns (dx (N, C_in, H, W), dw (C_out, C_in/G, kH, kW), db (C_out,) or None).
    """
    x, w, has_bias, stride, padding, dilation, groups, extra = cache
    out_hw = _out_hw(x.shape, w.shape[2:], stride, padding, dilation)
    dout = check_dout("conv2d_backward_naive", dout, (x.shape[0], w.shape[0]) + out_hw, w.dtype)
    c_g, f_g = w.shape[1], w.shape[0] // groups
    xp = pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n, f, i, j in np.ndindex(dout.shape):
        channels = slice(f // f_g * c_g, (f // f_g + 1) * c_g)
        window = _window(n, channels, i, j, w.shape[2:], stride, dilation)
        dxp[window] += dout[n, f, i, j] * w[f]       # d out[n,f,i,j] / d patch = w[f]
        dw[f] += dout[n, f, i, j] * xp[window]       # d out[n,f,i,j] / d w[f] = patch
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return _crop_extra(unpad(dxp, padding, x.shape[2:]), extra).copy(), dw, db
