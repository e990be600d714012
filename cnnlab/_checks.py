"""Argument checks shared by every numpy module of cnnlab: one rule, one wording.

A wrong *type* (a complex array, stride=1.5, stride="2", rng=0) raises TypeError; a wrong *value*
of the right type (stride=0, a (3, 5, 5) x where (N, C, H, W) is needed, a dout of the wrong shape)
raises ValueError. Every message starts with the function's name, names the argument and says what
was expected and what came, with shapes:

    conv2d_forward: x has 3 channels but w expects 4 (w.shape=(8, 4, 3, 3))
    conv2d_forward: stride must be an int or a pair of ints, got 1.5
    max_pool2d_backward: dout.shape=(1, 3, 2, 2) but the forward output had shape (2, 3, 2, 2)

Each check takes ``fn`` (the public function's name) first, then the argument's name, then its value,
the order in which the message reads. They return the value normalised (an array of a float dtype, a
plain int, a pair), so a caller writes ``x = real_array(fn, "x", x, ndim=4, layout="(N, C, H, W)")``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

Pair = tuple[int, int]


def real_array(fn: str, name: str, value: Any, *, ndim: int | Sequence[int] | None = None,
               layout: str = "", dtype: Any = None) -> np.ndarray:
    """``value`` as an array of a float dtype: floats keep theirs, ints and bools become float64.

    dtype: cast to it instead (a weight takes its input's dtype). ndim: the allowed number(s) of
    axes, ``layout`` the shape in the package notation, e.g. "(N, C, H, W)". No copy when none is needed.
    """
    a = np.asarray(value)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be a real array, got dtype {a.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if a.ndim not in allowed:
            contiguous = len(allowed) > 2 and allowed == tuple(range(allowed[0], allowed[-1] + 1))
            expected = (f"{allowed[0]}-D to {allowed[-1]}-D" if contiguous
                        else " or ".join(f"{k}-D" for k in allowed)) + (f" {layout}" if layout else "")
            raise ValueError(f"{fn}: {name} must be {expected}, got {name}.shape={a.shape}")
    target = dtype if dtype is not None else (a.dtype if a.dtype.kind == "f" else np.float64)
    return a.astype(target, copy=False)


def check_shape(fn: str, name: str, a: np.ndarray, shape: tuple, why: str = "") -> np.ndarray:
    """ValueError unless ``a.shape == shape``; ``why`` says where the expected shape comes from."""
    if a.shape != tuple(shape):
        raise ValueError(f"{fn}: {name} must have shape {tuple(shape)}{why}, got {name}.shape={a.shape}")
    return a


def check_dout(fn: str, dout: Any, shape: tuple, dtype: Any = None) -> np.ndarray:
    """A backward's upstream gradient: a real array of the forward output's ``shape``.

    dtype: the dtype the gradients come back in (the forward input's); default: dout's float dtype.
    """
    d = real_array(fn, "dout", dout, dtype=dtype)
    if d.shape != tuple(shape):
        raise ValueError(f"{fn}: dout.shape={d.shape} but the forward output had shape {tuple(shape)}")
    return d


def integer(fn: str, name: str, value: Any, *, minimum: int | None = None) -> int:
    """``value`` as a plain int (numpy integers accepted, bools and floats refused), >= minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def int_pair(fn: str, name: str, value: Any, *, minimum: int) -> Pair:
    """An int or a (height, width) pair of ints, each >= minimum, as a pair of plain ints."""
    if np.isscalar(value):
        pair: tuple = (value, value)
    else:
        try:
            pair = tuple(value)
        except TypeError:
            pair = (value,)                 # not a sequence: reported as a wrong type below
        if len(pair) != 2 and all(isinstance(v, (int, np.integer)) for v in pair):
            raise ValueError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    if len(pair) != 2 or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))
                             for v in pair):
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def number(fn: str, name: str, value: Any) -> float:
    """``value`` as a float: an int or float (numpy's too), never a bool, a string or an array."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def generator(fn: str, rng: Any, *, optional: bool = False, why: str = "") -> np.random.Generator | None:
    """``rng`` checked to be a np.random.Generator (or None when ``optional``). cnnlab never seeds globally."""
    if (rng is None and optional) or isinstance(rng, np.random.Generator):
        return rng
    expected = "a np.random.Generator" + (" or None" if optional else "") + why
    raise TypeError(f"{fn}: rng must be {expected}, got {type(rng).__name__} "
                    f"(pass rng=np.random.default_rng(seed))")


def choice(fn: str, name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` checked to be one of ``choices`` (ValueError otherwise, as torch does for a reduction)."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}" if len(choices) > 1 \
            else repr(choices[0])
        raise ValueError(f"{fn}: {name} must be {listed}, got {value!r}")
    return value


def axis(fn: str, value: Any, a: np.ndarray) -> int:
    """An axis of ``a`` (negative counts from the end) as a non-negative int."""
    value = integer(fn, "axis", value)
    if not -a.ndim <= value < a.ndim:
        raise ValueError(f"{fn}: axis={value} is out of range for x.shape={a.shape}")
    return value % a.ndim
