"""Fully connected (affine) layer and flatten, with torch's weight layout (D_out, D_in)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import check_dout, check_shape, real_array

__all__ = ["linear_forward", "linear_backward", "linear", "flatten_forward", "flatten_backward", "flatten"]


class LinearCache(NamedTuple):
    x: np.ndarray
    w: np.ndarray
    has_bias: bool


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> tuple[np.ndarray, LinearCache]:
    """Affine map out = x @ w.T + b, each output unit a weighted sum of all inputs.

    x: (N, D_in); w: (D_out, D_in) (torch's layout); b: (D_out,) or None.
    Returns out: (N, D_out) and a cache for linear_backward.
    """
    func = "linear_forward"
    x = real_array(func, "x", x, ndim=2, layout="(N, D_in)")
    w = real_array(func, "w", w, ndim=2, layout="(D_out, D_in)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{func}: x has {x.shape[1]} features but w expects {w.shape[1]} (w.shape={w.shape})")
    out = x @ w.T
    if b is not None:
        b = check_shape(func, "b", real_array(func, "b", b), (w.shape[0],), f" for w.shape={w.shape}")
        out = out + b
    return out.astype(x.dtype, copy=False), LinearCache(x, w, b is not None)


def linear_backward(dout: np.ndarray, cache: LinearCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of out = x @ w.T + b.

    dout: (N, D_out). Returns dx = dout @ w: (N, D_in), dw = dout.T @ x: (D_out, D_in) (each weight
    collects input times upstream gradient over the batch) and db = dout summed over N: (D_out,),
    or None when the forward had no bias.
    """
    x, w = cache.x, cache.w
    dout = check_dout("linear_backward", dout, (x.shape[0], w.shape[0]))
    db = dout.sum(axis=0).astype(x.dtype, copy=False) if cache.has_bias else None
    return (dout @ w).astype(x.dtype, copy=False), (dout.T @ x).astype(w.dtype, copy=False), db


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """x @ w.T + b, forward only. x: (N, D_in), w: (D_out, D_in), b: (D_out,) or None -> (N, D_out)."""
    return linear_forward(x, w, b)[0]


class FlattenCache(NamedTuple):
    x_shape: tuple[int, ...]
    dtype: np.dtype


def flatten_forward(x: np.ndarray) -> tuple[np.ndarray, FlattenCache]:
    """Flatten every example to a vector, the bridge from conv feature maps to linear layers.

    x: (N, ...), e.g. (N, C, H, W). Returns out: (N, C*H*W) (row-major, torch's order; a copy).
    """
    x = real_array("flatten_forward", "x", x)
    if x.ndim < 1:
        raise ValueError(f"flatten_forward: x must have a batch axis, got x.shape={x.shape}")
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:]))).copy(), FlattenCache(x.shape, x.dtype)


def flatten_backward(dout: np.ndarray, cache: FlattenCache) -> np.ndarray:
    """Reshape dout: (N, prod) back to the input's shape (N, ...)."""
    n = cache.x_shape[0]
    dout = check_dout("flatten_backward", dout, (n, int(np.prod(cache.x_shape[1:]))))
    return dout.reshape(cache.x_shape).astype(cache.dtype, copy=True)


def flatten(x: np.ndarray) -> np.ndarray:
    """(N, ...) -> (N, prod(...)), forward only."""
    return flatten_forward(x)[0]
