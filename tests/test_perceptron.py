"""Tests for cnnlab/perceptron.py: Rosenblatt's rule and the delta rule."""

import numpy as np
import pytest

from cnnlab.perceptron import (PerceptronFit, delta_rule_step, perceptron_predict, rosenblatt_step,
                               train_perceptron)

X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND, OR, XOR = np.array([0, 0, 0, 1.0]), np.array([0, 1, 1, 1.0]), np.array([0, 1, 1, 0.0])


def test_predict_threshold_both_output_codes():
    w, b = np.array([1.0, 1.0]), -1.5
    np.testing.assert_array_equal(perceptron_predict(X2, w, b), AND)
    np.testing.assert_array_equal(perceptron_predict(X2, w, b, outputs="pm1"), 2 * AND - 1)
    # exactly on the hyperplane counts as "not firing" (w.x + b > 0 is strict)
    assert perceptron_predict(np.array([[1.0, 0.5]]), w, b)[0] == 0.0


def test_rosenblatt_step_by_hand():
    w, b = np.array([0.0, 0.0]), 0.0
    # o = 0 but t = 1: w += 0.5 * 1 * x, b += 0.5
    w1, b1 = rosenblatt_step(np.array([2.0, -1.0]), 1.0, w, b, eta=0.5)
    np.testing.assert_array_equal(w1, [1.0, -0.5])
    assert b1 == 0.5
    # correctly classified: nothing changes
    w2, b2 = rosenblatt_step(np.array([2.0, -1.0]), 1.0, w1, b1, eta=0.5)
    np.testing.assert_array_equal(w2, w1)
    assert b2 == b1
    # ±1 outputs: o = 1, t = -1, so dw = eta * (-2) x
    w3, b3 = rosenblatt_step(np.array([1.0, 0.0]), -1.0, np.array([1.0, 0.0]), 0.0, eta=0.1, outputs="pm1")
    np.testing.assert_allclose(w3, [0.8, 0.0])
    assert b3 == pytest.approx(-0.2)
    assert np.array_equal(w, [0.0, 0.0])        # arguments are not mutated


def test_delta_rule_step_is_gradient_descent_on_half_squared_error():
    rng = np.random.default_rng(0)
    x, t, w, b = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3), 0.3
    E = lambda w, b: 0.5 * np.sum((t - x @ w - b) ** 2)
    h = 1e-6
    grad_w = np.array([(E(w + h * e, b) - E(w - h * e, b)) / (2 * h) for e in np.eye(3)])
    grad_b = (E(w, b + h) - E(w, b - h)) / (2 * h)
    w1, b1 = delta_rule_step(x, t, w, b, eta=0.01)
    np.testing.assert_allclose(w1, w - 0.01 * grad_w, rtol=1e-7)
    assert b1 == pytest.approx(b - 0.01 * grad_b, rel=1e-7)
    # the notes' form: dw_i = eta sum_d (t_d - o_d) x_id
    np.testing.assert_allclose(w1 - w, 0.01 * ((t - x @ w - b)[:, None] * x).sum(0))
    # one example at a time
    w2, b2 = delta_rule_step(x[0], t[0], w, b, eta=0.1)
    np.testing.assert_allclose(w2, w + 0.1 * (t[0] - x[0] @ w - b) * x[0])


@pytest.mark.parametrize("rule", ["rosenblatt", "delta"])
@pytest.mark.parametrize("outputs", ["binary", "pm1"])
@pytest.mark.parametrize("name, target", [("AND", AND), ("OR", OR)])
def test_learns_and_or(rule, outputs, name, target):
    t = target if outputs == "binary" else 2 * target - 1
    fit = train_perceptron(X2, t, rule=rule, eta=0.1, max_epochs=200, outputs=outputs)
    assert isinstance(fit, PerceptronFit)
    assert fit.converged and fit.errors[-1] == 0
    np.testing.assert_array_equal(perceptron_predict(X2, fit.w, fit.b, outputs=outputs), t)


@pytest.mark.parametrize("rule", ["rosenblatt", "delta"])
@pytest.mark.parametrize("outputs", ["binary", "pm1"])
def test_cannot_learn_xor(rule, outputs):
    t = XOR if outputs == "binary" else 2 * XOR - 1
    fit = train_perceptron(X2, t, rule=rule, eta=0.1, max_epochs=300, outputs=outputs)
    assert not fit.converged
    assert len(fit.errors) == 300 and min(fit.errors) > 0
    assert np.any(perceptron_predict(X2, fit.w, fit.b, outputs=outputs) != t)


