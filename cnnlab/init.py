"""Weight initialisers, with torch's fan rules and an explicit random generator.

Why the scales: for s = sum_i w_i x_i with independent zero-mean w and x,
Var(s) = fan_in Var(w) Var(x). Keeping Var(s) = Var(x) asks for Var(w) = 1 / fan_in (LeCun);
doing the same for the backward signal and compromising gives Var(w) = 2 / (fan_in + fan_out)
(Glorot & Bengio's "Xavier"); a ReLU zeroes half of its inputs, so He et al. double it:
Var(w) = 2 / fan_in. A uniform on [-a, a] has variance a^2 / 3, hence bound = sqrt(3) * std.

Shapes follow torch: a linear weight is (D_out, D_in), a conv weight (C_out, C_in / G, kH, kW).
Every function returns a new array of ``shape`` (a tuple, or an int for 1-D) and ``dtype``.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from cnnlab._checks import choice, generator, integer, number

__all__ = ["fan_in_and_fan_out", "zeros", "constant", "normal", "uniform", "xavier_uniform",
           "xavier_normal", "he_uniform", "he_normal", "lecun_normal"]

Shape = Sequence[int] | int


def _shape(shape: Shape, func: str) -> tuple[int, ...]:
    """``shape`` (an int or a sequence of ints >= 0) as a tuple of plain ints."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return tuple(integer(func, f"shape[{i}]", d, minimum=0) for i, d in enumerate(dims))


def fan_in_and_fan_out(shape: Shape) -> tuple[int, int]:
    """torch's fans of a weight of ``shape``: how many inputs feed one output, and the reverse.

    Linear (D_out, D_in): (D_in, D_out). Conv (C_out, C_in/G, kH, kW): each output sees
    C_in/G * kH * kW inputs, each input reaches C_out * kH * kW outputs.
    """
    shape = _shape(shape, "fan_in_and_fan_out")
    if len(shape) < 2:
        raise ValueError(f"fan_in_and_fan_out: shape={shape} needs at least 2 dimensions "
                         "(D_out, D_in) or (C_out, C_in/G, kH, kW)")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape: tuple[int, ...], mode: str, func: str) -> int:
    choice(func, "mode", mode, ("fan_in", "fan_out"))
    fan_in, fan_out = fan_in_and_fan_out(shape)
    # a zero-element weight has a fan of 0 and nothing to draw: any scale will do (torch returns it as is)
    return max(fan_in if mode == "fan_in" else fan_out, 1)


def _fans_sum(shape: tuple[int, ...]) -> int:
    """fan_in + fan_out, at least 1 (see _fan)."""
    return max(sum(fan_in_and_fan_out(shape)), 1)


def zeros(shape: Shape, *, dtype: type = np.float64) -> np.ndarray:
    """All zeros (fine for biases; for weights it leaves every unit identical)."""
    return np.zeros(_shape(shape, "zeros"), dtype=dtype)


def constant(shape: Shape, value: float, *, dtype: type = np.float64) -> np.ndarray:
    """Every entry equal to ``value`` (e.g. batch norm's gamma = 1)."""
    return np.full(_shape(shape, "constant"), number("constant", "value", value), dtype=dtype)


def normal(shape: Shape, *, rng: np.random.Generator, mean: float = 0.0, std: float = 1.0,
           dtype: type = np.float64) -> np.ndarray:
    """Gaussian N(mean, std^2) entries, the notes' "small random numbers" when std is small."""
    shape, rng = _shape(shape, "normal"), generator("normal", rng)
    mean, std = number("normal", "mean", mean), number("normal", "std", std)
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std!r}")
    return (mean + std * rng.standard_normal(shape)).astype(dtype)


def uniform(shape: Shape, *, rng: np.random.Generator, low: float = 0.0, high: float = 1.0,
            dtype: type = np.float64) -> np.ndarray:
    """Entries uniform on [low, high)."""
    shape, rng = _shape(shape, "uniform"), generator("uniform", rng)
    low, high = number("uniform", "low", low), number("uniform", "high", high)
    if not low <= high:
        raise ValueError(f"uniform: low={low} must not exceed high={high}")
    return rng.uniform(low, high, size=shape).astype(dtype)


def xavier_uniform(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0,
                   dtype: type = np.float64) -> np.ndarray:
    """Glorot uniform on [-a, a], a = gain * sqrt(6 / (fan_in + fan_out)): Var = gain^2 * 2 / (fan_in + fan_out)."""
    shape, rng = _shape(shape, "xavier_uniform"), generator("xavier_uniform", rng)
    bound = number("xavier_uniform", "gain", gain) * math.sqrt(6.0 / _fans_sum(shape))
    return uniform(shape, rng=rng, low=-bound, high=bound, dtype=dtype)


def xavier_normal(shape: Shape, *, rng: np.random.Generator, gain: float = 1.0,
                  dtype: type = np.float64) -> np.ndarray:
    """Glorot normal, std = gain * sqrt(2 / (fan_in + fan_out))."""
    shape, rng = _shape(shape, "xavier_normal"), generator("xavier_normal", rng)
    std = number("xavier_normal", "gain", gain) * math.sqrt(2.0 / _fans_sum(shape))
    return normal(shape, rng=rng, std=std, dtype=dtype)


def he_uniform(shape: Shape, *, rng: np.random.Generator, mode: str = "fan_in", a: float = 0.0,
               dtype: type = np.float64) -> np.ndarray:
    """He (Kaiming) uniform for ReLU: bound = sqrt(3) * std with std = sqrt(2 / fan) (torch's kaiming_uniform_).

    mode: "fan_in" keeps the forward variance, "fan_out" the backward one. a: negative slope of a
    leaky ReLU, giving gain sqrt(2 / (1 + a^2)); torch's default Linear/Conv init is a = sqrt(5).
    """
    shape, rng = _shape(shape, "he_uniform"), generator("he_uniform", rng)
    a = number("he_uniform", "a", a)
    bound = math.sqrt(3.0) * math.sqrt(2.0 / (1 + a * a)) / math.sqrt(_fan(shape, mode, "he_uniform"))
    return uniform(shape, rng=rng, low=-bound, high=bound, dtype=dtype)


def he_normal(shape: Shape, *, rng: np.random.Generator, mode: str = "fan_in", a: float = 0.0,
              dtype: type = np.float64) -> np.ndarray:
    """He (Kaiming) normal for ReLU, std = sqrt(2 / (1 + a^2) / fan) (torch's kaiming_normal_)."""
    shape, rng = _shape(shape, "he_normal"), generator("he_normal", rng)
    a = number("he_normal", "a", a)
    std = math.sqrt(2.0 / (1 + a * a)) / math.sqrt(_fan(shape, mode, "he_normal"))
    return normal(shape, rng=rng, std=std, dtype=dtype)


def lecun_normal(shape: Shape, *, rng: np.random.Generator, dtype: type = np.float64) -> np.ndarray:
    """LeCun normal, std = sqrt(1 / fan_in): unit gain, for tanh/SELU-like units."""
    shape, rng = _shape(shape, "lecun_normal"), generator("lecun_normal", rng)
    return normal(shape, rng=rng, std=math.sqrt(1.0 / max(fan_in_and_fan_out(shape)[0], 1)), dtype=dtype)
