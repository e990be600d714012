"""Numerical gradient checks: centred finite differences and the relative error used in every test.

``rel_error(a, b) = max|a - b| / max(1e-8, max(|a| + |b|))``. With float64 inputs and a step of
1e-6 a correct analytic gradient agrees with centred differences to about 1e-9; a wrong one is off
by order 1.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from cnnlab._checks import integer, number, real_array

__all__ = ["rel_error", "numerical_gradient", "numerical_vjp", "check_gradient"]


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest elementwise difference of ``a`` and ``b``, relative to their size.

    a, b: arrays of one shape. Returns ``max|a - b| / max(1e-8, max(|a| + |b|))``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: a.shape={a.shape} and b.shape={b.shape} differ")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))


def numerical_vjp(f: Callable[..., np.ndarray], args: Sequence[Any], index: int,
                  dout: np.ndarray, *, h: float = 1e-6) -> np.ndarray:
    """Vector-Jacobian product ``sum(dout * d f(*args) / d args[index])`` by centred differences.

    f: maps ``*args`` to an array with dout's shape. Returns an array of ``args[index]``'s shape.
    ``args`` is never mutated: each probe works on a copy.
    """
    if not number("numerical_vjp", "h", h) > 0:
        raise ValueError(f"numerical_vjp: h must be > 0, got {h!r}")
    index = integer("numerical_vjp", "index", index)
    if not -len(args) <= index < len(args):
        raise ValueError(f"numerical_vjp: index={index} is out of range for {len(args)} args")
    x = np.array(real_array("numerical_vjp", f"args[{index}]", args[index]), dtype=np.float64)
    dout = real_array("numerical_vjp", "dout", dout)
    grad = np.zeros_like(x)
    probe = list(args)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        probe[index] = x.copy()
        plus = np.asarray(f(*probe), dtype=np.float64)
        if plus.shape != dout.shape:          # a broadcast dout would give a wrong answer silently
            raise ValueError(f"numerical_vjp: f returns shape {plus.shape} but dout.shape={dout.shape}")
        x[i] = old - h
        probe[index] = x.copy()
        minus = np.asarray(f(*probe), dtype=np.float64)
        x[i] = old
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, *, h: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by centred differences; same shape as ``x``."""
    return numerical_vjp(lambda v: np.asarray(f(v)), [x], 0, np.ones(()), h=h)


def check_gradient(f: Callable[..., np.ndarray], args: Sequence[Any] | Mapping[str, Any],
                   analytic: Sequence[np.ndarray | None], dout: np.ndarray, *,
                   h: float = 1e-6, tol: float = 1e-7) -> dict[str, float]:
    """Compare analytic gradients with centred differences, one argument at a time.

    f: the forward function, called as ``f(*args)`` (or ``f(**args)`` for a mapping), returning
    the output whose upstream gradient is ``dout``. analytic: one gradient per argument, in order;
    ``None`` skips an argument (an integer target, say). Returns ``{name: rel_error}`` and raises
    AssertionError naming the argument and the index of the worst entry when an error exceeds tol.
    """
    names = list(args.keys()) if isinstance(args, Mapping) else [f"args[{i}]" for i in range(len(args))]
    values = list(args.values()) if isinstance(args, Mapping) else list(args)
    if len(analytic) != len(values):
        raise ValueError(f"check_gradient: got {len(analytic)} analytic gradients for {len(values)} arguments")
    call = (lambda *v: f(**dict(zip(names, v)))) if isinstance(args, Mapping) else f
    errors = {}
    for i, (name, grad) in enumerate(zip(names, analytic)):
        if grad is None:
            continue
        numeric = numerical_vjp(call, values, i, np.asarray(dout, dtype=np.float64), h=h)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != numeric.shape:
            raise AssertionError(f"gradient of {name} has shape {grad.shape}, expected {numeric.shape}")
        errors[name] = err = rel_error(grad, numeric)
        if err > tol:
            worst = np.unravel_index(np.argmax(np.abs(grad - numeric)), grad.shape)
            raise AssertionError(
                f"gradient of {name} disagrees with finite differences: rel_error={err:.3g} > {tol:g}; "
                f"worst at index {tuple(int(j) for j in worst)}: analytic {grad[worst]:.10g}, "
                f"numeric {numeric[worst]:.10g}")
    return errors
