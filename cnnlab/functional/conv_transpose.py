"""Transposed ("fractionally strided") convolution, as torch.nn.functional.conv_transpose2d.

The gradient of a convolution with respect to its input is a transposed convolution, and that is
exactly how ``conv_transpose2d_forward`` is computed: it is conv2d's backward-data pass (col2im of
W.T @ x), and its own backward is an ordinary convolution (im2col and matmul); both run on the
engine in ``_im2col.py``, for the conv2d that maps the output's shape back onto x's. Output size per axis:
H' = (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1, the input size a conv2d with these settings inverts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import Pair, check_dout, int_pair
from cnnlab.functional._im2col import Grid, conv_backward, conv_forward, conv_grid
from cnnlab.functional._windows import (Unbatched, check_conv, transposed_out_size, unbatched_backward,
                                        unbatched_forward)

__all__ = ["conv_transpose2d_forward", "conv_transpose2d_backward", "conv_transpose2d"]


class ConvTranspose2dCache(NamedTuple):
    x: np.ndarray
    w: np.ndarray
    has_bias: bool
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int
    out_shape: tuple          # (N, C_out, H', W'): what dout must be
    grid: Grid                # the conv2d from out_shape back to x's shape


@unbatched_forward("(N, C_in, H, W)")
def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                             stride: int | Pair = 1, padding: int | Pair = 0, output_padding: int | Pair = 0,
                             dilation: int | Pair = 1, groups: int = 1
                             ) -> tuple[np.ndarray, ConvTranspose2dCache | Unbatched]:
    """Transposed convolution: x (N, C_in, H, W), or unbatched (C_in, H, W) (then out has no N); w: (C_in, C_out/G, kH, kW) (torch's layout);
    b: (C_out,) or None.

    Returns out: (N, C_out, H', W') with H' = (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1, and a cache.
    Each input pixel scatters w * x[n, c, i, j] onto the output window at (i sH, j sW): col2im.
    """
    fn = "conv_transpose2d_forward"
    x, w, b, stride, padding, dilation, groups = check_conv(fn, x, w, b, stride, padding, dilation, groups,
                                                             transposed=True)
    output_padding = int_pair(fn, "output_padding", output_padding, minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{fn}: output_padding={output_padding} must be smaller than stride={stride} "
                         f"or dilation={dilation}")
    kernel, in_hw = w.shape[2:], x.shape[2:]
    out_hw = tuple(transposed_out_size(n, k, s, p, d, op) for n, k, s, p, d, op in
                   zip(in_hw, kernel, stride, padding, dilation, output_padding))
    if min(out_hw) < 1:
        raise ValueError(f"{fn}: output size {out_hw} is not positive (x.shape={x.shape}, padding={padding})")
    out_shape = (x.shape[0], w.shape[1] * groups) + out_hw
    grid = conv_grid(out_hw, in_hw, kernel, stride, padding, dilation)   # the conv2d out_shape -> x.shape
    out, _ = conv_backward(x, None, w, grid, groups, out_shape)       # w read as a conv2d weight C_out -> C_in
    if b is not None:
        out += b[:, None, None]
    return out, ConvTranspose2dCache(x, w, b is not None, stride, padding, dilation, groups, out_shape, grid)


@unbatched_backward
def conv_transpose2d_backward(dout: np.ndarray, cache: ConvTranspose2dCache | Unbatched
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of conv_transpose2d_forward.

    dout: (N, C_out, H', W'). Returns (dx (N, C_in, H, W), dw (C_in, C_out/G, kH, kW), db (C_out,) or None).
    The adjoint of a transposed convolution is the ordinary convolution: dx = conv2d(dout, w).
    """
    x, w, has_bias, stride, padding, dilation, groups, out_shape, grid = cache
    dout = check_dout("conv_transpose2d_backward", dout, out_shape, w.dtype)
    dx = conv_forward(dout, w, None, grid, groups)                    # conv2d(dout, w)
    _, dw = conv_backward(x, dout, w, grid, groups, out_shape)        # x is that conv2d's upstream gradient
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


def conv_transpose2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: int | Pair = 1,
                     padding: int | Pair = 0, output_padding: int | Pair = 0, dilation: int | Pair = 1,
                     groups: int = 1) -> np.ndarray:
    """Forward-only conv_transpose2d_forward: x (N, C_in, H, W), w (C_in, C_out/G, kH, kW) -> (N, C_out, H', W')."""
    return conv_transpose2d_forward(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                    dilation=dilation, groups=groups)[0]
