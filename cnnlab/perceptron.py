"""Rosenblatt's perceptron and the delta rule (Widrow-Hoff), the first learning rules of the course.

A perceptron is a threshold unit: o = 1 if w.x + b > 0, else 0 (``outputs="binary"``) or -1
(``outputs="pm1"``). Two ways to learn w and b:

- Rosenblatt's rule, one example at a time: w <- w + eta (t - o) x, b <- b + eta (t - o). It
  changes nothing when the example is classified correctly and converges in finitely many steps
  when the classes are linearly separable (and never when they are not, e.g. XOR).
- The delta rule: gradient descent on E = 1/2 sum_d (t_d - o_d)^2 of the *linear* unit
  o_d = w.x_d + b, which gives w <- w + eta sum_d (t_d - o_d) x_d. It fits ±1 targets by least
  squares; the trained unit then classifies with the same threshold.

Shapes: x (N, D), t (N,), w (D,), b a float.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import check_shape, choice, generator, integer, number, real_array

__all__ = ["PerceptronFit", "perceptron_predict", "rosenblatt_step", "delta_rule_step", "train_perceptron"]

_OUTPUTS = ("binary", "pm1")


class PerceptronFit(NamedTuple):
    """Result of train_perceptron: weights (D,), bias, misclassifications per epoch, converged."""
    w: np.ndarray
    b: float
    errors: list[int]
    converged: bool


def _matrix(fn: str, x: object) -> np.ndarray:
    return real_array(fn, "x", x, ndim=2, layout="(N, D)", dtype=np.float64)


def _weights(fn: str, w: object, b: object, d: int) -> tuple[np.ndarray, float]:
    w = check_shape(fn, "w", real_array(fn, "w", w, dtype=np.float64), (d,), " to match x")
    return w, number(fn, "b", b)


def _check_outputs(fn: str, outputs: object) -> str:
    return choice(fn, "outputs", outputs, _OUTPUTS)


def _targets(fn: str, t: object, n: int, outputs: str) -> np.ndarray:
    t = check_shape(fn, "t", real_array(fn, "t", t, dtype=np.float64), (n,), " to match x")
    allowed = (0.0, 1.0) if outputs == "binary" else (-1.0, 1.0)
    if not np.isin(t, allowed).all():
        raise ValueError(f"{fn}: t must hold only {allowed} for outputs={outputs!r}, got {np.unique(t)}")
    return t


def perceptron_predict(x: np.ndarray, w: np.ndarray, b: float, *, outputs: str = "binary") -> np.ndarray:
    """Threshold unit: x (N, D) -> (N,) of 1 where w.x + b > 0, else 0 ("binary") or -1 ("pm1")."""
    fn = "perceptron_predict"
    x = _matrix(fn, x)
    w, b = _weights(fn, w, b, x.shape[1])
    low = 0.0 if _check_outputs(fn, outputs) == "binary" else -1.0
    return np.where(x @ w + b > 0, 1.0, low)


def rosenblatt_step(x_i: np.ndarray, t_i: float, w: np.ndarray, b: float, *, eta: float,
                    outputs: str = "binary") -> tuple[np.ndarray, float]:
    """One application of Rosenblatt's rule to one example x_i (D,) with target t_i.

    Returns new (w, b) = (w + eta (t - o) x_i, b + eta (t - o)), o the unit's current output.
    """
    fn = "rosenblatt_step"
    x_i = real_array(fn, "x_i", x_i, ndim=1, layout="(D,), one example")
    x_row = _matrix(fn, x_i[None, :])
    t = _targets(fn, [t_i], 1, _check_outputs(fn, outputs))[0]
    o = perceptron_predict(x_row, w, b, outputs=outputs)[0]
    step = _eta(fn, eta) * (t - o)
    return np.asarray(w, dtype=np.float64) + step * x_row[0], float(b) + step


def delta_rule_step(x: np.ndarray, t: np.ndarray, w: np.ndarray, b: float, *, eta: float) -> tuple[np.ndarray, float]:
    """One gradient-descent step on E = 1/2 sum (t - w.x - b)^2 over the examples x (N, D), t (N,).

    dE/dw = -sum_d (t_d - o_d) x_d, so w <- w + eta sum_d (t_d - o_d) x_d (and b likewise with x = 1).
    A single example (D,) with a scalar target is accepted too. Targets are used as given (any reals).
    """
    fn = "delta_rule_step"
    x = _matrix(fn, np.asarray(x)[None, :] if np.ndim(x) == 1 else x)
    w, b = _weights(fn, w, b, x.shape[1])
    t = real_array(fn, "t", t, dtype=np.float64)
    t = check_shape(fn, "t", t.reshape(-1) if t.ndim <= 1 else t, (x.shape[0],), " to match x")
    residual = t - (x @ w + b)               # t_d - o_d for the linear unit
    eta = _eta(fn, eta)
    return w + eta * (x.T @ residual), b + eta * float(residual.sum())


def _eta(fn: str, eta: object) -> float:
    if not number(fn, "eta", eta) > 0:
        raise ValueError(f"{fn}: eta must be > 0, got {eta!r}")
    return float(eta)


def train_perceptron(x: np.ndarray, t: np.ndarray, *, rule: str = "rosenblatt", eta: float = 0.1,
                     max_epochs: int = 100, outputs: str = "binary", rng: np.random.Generator | None = None,
                     w0: np.ndarray | None = None, b0: float = 0.0) -> PerceptronFit:
    """Train a threshold unit on x (N, D), t (N,) until an epoch has no misclassification.

    rule="rosenblatt": one pass over the examples per epoch (shuffled when ``rng`` is given), one
    rosenblatt_step each; errors[e] counts the mistakes (updates) made during epoch e.
    rule="delta": one delta_rule_step per epoch on all examples, with {0, 1} targets mapped to
    ±1 (2t - 1) so that the least-squares unit is thresholded at 0; errors[e] counts the
    misclassified examples after the step. converged is True when an epoch ends with 0 errors.
    """
    fn = "train_perceptron"
    x = _matrix(fn, x)
    t = _targets(fn, t, x.shape[0], _check_outputs(fn, outputs))
    choice(fn, "rule", rule, ("rosenblatt", "delta"))
    integer(fn, "max_epochs", max_epochs, minimum=1)
    generator(fn, rng, optional=True)
    w, b = _weights(fn, np.zeros(x.shape[1]) if w0 is None else w0, b0, x.shape[1])
    eta = _eta(fn, eta)
    errors: list[int] = []
    for _ in range(max_epochs):
        if rule == "rosenblatt":
            mistakes = 0
            for i in (rng.permutation(len(x)) if rng is not None else range(len(x))):
                mistakes += int(perceptron_predict(x[i:i + 1], w, b, outputs=outputs)[0] != t[i])
                w, b = rosenblatt_step(x[i], t[i], w, b, eta=eta, outputs=outputs)
        else:
            w, b = delta_rule_step(x, 2 * t - 1 if outputs == "binary" else t, w, b, eta=eta)
            mistakes = int(np.sum(perceptron_predict(x, w, b, outputs=outputs) != t))
        errors.append(mistakes)
        if mistakes == 0:
            return PerceptronFit(w, b, errors, True)
    return PerceptronFit(w, b, errors, False)
