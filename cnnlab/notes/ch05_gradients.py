"""Chapter 5, computing gradients: the notes' two small graphs.

Notes "perceptron and backpropagation", computation-graph slides: f(x, y, z) = (x + y) z at
x = -2, y = 5, z = -4 (the gradients are drawn on the graph, not printed); notes "convolution
arithmetic and backpropagation", "Simple Example": the straight-line program
J = cos(sin(x^2) + 3x^2) and its reverse sweep.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab.autodiff import Value

__all__ = ["CHAIN_RULE_INPUTS", "ChainRuleExample", "chain_rule_example",
           "CosSinExample", "cos_sin_example", "cos_sin_derivative", "ERRATA"]

CHAIN_RULE_INPUTS = (-2.0, 5.0, -4.0)                       # x, y, z


class ChainRuleExample(NamedTuple):
    """Forward values q = x + y, f = q z and the gradients of f with respect to q, x, y, z."""

    q: float
    f: float
    df_dq: float
    df_dx: float
    df_dy: float
    df_dz: float


def chain_rule_example(x: float = CHAIN_RULE_INPUTS[0], y: float = CHAIN_RULE_INPUTS[1],
                       z: float = CHAIN_RULE_INPUTS[2]) -> ChainRuleExample:
    """f(x, y, z) = (x + y) z with q = x + y, by reverse-mode autodiff (defaults: the notes' point)."""
    xv, yv, zv = Value(x, "x"), Value(y, "y"), Value(z, "z")
    q = xv + yv
    f = q * zv
    f.backward()
    return ChainRuleExample(q.data, f.data, q.grad, xv.grad, yv.grad, zv.grad)


class CosSinExample(NamedTuple):
    """Every forward value and adjoint of J = cos(u), u = u1 + u2, u1 = sin t, u2 = 3t, t = x^2."""

    t: float
    u1: float
    u2: float
    u: float
    J: float
    dJ_du: float
    dJ_du1: float
    dJ_du2: float
    dJ_dt: float
    dJ_dx: float


def cos_sin_example(x: float) -> CosSinExample:
    """J = cos(sin(x^2) + 3x^2), every forward value and backward gradient of the notes' table."""
    xv = Value(x, "x")
    t = xv ** 2
    u1, u2 = t.sin(), 3 * t
    u = u1 + u2
    J = u.cos()
    J.backward()
    return CosSinExample(t.data, u1.data, u2.data, u.data, J.data, u.grad, u1.grad, u2.grad, t.grad, xv.grad)


def cos_sin_derivative(x: float) -> float:
    """dJ/dx = -sin(sin(x^2) + 3x^2) (2x cos(x^2) + 6x), the symbolic derivative."""
    return float(-np.sin(np.sin(x * x) + 3 * x * x) * (2 * x * np.cos(x * x) + 6 * x))


ERRATA = ()
