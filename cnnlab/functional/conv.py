"""Convolution: 2-D (grouped, strided, padded, dilated), transposed, 1-D, as a matrix, separable.

Every convolution here is a cross-correlation, as in torch: out[n, f, i, j] = b[f] + sum over
c, u, v of w[f, c, u, v] * xp[n, c, i*sH + u*dH, j*sW + v*dW], where xp is x zero-padded by
(pH, pW) and the sum runs over the C_in / G channels of f's group. Output size per axis:
H' = (H + 2p - d (kH - 1) - 1) // s + 1.

Two implementations of conv2d sit side by side:
- ``conv2d_forward_naive`` / ``conv2d_backward_naive``: the formula above as loops;
- ``conv2d_forward`` / ``conv2d_backward``: im2col. A strided *view* of the padded input lists,
  for every output pixel of every sample, the C/G * kH * kW numbers its filter sees (a column);
  copied once into a (C/G * kH * kW, N * H' * W') matrix per group, it meets all the filters in one
  large matmul per group. The backward pass is two more matmuls plus col2im, which adds every
  column back to the pixels it came from: a loop over the kH * kW kernel offsets, each adding one
  strided slice (no np.add.at).

The gradient of a convolution w.r.t. its input is a transposed convolution, and that is exactly how
``conv_transpose2d_forward`` is computed: it is conv2d's backward-data pass.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

__all__ = [
    "conv2d_forward", "conv2d_backward", "conv2d",
    "conv2d_forward_naive", "conv2d_backward_naive",
    "conv_transpose2d_forward", "conv_transpose2d_backward", "conv_transpose2d",
    "correlate1d", "convolve1d", "conv_matrix",
    "spatially_separable_conv2d", "separate_kernel",
    "depthwise_separable_conv2d_forward", "depthwise_separable_conv2d_backward",
    "depthwise_separable_conv2d",
]

Pair = tuple[int, int]


# ----------------------------------------------------------------------------- argument checks

def _pair(value: int | tuple[int, int], name: str, fn: str, *, minimum: int) -> Pair:
    """An int or a pair of ints -> (height value, width value), each >= minimum."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{fn}: {name} must be {what}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _as_float(a, name: str, fn: str, ndim: int | None = None, layout: str = "",
              dtype: np.dtype | None = None) -> np.ndarray:
    """Array view of ``a``; ints become float64 (or ``dtype``), floats keep (or take) their dtype."""
    a = np.asarray(a)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
            or a.dtype == bool):
        raise TypeError(f"{fn}: {name} must be a real array, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be {ndim}-D {layout}, got shape {a.shape}")
    target = dtype if dtype is not None else (a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64)
    return a.astype(target, copy=False)


