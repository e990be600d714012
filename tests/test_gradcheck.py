"""Tests for cnnlab/gradcheck.py."""

import numpy as np
import pytest

from cnnlab.gradcheck import check_gradient, numerical_gradient, numerical_vjp, rel_error
from helpers.tolerances import GRAD_TOL


# --- rel_error -------------------------------------------------------------------------------

def test_rel_error_by_hand():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(2 / 4)       # |1-3| / (1+3)
    assert rel_error(np.array([1.0, -10.0]), np.array([1.5, -10.0])) == pytest.approx(0.5 / 20)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0                                 # no 0/0
    assert rel_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(1e-9 / 1e-8)  # floor 1e-8
    assert rel_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"rel_error: a.shape=\(2,\) and b.shape=\(3,\) differ"):
        rel_error(np.zeros(2), np.zeros(3))


# --- numerical_gradient / numerical_vjp ------------------------------------------------------

def test_numerical_gradient_of_a_sum_of_squares_is_2x(rng):
    x = rng.normal(size=(3, 4))
    assert rel_error(numerical_gradient(lambda v: np.sum(v ** 2), x), 2 * x) < GRAD_TOL


def test_numerical_vjp_of_a_matrix_product_is_the_transposed_product(rng):
    a, x, dout = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5)
    vjp = numerical_vjp(lambda m, v: m @ v, [a, x], 1, dout)
    assert rel_error(vjp, a.T @ dout) < GRAD_TOL
    vjp_a = numerical_vjp(lambda m, v: m @ v, [a, x], 0, dout)
    assert rel_error(vjp_a, np.outer(dout, x)) < GRAD_TOL


def test_numerical_vjp_never_mutates_its_arguments(rng):
    x = rng.normal(size=(2, 3))
    before = x.copy()
    seen = []
    numerical_vjp(lambda v: seen.append(v) or np.sin(v), [x], 0, np.ones((2, 3)))
    np.testing.assert_array_equal(x, before)
    assert all(v is not x for v in seen)


def test_numerical_vjp_accepts_integer_arrays():
    grad = numerical_vjp(lambda v: v * 3.0, [np.array([1, 2])], 0, np.ones(2))
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [3.0, 3.0], rtol=1e-8)


# --- check_gradient ----------------------------------------------------------------------------

def _product(x, w):
    return x @ w


def test_check_gradient_passes_correct_gradients_and_names_them(rng):
    x, w, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    errors = check_gradient(_product, {"x": x, "w": w}, [dout @ w.T, x.T @ dout], dout)
    assert set(errors) == {"x", "w"} and max(errors.values()) < GRAD_TOL
    errors = check_gradient(_product, [x, w], [dout @ w.T, None], dout)     # None skips w
    assert set(errors) == {"args[0]"}


def test_check_gradient_catches_a_wrong_gradient_and_names_the_argument(rng):
    x, w, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    wrong = x.T @ dout
    wrong[1, 2] += 0.5
    with pytest.raises(AssertionError, match=r"gradient of w disagrees with finite differences: .* worst at index \(1, 2\)"):
        check_gradient(_product, {"x": x, "w": w}, [dout @ w.T, wrong], dout)
    with pytest.raises(AssertionError, match=r"gradient of args\[0\]"):
        check_gradient(_product, [x, w], [2 * dout @ w.T, None], dout)


def test_check_gradient_rejects_a_wrong_count_or_shape(rng):
    x, w, dout = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    with pytest.raises(ValueError, match=r"check_gradient: got 1 analytic gradients for 2 arguments"):
        check_gradient(_product, [x, w], [dout @ w.T], dout)
    with pytest.raises(AssertionError, match=r"gradient of args\[1\] has shape \(4, 3\), expected \(3, 4\)"):
        check_gradient(_product, [x, w], [None, dout.T @ x], dout)


def test_check_gradient_tolerance_is_honoured(rng):
    x = rng.normal(size=4)
    slightly_off = 2 * x * (1 + 1e-5)
    with pytest.raises(AssertionError):
        check_gradient(lambda v: v ** 2, [x], [slightly_off], np.ones(4), tol=GRAD_TOL)
    assert check_gradient(lambda v: v ** 2, [x], [slightly_off], np.ones(4), tol=1e-4)["args[0]"] < 1e-4


@pytest.mark.parametrize("call, error, message", [
    (lambda: numerical_vjp(lambda x: x, [np.ones(3)], 0, np.ones(1)), ValueError,
     r"^numerical_vjp: f returns shape \(3,\) but dout.shape=\(1,\)$"),
    (lambda: numerical_vjp(lambda x: x, [np.ones(3)], 0, np.ones(3), h=0), ValueError, r"^numerical_vjp: h must be > 0, got 0$"),
    (lambda: numerical_vjp(lambda x: x, [np.ones(3)], 0, np.ones(3), h="1e-6"), TypeError, r"^numerical_vjp: h must be a number"),
    (lambda: numerical_vjp(lambda x: x, [np.ones(3)], 1, np.ones(3)), ValueError, r"^numerical_vjp: index=1 is out of range for 1 args$"),
    (lambda: numerical_vjp(lambda x: x, [np.ones(3)], 0.0, np.ones(3)), TypeError, r"^numerical_vjp: index must be an int"),
    (lambda: numerical_vjp(lambda x: x, [np.array(["a"])], 0, np.ones(1)), TypeError,
     r"^numerical_vjp: args\[0\] must be a real array, got dtype <U1$"),
])
def test_numerical_vjp_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
