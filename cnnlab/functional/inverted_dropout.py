"""Inverted dropout: drop each unit with probability p while training, rescale the survivors."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import check_dout, generator, number, real_array

__all__ = ["dropout_forward", "dropout_backward", "dropout"]


class DropoutCache(NamedTuple):
    mask: np.ndarray | None     # 0 for dropped units, 1/(1-p) for kept ones; None when nothing dropped
    x_shape: tuple[int, ...]
    dtype: np.dtype


def dropout_forward(x: np.ndarray, *, p: float = 0.5, training: bool = True,
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, DropoutCache]:
    """Inverted dropout, torch's semantics.

    x: any shape. While training, each unit is zeroed with probability p and the survivors are
    divided by 1 - p, so E[out] = x and evaluation needs no rescaling (the notes' AlexNet instead
    halves the outputs at test time). In eval mode (training=False) out is a copy of x.
    p: drop probability in [0, 1] (p = 1 drops every unit: out and dx are zeros, as in torch).
    rng: np.random.Generator, required when training with p > 0.
    Returns out (x's shape) and a cache for dropout_backward.
    """
    x = real_array("dropout_forward", "x", x)
    if not 0 <= number("dropout_forward", "p", p) <= 1:
        raise ValueError(f"dropout_forward: p must be a drop probability in [0, 1], got {p!r}")
    if not training or p == 0:
        return x.copy(), DropoutCache(None, x.shape, x.dtype)
    generator("dropout_forward", rng, why=f" when training with p={p}")
    keep = rng.random(x.shape) >= p                       # each unit survives with probability 1 - p
    # survivors are scaled by 1 / (1 - p); with p = 1 none survive and nothing is divided by 0
    mask = (keep / (1 - p)).astype(x.dtype) if p < 1 else np.zeros(x.shape, x.dtype)
    return x * mask, DropoutCache(mask, x.shape, x.dtype)


def dropout_backward(dout: np.ndarray, cache: DropoutCache) -> np.ndarray:
    """out = x * mask, so dx = dout * mask: dropped units get no gradient. Returns dx: x's shape."""
    dout = check_dout("dropout_backward", dout, cache.x_shape)
    if cache.mask is None:
        return dout.astype(cache.dtype, copy=True)
    return (dout * cache.mask).astype(cache.dtype, copy=False)


def dropout(x: np.ndarray, *, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> np.ndarray:
    """Inverted dropout, forward only. x: any shape."""
    return dropout_forward(x, p=p, training=training, rng=rng)[0]
