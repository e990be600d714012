"""The window machinery that convolution, pooling and their backward passes share.

A kH x kW window slides over x zero-padded by (pH, pW), stepping (sH, sW), its taps spread by the
dilation (dH, dW). Output size per axis (torch's rule, written here once):

    H' = (H + 2 pH - dH (kH - 1) - 1) // sH + 1          (rounded up instead with ceil_mode)

and a transposed convolution (or an unpooling) inverts it: H = (H' - 1) sH - 2 pH + dH (kH - 1) + opH + 1.

To visit every window without a Python loop over pixels, ``offsets`` gives, for each of the
kH * kW kernel offsets (u, v), the pixels all windows read at that offset: one strided slice of the
padded input, so a loop over offsets does whole-array work. (Convolution copies its windows into a
column matrix instead, im2col: that machinery is in ``_im2col.py``.)
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterator, NamedTuple

import numpy as np

from cnnlab._checks import Pair, check_dout, check_shape, int_pair, integer, real_array

# ----------------------------------------------------------------------------- sizes


def out_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1, *,
             ceil_mode: bool = False) -> int:
    """H' = (H + 2p - d (k - 1) - 1) // s + 1 windows along one axis (torch's rule).

    ceil_mode rounds the division up, but as torch a last window must start inside the input or
    its left padding, never in the right padding alone. May be <= 0 when the kernel does not fit.
    """
    span = n + 2 * padding - dilation * (kernel - 1) - 1      # how far the first tap can travel
    if not ceil_mode:
        return span // stride + 1
    steps = -(-span // stride)
    if steps * stride >= n + padding:
        steps -= 1
    return steps + 1


def transposed_out_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                        output_padding: int = 0) -> int:
    """The input size out_size inverts: H = (H' - 1) s - 2p + d (k - 1) + op + 1."""
    return (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def check_fits(fn: str, x_shape: tuple, kernel: Pair, padding: Pair, dilation: Pair = (1, 1)) -> None:
    """ValueError unless the dilated kernel fits inside the padded input (both spatial axes)."""
    for axis, n, k, p, d in zip(("height", "width"), x_shape[-2:], kernel, padding, dilation):
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError(
                f"{fn}: kernel {kernel[0]}x{kernel[1]}" + (f" (dilation={dilation})" if max(dilation) > 1 else "")
                + f" is larger than the padded "
                f"input in {axis}: {d * (k - 1) + 1} > {n} + 2*{p} (x.shape={tuple(x_shape)}, padding={padding})")


# ----------------------------------------------------------------------------- unbatched inputs

class Unbatched(NamedTuple):
    """The cache of an op called on one unbatched (C, H, W) sample: the cache of the batched call
    on x[None], and the (unbatched) output shape its dout must have."""
    cache: Any
    out_shape: tuple


def with_batch_axis(fn: str, x: Any, layout: str = "(N, C, H, W)") -> tuple[np.ndarray, bool]:
    """x (N, C, H, W) as it is, or an unbatched x (C, H, W) as (1, C, H, W), as torch accepts both.

    Returns (x as a real 4-D array, whether it was unbatched)."""
    unbatched_layout = "(" + layout[layout.index(",") + 2:]                # "(N, C, H, W)" -> "(C, H, W)"
    x = real_array(fn, "x", x, ndim=(3, 4), layout=f"{unbatched_layout} or {layout}")
    return (x[None], True) if x.ndim == 3 else (x, False)


def unbatched_forward(layout: str = "(N, C, H, W)") -> Callable:
    """Decorator: a forward of x (N, C, H, W) also takes one unbatched sample (C, H, W), as torch does.

    The sample runs as a batch of one; out loses the batch axis again and the cache becomes an
    Unbatched, which the backward (decorated with unbatched_backward) recognises.
    """
    def decorate(forward: Callable) -> Callable:
        @functools.wraps(forward)
        def accepting_unbatched(x: Any, *args: Any, **kwargs: Any) -> tuple:
            if np.ndim(x) == 4:
                return forward(x, *args, **kwargs)
            x, _ = with_batch_axis(forward.__name__, x, layout)        # 3-D, or a ValueError naming both
            out, cache, *rest = forward(x, *args, **kwargs)
            return (out[0], Unbatched(cache, out.shape[1:]), *rest)
        return accepting_unbatched
    return decorate


def unbatched_backward(backward: Callable) -> Callable:
    """Decorator: the backward of an unbatched forward takes dout without its batch axis (checked
    against the unbatched output shape) and returns dx (its first gradient) without it too."""
    @functools.wraps(backward)
    def accepting_unbatched(dout: Any, cache: Any) -> Any:
        if not isinstance(cache, Unbatched):
            return backward(dout, cache)
        grads = backward(check_dout(backward.__name__, dout, cache.out_shape)[None], cache.cache)
        return (grads[0][0], *grads[1:]) if isinstance(grads, tuple) else grads[0]
    return accepting_unbatched


# ----------------------------------------------------------------------------- convolution arguments

class ConvArgs(NamedTuple):
    """conv2d / conv_transpose2d arguments, checked and normalised."""
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int


def check_conv(fn: str, x, w, b, stride, padding, dilation, groups, *, transposed: bool = False) -> ConvArgs:
    """Validate conv2d (w: (C_out, C_in/G, kH, kW)) or conv_transpose2d (w: (C_in, C_out/G, kH, kW))
    arguments; w and b take x's dtype."""
    x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")
    layout = "(C_in, C_out/G, kH, kW)" if transposed else "(C_out, C_in/G, kH, kW)"
    w = real_array(fn, "w", w, ndim=4, layout=layout, dtype=x.dtype)
    groups = integer(fn, "groups", groups, minimum=1)
    c_in, c_out = (w.shape[0], w.shape[1] * groups) if transposed else (w.shape[1] * groups, w.shape[0])
    if w.shape[0] % groups:
        raise ValueError(f"{fn}: groups={groups} does not divide w.shape[0]={w.shape[0]} (w.shape={w.shape})")
    if x.shape[1] != c_in:
        raise ValueError(f"{fn}: x has {x.shape[1]} channels but w expects {c_in} (w.shape={w.shape}"
                         + (f", groups={groups})" if groups > 1 else ")"))
    if b is not None:
        b = check_shape(fn, "b", real_array(fn, "b", b, dtype=x.dtype), (c_out,), f" for w.shape={w.shape}")
    stride = int_pair(fn, "stride", stride, minimum=1)
    padding = int_pair(fn, "padding", padding, minimum=0)
    dilation = int_pair(fn, "dilation", dilation, minimum=1)
    return ConvArgs(x, w, b, stride, padding, dilation, groups)


# ----------------------------------------------------------------------------- padding and offsets

def pad(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes by (pH, pW) on both sides with ``value`` (no copy when there is no padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def unpad(xp: np.ndarray, padding: Pair, hw: Pair) -> np.ndarray:
    """Inverse of pad: the (H, W) interior of a padded array (a view)."""
    ph, pw = padding
    return xp[:, :, ph:ph + hw[0], pw:pw + hw[1]]


def padded_shape(x_shape: tuple, padding: Pair) -> tuple:
    """(N, C, H + 2 pH, W + 2 pW)."""
    return tuple(x_shape[:2]) + (x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])


def offsets(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> Iterator[tuple[int, int, tuple]]:
    """For each kernel offset (u, v), the strided slice of the padded input that offset touches.

    Output pixel (i, j) reads xp[u*dH + i*sH, v*dW + j*sW]; over all (i, j) that is one slice.
    """
    for u in range(kernel[0]):
        for v in range(kernel[1]):
            h0, w0 = u * dilation[0], v * dilation[1]
            yield u, v, (slice(None), slice(None),
                         slice(h0, h0 + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
                         slice(w0, w0 + stride[1] * (out_hw[1] - 1) + 1, stride[1]))
