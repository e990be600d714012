"""Tests for cnnlab/notes/ch05_gradients.py: the chain-rule graph and the cos/sin program."""

import math

import pytest

from cnnlab.autodiff import Dual, cos, derivative, sin
from cnnlab.notes import ch05_gradients as ch05


def test_chain_rule_x_plus_y_times_z_at_the_notes_point():
    assert ch05.CHAIN_RULE_INPUTS == (-2.0, 5.0, -4.0)
    ex = ch05.chain_rule_example()
    assert ex == (3.0, -12.0, -4.0, -4.0, -4.0, 3.0)   # q, f, df/dq, df/dx, df/dy, df/dz
    assert ch05.chain_rule_example(1.0, 2.0, 3.0) == (3.0, 9.0, 3.0, 3.0, 3.0, 3.0)


def _J(v):
    return cos(sin(v ** 2) + 3 * v ** 2)


@pytest.mark.parametrize("x", [1.0, -0.5, 2.0])
def test_cos_sin_example_table_reverse_dual_finite_difference_symbolic(x):
    ex = ch05.cos_sin_example(x)
    assert (ex.t, ex.u2) == (x * x, 3 * x * x)
    assert ex.u1 == math.sin(x * x) and ex.u == ex.u1 + ex.u2 and ex.J == math.cos(ex.u)
    assert ex.dJ_du == -math.sin(ex.u) and ex.dJ_du1 == ex.dJ_du2 == ex.dJ_du
    assert ex.dJ_dt == pytest.approx(ex.dJ_du1 * math.cos(ex.t) + ex.dJ_du2 * 3, rel=1e-15)
    assert ex.dJ_dx == pytest.approx(ex.dJ_dt * 2 * x, rel=1e-15)
    h = 1e-6
    symbolic = ch05.cos_sin_derivative(x)
    assert ex.dJ_dx == pytest.approx(symbolic, rel=1e-12)
    assert derivative(_J, x) == pytest.approx(symbolic, rel=1e-12)
    assert (_J(x + h) - _J(x - h)) / (2 * h) == pytest.approx(symbolic, rel=1e-7)


def test_cos_sin_example_pinned_at_x_1():
    ex = ch05.cos_sin_example(1.0)
    assert ex.J == pytest.approx(-0.7649205628044862, rel=1e-14)
    assert ex.dJ_dx == pytest.approx(4.560791790678778, rel=1e-14)
    assert isinstance(_J(Dual(1.0, 1.0)), Dual)