def _separable(rng, n=200, d=5, margin=0.3):
    """Points at distance > margin from a random hyperplane through a random offset."""
    w_true, b_true = rng.normal(size=d), 0.5
    w_true /= np.linalg.norm(w_true)
    x = rng.uniform(-3, 3, size=(4 * n, d))
    score = x @ w_true + b_true
    keep = np.abs(score) > margin
    return x[keep][:n], (score[keep][:n] > 0).astype(float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rosenblatt_converges_on_random_separable_set_within_novikoff_bound(seed):
    rng = np.random.default_rng(seed)
    x, t = _separable(rng)
    fit = train_perceptron(x, t, rule="rosenblatt", eta=1.0, max_epochs=1000, rng=rng)
    assert fit.converged
    np.testing.assert_array_equal(perceptron_predict(x, fit.w, fit.b), t)
    # Novikoff: at most (R / margin)^2 mistakes, R bounding |(x, 1)|
    R = np.max(np.linalg.norm(np.c_[x, np.ones(len(x))], axis=1))
    margin_aug = 0.3 / np.sqrt(1 + 0.5 ** 2)     # margin of the augmented unit vector (w, b)/|(w, b)|
    assert sum(fit.errors) <= (R / margin_aug) ** 2


def test_delta_rule_converges_on_random_separable_set():
    rng = np.random.default_rng(3)
    x, t = _separable(rng, n=100, d=3, margin=0.5)
    fit = train_perceptron(x, 2 * t - 1, rule="delta", eta=1e-3, max_epochs=500, outputs="pm1")
    assert fit.converged
    np.testing.assert_array_equal(perceptron_predict(x, fit.w, fit.b, outputs="pm1"), 2 * t - 1)


def test_train_uses_w0_b0_and_does_not_mutate():
    w0 = np.array([5.0, 5.0])
    fit = train_perceptron(X2, AND, w0=w0, b0=-7.0, max_epochs=1)
    assert fit.converged and fit.errors == [0]          # w0, b0 already separate AND
    np.testing.assert_array_equal(fit.w, w0)
    fit = train_perceptron(X2, AND, w0=w0, b0=0.0, max_epochs=50)
    assert fit.converged and np.array_equal(w0, [5.0, 5.0])


def test_rng_shuffles_but_still_converges():
    a = train_perceptron(X2, OR, rng=np.random.default_rng(0))
    b = train_perceptron(X2, OR, rng=np.random.default_rng(0))
    assert a.converged and a.errors == b.errors and np.array_equal(a.w, b.w)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: perceptron_predict(X2[0], np.ones(2), 0.0), ValueError, r"perceptron_predict: x must be 2-D \(N, D\), got x.shape=\(2,\)"),
    (lambda: perceptron_predict(X2, np.ones(3), 0.0), ValueError, r"perceptron_predict: w must have shape \(2,\)"),
    (lambda: perceptron_predict(X2, np.ones(2), "0"), TypeError, r"perceptron_predict: b must be a number"),
    (lambda: perceptron_predict(X2, np.ones(2), 0.0, outputs="sign"), ValueError, r"outputs must be 'binary' or 'pm1'"),
    (lambda: perceptron_predict(np.array([["a", "b"]]), np.ones(2), 0.0), TypeError, r"perceptron_predict: x must be a real array"),
    (lambda: rosenblatt_step(X2, 1.0, np.ones(2), 0.0, eta=0.1), ValueError, r"rosenblatt_step: x_i must be 1-D \(D,\), one example, got x_i.shape=\(4, 2\)"),
    (lambda: rosenblatt_step(X2[0], 2.0, np.ones(2), 0.0, eta=0.1), ValueError, r"rosenblatt_step: t must hold only"),
    (lambda: rosenblatt_step(X2[0], 1.0, np.ones(2), 0.0, eta=-1), ValueError, r"rosenblatt_step: eta must be > 0, got -1"),
    (lambda: delta_rule_step(X2, np.ones(3), np.ones(2), 0.0, eta=0.1), ValueError, r"delta_rule_step: t must have shape \(4,\)"),
    (lambda: delta_rule_step(X2, AND, np.ones(2), 0.0, eta="big"), TypeError, r"delta_rule_step: eta must be a number, got str 'big'"),
    (lambda: train_perceptron(X2, AND, rule="hebb"), ValueError, r"train_perceptron: rule must be"),
    (lambda: train_perceptron(X2, AND, max_epochs=0), ValueError, r"train_perceptron: max_epochs must be >= 1, got 0"),
    (lambda: train_perceptron(X2, AND, rng=0), TypeError, r"train_perceptron: rng must be a np.random.Generator or None, got int"),
    (lambda: train_perceptron(X2, AND[:3]), ValueError, r"train_perceptron: t must have shape \(4,\)"),
    (lambda: train_perceptron(X2, 2 * AND - 1), ValueError, r"train_perceptron: t must hold only \(0.0, 1.0\)"),
    (lambda: train_perceptron(X2, AND, w0=np.ones(3)), ValueError, r"train_perceptron: w must have shape"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call, exc, message", [
    (lambda: train_perceptron(X2, np.array(["0", "0", "0", "1"])), TypeError,
     r"^train_perceptron: t must be a real array, got dtype <U1$"),
    (lambda: delta_rule_step(X2, ["a"] * 4, np.ones(2), 0.0, eta=0.1), TypeError, r"^delta_rule_step: t must be a real array"),
    (lambda: train_perceptron(X2, AND, max_epochs=2.0), TypeError, r"^train_perceptron: max_epochs must be an int, got float"),
    (lambda: train_perceptron(X2, AND, rule=1), ValueError, r"^train_perceptron: rule must be 'rosenblatt' or 'delta', got 1$"),
])
def test_wrong_types_are_type_errors_wrong_values_value_errors(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