def _out_size(n: int, k: int, s: int, p: int, d: int) -> int:
    """H' = (H + 2p - d (k - 1) - 1) // s + 1."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _check_fits(fn: str, x_shape: tuple, kernel: Pair, padding: Pair, dilation: Pair) -> None:
    """The dilated kernel must fit inside the padded input."""
    for axis, n, k, p, d in zip(("height", "width"), x_shape[2:], kernel, padding, dilation):
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError(
                f"{fn}: kernel {kernel[0]}x{kernel[1]} (dilation={dilation}) is larger than the padded "
                f"input in {axis}: {d * (k - 1) + 1} > {n} + 2*{p} (x.shape={tuple(x_shape)}, padding={padding})")


class _ConvArgs(NamedTuple):
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int


def _check_conv(fn: str, x, w, b, stride, padding, dilation, groups, *, transposed: bool = False) -> _ConvArgs:
    """Validate and normalise conv2d / conv_transpose2d arguments (w and b take x's dtype)."""
    x = _as_float(x, "x", fn, 4, "(N, C, H, W)")
    layout = "(C_in, C_out/G, kH, kW)" if transposed else "(C_out, C_in/G, kH, kW)"
    w = _as_float(w, "w", fn, 4, layout, dtype=x.dtype)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")
    # conv2d: w (C_out, C_in/G, ...) ; conv_transpose2d: w (C_in, C_out/G, ...).
    c_in, c_out = (w.shape[0], w.shape[1] * groups) if transposed else (w.shape[1] * groups, w.shape[0])
    if w.shape[0] % groups:
        raise ValueError(f"{fn}: groups={groups} does not divide w.shape[0]={w.shape[0]} (w.shape={w.shape})")
    if x.shape[1] != c_in:
        raise ValueError(f"{fn}: x has {x.shape[1]} channels but w expects {c_in} (w.shape={w.shape}"
                         + (f", groups={groups})" if groups > 1 else ")"))
    if b is not None:
        b = _as_float(b, "b", fn, dtype=x.dtype)
        if b.shape != (c_out,):
            raise ValueError(f"{fn}: b must have shape ({c_out},) for w.shape={w.shape}, got {b.shape}")
    stride = _pair(stride, "stride", fn, minimum=1)
    padding = _pair(padding, "padding", fn, minimum=0)
    dilation = _pair(dilation, "dilation", fn, minimum=1)
    return _ConvArgs(x, w, b, stride, padding, dilation, int(groups))


# ----------------------------------------------------------------------------- im2col machinery

def _pad(x: np.ndarray, padding: Pair) -> np.ndarray:
    """Zero-pad the last two axes by (pH, pW) on both sides (no copy when there is no padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def _unpad(xp: np.ndarray, padding: Pair, hw: Pair) -> np.ndarray:
    """Inverse of _pad: the (H, W) interior of a padded array."""
    ph, pw = padding
    return xp[:, :, ph:ph + hw[0], pw:pw + hw[1]]


def _offsets(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> Iterator[tuple[int, int, tuple]]:
    """For each kernel offset (u, v), the strided slice of the padded input that offset touches.

    Output pixel (i, j) reads xp[u*dH + i*sH, v*dW + j*sW]; over all (i, j) that is one slice.
    """
    for u in range(kernel[0]):
        for v in range(kernel[1]):
            h0, w0 = u * dilation[0], v * dilation[1]
            yield u, v, (slice(None), slice(None),
                         slice(h0, h0 + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
                         slice(w0, w0 + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


def _windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """Read-only strided view (C, kH, kW, N, H', W') of xp (N, C, Hp, Wp):
    [c, u, v, n, i, j] = xp[n, c, u*dH + i*sH, v*dW + j*sW]. No data is copied."""
    sn, sc, sh, sw = xp.strides
    shape = (xp.shape[1],) + tuple(kernel) + (xp.shape[0],) + tuple(out_hw)
    strides = (sc, dilation[0] * sh, dilation[1] * sw, sn, stride[0] * sh, stride[1] * sw)
    return as_strided(xp, shape=shape, strides=strides, writeable=False)


def _im2col(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair, groups: int) -> np.ndarray:
    """Column matrix (G, C/G * kH * kW, N * H' * W'): column (n, i, j) lists what output pixel (i, j) sees."""
    # The reshape copies the strided view into one contiguous matrix per group (the only big copy),
    # so each group's convolution is a single large matmul.
    return _windows(xp, kernel, stride, dilation, out_hw).reshape(groups, -1, xp.shape[0] * out_hw[0] * out_hw[1])


def _col2im(dcols: np.ndarray, padded_shape: tuple, kernel: Pair, stride: Pair, dilation: Pair,
            out_hw: Pair) -> np.ndarray:
    """Adjoint of _im2col: add every column entry back onto the padded pixel it was read from.

    dcols: (G, C/G * kH * kW, N * H' * W'). Returns dxp: padded_shape (N, C, Hp, Wp).
    """
    n, c = padded_shape[:2]
    dcols = dcols.reshape((c,) + tuple(kernel) + (n,) + tuple(out_hw))
    dxp = np.zeros((c, n) + tuple(padded_shape[2:]), dtype=dcols.dtype)   # channels first, like dcols
    for u, v, region in _offsets(kernel, stride, dilation, out_hw):
        dxp[region] += dcols[:, u, v]                   # one strided slice per kernel offset
    return dxp.transpose(1, 0, 2, 3)


def _channels_first(a: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, H, W) -> (G, C/G, N * H * W), contiguous: the layout the column matrices use."""
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3)).reshape(groups, a.shape[1] // groups, -1)


def _grouped(w: np.ndarray, groups: int) -> np.ndarray:
    """Weight (F, C/G, kH, kW) as a stack of per-group matrices (G, F/G, C/G * kH * kW)."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def _gemm_out(w: np.ndarray, cols: np.ndarray, groups: int, out_shape: tuple,
              b: np.ndarray | None = None) -> np.ndarray:
    """out_g = W_g @ cols_g (+ b), returned as a contiguous out_shape (N, F, H', W')."""
    out = np.matmul(_grouped(w, groups), cols)                          # (G, F/G, N * H' * W')
    n, f = out_shape[:2]
    by_sample = out.reshape(f, n, -1).transpose(1, 0, 2)                # (N, F, H' * W'), a view
    result = np.empty(by_sample.shape, dtype=out.dtype)
    if b is None:
        np.copyto(result, by_sample)
    else:
        np.add(by_sample, b[:, None], out=result)                      # reorder and add the bias in one pass
    return result.reshape(out_shape)


def _gemm_dw(dout_cf: np.ndarray, cols: np.ndarray, w_shape: tuple) -> np.ndarray:
    """dW_g = dout_g @ cols_g.T, with dout_cf (G, F/G, N * H' * W') -> w_shape."""
    return np.matmul(dout_cf, cols.transpose(0, 2, 1)).reshape(w_shape)


def _gemm_dcols(w: np.ndarray, dout_cf: np.ndarray, groups: int) -> np.ndarray:
    """dcols_g = W_g.T @ dout_g -> (G, C/G * kH * kW, N * H' * W')."""
    w_t = _grouped(w, groups).transpose(0, 2, 1)
    if w_t.shape[2] == 1:                   # one filter per group (depthwise): an outer product,
        return w_t * dout_cf                # which broadcasting does far faster than matmul
    return np.matmul(w_t, dout_cf)


# ----------------------------------------------------------------------------- conv2d

class ConvInputsCache(NamedTuple):
    """A convolution's inputs and hyper-parameters (naive conv2d and conv_transpose2d keep these)."""
    x: np.ndarray
    w: np.ndarray
    has_bias: bool
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int


class Conv2dCache(NamedTuple):
    x_shape: tuple
    w: np.ndarray
    cols: np.ndarray          # (G, C/G * kH * kW, N * H' * W')
    has_bias: bool
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                   stride: int | Pair = 1, padding: int | Pair = 0, dilation: int | Pair = 1,
                   groups: int = 1) -> tuple[np.ndarray, Conv2dCache]:
    """2-D convolution (cross-correlation, as torch.nn.functional.conv2d), by im2col and matmul.

    x: (N, C_in, H, W); w: (C_out, C_in/G, kH, kW); b: (C_out,) or None. stride, padding,
    dilation: int or (height, width) pair. Returns out: (N, C_out, H', W') with
    H' = (H + 2 pH - dH (kH - 1) - 1) // sH + 1 (same for W'), and a cache for conv2d_backward.
    """
    x, w, b, stride, padding, dilation, groups = _check_conv("conv2d_forward", x, w, b, stride, padding,
                                                              dilation, groups)
    kernel = w.shape[2:]
    _check_fits("conv2d_forward", x.shape, kernel, padding, dilation)
    out_hw = tuple(_out_size(n, k, s, p, d) for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation))
    cols = _im2col(_pad(x, padding), kernel, stride, dilation, out_hw, groups)
    out = _gemm_out(w, cols, groups, (x.shape[0], w.shape[0]) + out_hw, b)     # out = W @ cols + b
    return out, Conv2dCache(x.shape, w, cols, b is not None, stride, padding, dilation, groups)


