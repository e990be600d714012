"""Fully connected (affine) layer and flatten, with torch's weight layout (D_out, D_in)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import check_dout, check_shape, integer, real_array

__all__ = ["linear_forward", "linear_backward", "linear", "flatten_forward", "flatten_backward", "flatten"]


class LinearCache(NamedTuple):
    x: np.ndarray
    w: np.ndarray
    has_bias: bool


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> tuple[np.ndarray, LinearCache]:
    """Affine map out = x @ w.T + b, each output unit a weighted sum of all inputs.

    x: (N, D_in), or (..., D_in) with any leading axes (one vector (D_in,), a sequence
    (N, L, D_in), ...: the map acts on the last axis, as in torch); w: (D_out, D_in) (torch's
    layout); b: (D_out,) or None. Returns out: (..., D_out) and a cache for linear_backward.
    """
    func = "linear_forward"
    x = real_array(func, "x", x)
    if x.ndim < 1:
        raise ValueError(f"{func}: x must be (N, D_in) or (..., D_in), got x.shape={x.shape}")
    w = real_array(func, "w", w, ndim=2, layout="(D_out, D_in)")
    if x.shape[-1] != w.shape[1]:
        raise ValueError(f"{func}: x has {x.shape[-1]} features but w expects {w.shape[1]} (w.shape={w.shape})")
    out = x @ w.T                          # matmul treats the leading axes of x as a batch
    if b is not None:
        b = check_shape(func, "b", real_array(func, "b", b), (w.shape[0],), f" for w.shape={w.shape}")
        out = out + b
    return out.astype(x.dtype, copy=False), LinearCache(x, w, b is not None)


def linear_backward(dout: np.ndarray, cache: LinearCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of out = x @ w.T + b.

    dout: (..., D_out), the forward output's shape. Returns dx = dout @ w: (..., D_in),
    dw = dout.T @ x: (D_out, D_in) (each weight collects input times upstream gradient over the
    batch, and over every leading axis: x and dout are read as (M, D) matrices, M the product of
    the leading axes) and db = dout summed over the leading axes: (D_out,), or None when the
    forward had no bias.
    """
    x, w = cache.x, cache.w
    dout = check_dout("linear_backward", dout, x.shape[:-1] + (w.shape[0],))
    dout2, x2 = dout.reshape(-1, w.shape[0]), x.reshape(-1, w.shape[1])      # (M, D_out), (M, D_in)
    db = dout2.sum(axis=0).astype(x.dtype, copy=False) if cache.has_bias else None
    return (dout @ w).astype(x.dtype, copy=False), (dout2.T @ x2).astype(w.dtype, copy=False), db


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """x @ w.T + b, forward only. x: (..., D_in), w: (D_out, D_in), b: (D_out,) or None -> (..., D_out)."""
    return linear_forward(x, w, b)[0]


class FlattenCache(NamedTuple):
    x_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    dtype: np.dtype


def flatten_forward(x: np.ndarray, *, start_dim: int = 1, end_dim: int = -1) -> tuple[np.ndarray, FlattenCache]:
    """Flatten every example to a vector, the bridge from conv feature maps to linear layers.

    x: (N, ...), e.g. (N, C, H, W). Returns out: (N, C*H*W) (row-major, torch's order; a copy).
    start_dim, end_dim: the axes merged into one, inclusive, as torch.nn.Flatten (whose defaults
    1, -1 keep the batch axis); e.g. start_dim=2 turns (N, C, H, W) into (N, C, H*W). As
    torch.flatten, a 0-d x flattens to (1,) when start_dim and end_dim are 0 or -1.
    """
    func = "flatten_forward"
    x = real_array(func, "x", x)
    first, last = (integer(func, name, d) for name, d in (("start_dim", start_dim), ("end_dim", end_dim)))
    if x.ndim == 0:                   # torch reads a scalar as one axis of length 1 here
        if first not in (0, -1) or last not in (0, -1):
            raise ValueError(f"{func}: x must have a batch axis, got x.shape={x.shape}")
        return x.reshape(1).copy(), FlattenCache(x.shape, (1,), x.dtype)
    for name, d in (("start_dim", first), ("end_dim", last)):
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"{func}: {name}={d} is out of range for x.shape={x.shape}")
    first, last = first % x.ndim, last % x.ndim          # negative axes count from the end
    if first > last:
        raise ValueError(f"{func}: start_dim={start_dim} comes after end_dim={end_dim} for x.shape={x.shape}")
    out_shape = x.shape[:first] + (int(np.prod(x.shape[first:last + 1])),) + x.shape[last + 1:]
    return x.reshape(out_shape).copy(), FlattenCache(x.shape, out_shape, x.dtype)


def flatten_backward(dout: np.ndarray, cache: FlattenCache) -> np.ndarray:
    """Reshape dout (the flattened shape) back to the input's shape (N, ...)."""
    dout = check_dout("flatten_backward", dout, cache.out_shape)
    return dout.reshape(cache.x_shape).astype(cache.dtype, copy=True)


def flatten(x: np.ndarray, *, start_dim: int = 1, end_dim: int = -1) -> np.ndarray:
    """(N, ...) -> (N, prod(...)), forward only (start_dim, end_dim as flatten_forward)."""
    return flatten_forward(x, start_dim=start_dim, end_dim=end_dim)[0]