def conv2d_backward(dout: np.ndarray, cache: Conv2dCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of conv2d_forward.

    dout: (N, C_out, H', W'). Returns (dx (N, C_in, H, W), dw (C_out, C_in/G, kH, kW),
    db (C_out,) or None when the forward had no bias).
    """
    x_shape, w, cols, has_bias, stride, padding, dilation, groups = cache
    dout = np.asarray(dout, dtype=w.dtype)
    dout_cf = _channels_first(dout, groups)
    dw = _gemm_dw(dout_cf, cols, w.shape)                             # dW = dout @ cols.T
    dcols = _gemm_dcols(w, dout_cf, groups)                           # dcols = W.T @ dout
    padded = x_shape[:2] + tuple(n + 2 * p for n, p in zip(x_shape[2:], padding))
    dxp = _col2im(dcols, padded, w.shape[2:], stride, dilation, dout.shape[2:])
    dx = np.ascontiguousarray(_unpad(dxp, padding, x_shape[2:]))
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: int | Pair = 1,
           padding: int | Pair = 0, dilation: int | Pair = 1, groups: int = 1) -> np.ndarray:
    """Forward-only conv2d_forward: x (N, C_in, H, W), w (C_out, C_in/G, kH, kW) -> (N, C_out, H', W')."""
    return conv2d_forward(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)[0]


# ----------------------------------------------------------------------------- naive loops

def _window(xp: np.ndarray, n: int, channels: slice, i: int, j: int, kernel: Pair, stride: Pair,
            dilation: Pair) -> tuple:
    """Index of the (C/G, kH, kW) patch of xp that output pixel (i, j) of sample n sees."""
    h0, w0 = i * stride[0], j * stride[1]
    return (n, channels, slice(h0, h0 + dilation[0] * (kernel[0] - 1) + 1, dilation[0]),
            slice(w0, w0 + dilation[1] * (kernel[1] - 1) + 1, dilation[1]))


def conv2d_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                         stride: int | Pair = 1, padding: int | Pair = 0, dilation: int | Pair = 1,
                         groups: int = 1) -> tuple[np.ndarray, ConvInputsCache]:
    """conv2d_forward as plain loops: for every sample, filter and output pixel, one dot product.

    x: (N, C_in, H, W); w: (C_out, C_in/G, kH, kW); b: (C_out,) or None.
    Returns out: (N, C_out, H', W') and a cache for conv2d_backward_naive.
    """
    x, w, b, stride, padding, dilation, groups = _check_conv("conv2d_forward_naive", x, w, b, stride, padding,
                                                              dilation, groups)
    _check_fits("conv2d_forward_naive", x.shape, w.shape[2:], padding, dilation)
    n_out, c_g, f_g = w.shape[0], w.shape[1], w.shape[0] // groups
    h_out, w_out = (_out_size(n, k, s, p, d) for n, k, s, p, d in
                    zip(x.shape[2:], w.shape[2:], stride, padding, dilation))
    xp = _pad(x, padding)
    out = np.zeros((x.shape[0], n_out, h_out, w_out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for f in range(n_out):
            channels = slice(f // f_g * c_g, (f // f_g + 1) * c_g)   # the input channels of f's group
            for i in range(h_out):
                for j in range(w_out):
                    patch = xp[_window(xp, n, channels, i, j, w.shape[2:], stride, dilation)]
                    out[n, f, i, j] = np.sum(patch * w[f]) + (b[f] if b is not None else 0)
    return out, ConvInputsCache(x, w, b is not None, stride, padding, dilation, groups)


def conv2d_backward_naive(dout: np.ndarray, cache: ConvInputsCache) -> tuple[np.ndarray, np.ndarray,
                                                                               np.ndarray | None]:
    """conv2d_backward as loops: each output pixel sends dout * w to its patch and dout * patch to w.

    dout: (N, C_out, H', W'). Returns (dx (N, C_in, H, W), dw (C_out, C_in/G, kH, kW), db (C_out,) or None).
    """
    x, w, has_bias, stride, padding, dilation, groups = cache
    dout = np.asarray(dout, dtype=w.dtype)
    c_g, f_g = w.shape[1], w.shape[0] // groups
    xp = _pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n, f, i, j in np.ndindex(dout.shape):
        channels = slice(f // f_g * c_g, (f // f_g + 1) * c_g)
        window = _window(xp, n, channels, i, j, w.shape[2:], stride, dilation)
        dxp[window] += dout[n, f, i, j] * w[f]       # d out[n,f,i,j] / d patch = w[f]
        dw[f] += dout[n, f, i, j] * xp[window]       # d out[n,f,i,j] / d w[f] = patch
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return _unpad(dxp, padding, x.shape[2:]).copy(), dw, db


# ----------------------------------------------------------------------------- transposed conv

def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                             stride: int | Pair = 1, padding: int | Pair = 0, output_padding: int | Pair = 0,
                             dilation: int | Pair = 1, groups: int = 1) -> tuple[np.ndarray, ConvInputsCache]:
    """Transposed ("fractionally strided") convolution, as torch.nn.functional.conv_transpose2d.

    x: (N, C_in, H, W); w: (C_in, C_out/G, kH, kW) (torch's layout); b: (C_out,) or None.
    Returns out: (N, C_out, H', W') with H' = (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1, and a cache.
    It is the gradient of conv2d w.r.t. its input: each input pixel scatters w * x[n, c, i, j]
    onto the output window at (i sH, j sW), which is im2col's adjoint, col2im.
    """
    fn = "conv_transpose2d_forward"
    x, w, b, stride, padding, dilation, groups = _check_conv(fn, x, w, b, stride, padding, dilation, groups,
                                                              transposed=True)
    output_padding = _pair(output_padding, "output_padding", fn, minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{fn}: output_padding={output_padding} must be smaller than stride={stride} "
                         f"or dilation={dilation}")
    kernel, in_hw = w.shape[2:], x.shape[2:]
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                   for n, k, s, p, d, op in zip(in_hw, kernel, stride, padding, dilation, output_padding))
    if min(out_hw) < 1:
        raise ValueError(f"{fn}: output size {out_hw} is not positive (x.shape={x.shape}, padding={padding})")
    c_out = w.shape[1] * groups
    padded = (x.shape[0], c_out) + tuple(n + 2 * p for n, p in zip(out_hw, padding))
    dcols = _gemm_dcols(w, _channels_first(x, groups), groups)   # w read as a conv2d weight C_out -> C_in
    out = np.ascontiguousarray(_unpad(_col2im(dcols, padded, kernel, stride, dilation, in_hw), padding, out_hw))
    if b is not None:
        out += b[:, None, None]
    return out, ConvInputsCache(x, w, b is not None, stride, padding, dilation, groups)


def conv_transpose2d_backward(dout: np.ndarray, cache: ConvInputsCache) -> tuple[np.ndarray, np.ndarray,
                                                                                       np.ndarray | None]:
    """Gradients of conv_transpose2d_forward.

    dout: (N, C_out, H', W'). Returns (dx (N, C_in, H, W), dw (C_in, C_out/G, kH, kW), db (C_out,) or None).
    The adjoint of a transposed convolution is the ordinary convolution: dx = conv2d(dout, w).
    """
    x, w, has_bias, stride, padding, dilation, groups = cache
    dout = np.asarray(dout, dtype=w.dtype)
    cols = _im2col(_pad(dout, padding), w.shape[2:], stride, dilation, x.shape[2:], groups)
    dx = _gemm_out(w, cols, groups, x.shape)
    dw = _gemm_dw(_channels_first(x, groups), cols, w.shape)
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


def conv_transpose2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: int | Pair = 1,
                     padding: int | Pair = 0, output_padding: int | Pair = 0, dilation: int | Pair = 1,
                     groups: int = 1) -> np.ndarray:
    """Forward-only conv_transpose2d_forward: x (N, C_in, H, W), w (C_in, C_out/G, kH, kW) -> (N, C_out, H', W')."""
    return conv_transpose2d_forward(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                    dilation=dilation, groups=groups)[0]


# ----------------------------------------------------------------------------- 1-D

def _padded_1d(fn: str, x, w, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate 1-D inputs; return x zero-padded for ``mode`` (numpy's conventions) and w."""
    x = _as_float(x, "x", fn, 1, "(N,)")
    w = _as_float(w, "w", fn, 1, "(F,)", dtype=x.dtype)
    if w.size == 0 or w.size > x.size:
        raise ValueError(f"{fn}: w must have 1 to len(x)={x.size} entries, got w.shape={w.shape}")
    # valid: no padding; same: F - 1 zeros, F // 2 of them on the left; full: F - 1 zeros each side.
    pads = {"valid": (0, 0), "same": (w.size // 2, w.size - 1 - w.size // 2), "full": (w.size - 1,) * 2}
    if mode not in pads:
        raise ValueError(f"{fn}: mode must be 'valid', 'same' or 'full', got {mode!r}")
    return np.pad(x, pads[mode]), w


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


# ----------------------------------------------------------------------------- conv as a matrix

def conv_matrix(w: np.ndarray, input_shape: tuple, *, stride: int | Pair = 1,
                padding: int | Pair = 0) -> np.ndarray:
    """The matrix C of the linear map x -> conv2d(x, w), so that conv2d(x, w).ravel() == C @ x.ravel().

    w: (kH, kW) with input_shape (H, W) -> C: (H' * W', H * W); or w: (C_out, C_in, kH, kW) with
    input_shape (C_in, H, W) -> C: (C_out * H' * W', C_in * H * W). Column k of C is the
    convolution of the k-th unit image, so each row holds the kernel's weights where its window
    lies and zeros elsewhere: a sparse matrix with shared entries.
    """
    w = _as_float(w, "w", "conv_matrix")
    if (w.ndim, len(input_shape)) not in ((2, 2), (4, 3)):
        raise ValueError(f"conv_matrix: expected w (kH, kW) with input_shape (H, W) or w (C_out, C_in, kH, kW) "
                         f"with input_shape (C_in, H, W); got w.shape={w.shape}, input_shape={tuple(input_shape)}")
    w4 = w.reshape((1, 1) + w.shape) if w.ndim == 2 else w
    shape3 = (1,) + tuple(input_shape) if w.ndim == 2 else tuple(input_shape)
    size = int(np.prod(shape3))
    basis = np.eye(size, dtype=w.dtype).reshape((size,) + shape3)   # one unit image per column of C
    images = conv2d_forward(basis, w4, stride=stride, padding=padding)[0]
    return images.reshape(size, -1).T


# ----------------------------------------------------------------------------- separable convs

def spatially_separable_conv2d(x: np.ndarray, w_col: np.ndarray, w_row: np.ndarray, *,
                               stride: int | Pair = 1, padding: int | Pair = 0) -> np.ndarray:
    """Convolve every channel with the rank-1 kernel outer(w_col, w_row) as two 1-D passes.

    x: (N, C, H, W); w_col: (kH,) runs down the columns; w_row: (kW,) runs along the rows.
    Returns (N, C, H', W'), equal to conv2d(x, K, groups=C) with K[c, 0] = outer(w_col, w_row),
    at kH + kW instead of kH * kW multiplications per output pixel.
    """
    fn = "spatially_separable_conv2d"
    x = _as_float(x, "x", fn, 4, "(N, C, H, W)")
    w_col = _as_float(w_col, "w_col", fn, 1, "(kH,)", dtype=x.dtype)
    w_row = _as_float(w_row, "w_row", fn, 1, "(kW,)", dtype=x.dtype)
    stride, padding = _pair(stride, "stride", fn, minimum=1), _pair(padding, "padding", fn, minimum=0)
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
    w2d = _as_float(w2d, "w2d", "separate_kernel", 2, "(kH, kW)")
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
    x = _as_float(x, "x", fn, 4, "(N, C, H, W)")
    w_depth = _as_float(w_depth, "w_depth", fn, 4, "(C_in * M, 1, kH, kW)")
    if w_depth.shape[1] != 1 or w_depth.shape[0] % x.shape[1]:
        raise ValueError(f"{fn}: w_depth must have shape (C_in * M, 1, kH, kW) with C_in={x.shape[1]}, "
                         f"got {w_depth.shape}")
    w_point = _as_float(w_point, "w_point", fn, 4, "(C_out, C_in * M, 1, 1)")
    if w_point.shape[1:] != (w_depth.shape[0], 1, 1):
        raise ValueError(f"{fn}: w_point must have shape (C_out, {w_depth.shape[0]}, 1, 1) to follow "
                         f"w_depth.shape={w_depth.shape}, got {w_point.shape}")
    y, depth = conv2d_forward(x, w_depth, b_depth, stride=stride, padding=padding, groups=x.shape[1])
    out, point = conv2d_forward(y, w_point, b_point)
    return out, DepthwiseSeparableCache(depth, point)


def depthwise_separable_conv2d_backward(dout: np.ndarray, cache: DepthwiseSeparableCache) -> tuple:
    """Gradients of depthwise_separable_conv2d_forward.

    dout: (N, C_out, H', W'). Returns (dx, dw_depth, dw_point, db_depth, db_point), shaped like the
    inputs (a bias gradient is None when that bias was None).
    """
    dy, dw_point, db_point = conv2d_backward(dout, cache.point)
    dx, dw_depth, db_depth = conv2d_backward(dy, cache.depth)
    return dx, dw_depth, dw_point, db_depth, db_point


def depthwise_separable_conv2d(x: np.ndarray, w_depth: np.ndarray, w_point: np.ndarray,
                               b_depth: np.ndarray | None = None, b_point: np.ndarray | None = None, *,
                               stride: int | Pair = 1, padding: int | Pair = 0) -> np.ndarray:
    """Forward-only depthwise_separable_conv2d_forward: x (N, C_in, H, W) -> (N, C_out, H', W')."""
    return depthwise_separable_conv2d_forward(x, w_depth, w_point, b_depth, b_point,
                                              stride=stride, padding=padding)[0]
