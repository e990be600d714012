"""Tests for cnnlab/functional/losses.py."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from cnnlab import functional as F
from helpers.strategies import shaped_arrays
from helpers.ops import check_against_numeric, check_against_torch

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def _grad(forward, backward, *args, dout=1.0, **kw):
    """The backward of ``forward(*args, **kw)`` for a scalar upstream gradient."""
    return backward(dout, forward(*args, **kw)[1])


# --- 1. hand-computed cases ----------------------------------------------------------------

def test_squared_error_is_half_the_sum_and_its_derivative_is_o_minus_t():
    """Notes: E = 1/2 sum (t - o)^2 and dE/do = -(t - o); the notes' outputs (0.7501, 0.9571), t = (1, 0)."""
    o, t = np.array([0.7501, 0.9571]), np.array([1.0, 0.0])
    assert F.squared_error(o, t) == pytest.approx(0.5 * (0.2499 ** 2 + 0.9571 ** 2), rel=1e-14)
    np.testing.assert_allclose(_grad(F.squared_error_forward, F.squared_error_backward, o, t), [-0.2499, 0.9571])
    # times sigma' = o (1 - o) this is minus the notes' delta_k = o (1 - o)(t - o) = (0.0469, -0.0394)
    delta = -F.sigmoid_backward(_grad(F.squared_error_forward, F.squared_error_backward, o, t),
                                F.sigmoid_forward(np.log(o / (1 - o)))[1])
    np.testing.assert_allclose(delta, [0.0469, -0.0394], atol=2e-4)   # the notes round o to 0.750, 0.957


def test_mse_is_the_mean_and_sum_reduction_drops_it():
    x, t = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 4.0]])
    assert F.mse_loss(x, t) == pytest.approx((4 + 9) / 4)
    assert F.mse_loss(x, t, reduction="sum") == pytest.approx(13.0)
    np.testing.assert_allclose(_grad(F.mse_loss_forward, F.mse_loss_backward, x, t, dout=2.0),
                               2.0 * 2 * (x - t) / 4)


def test_binary_cross_entropy_derivative_is_minus_the_notes_dJ_dy():
    """Notes: J = t log y + (1 - t) log(1 - y), dJ/dy = t / y + (1 - t) / (y - 1); the loss is -J."""
    p, t = np.array([0.2, 0.7, 0.9]), np.array([1.0, 0.0, 1.0])
    J = t * np.log(p) + (1 - t) * np.log(1 - p)
    assert F.binary_cross_entropy(p, t, reduction="sum") == pytest.approx(-J.sum(), rel=1e-14)
    assert F.binary_cross_entropy(p, t) == pytest.approx(-J.mean(), rel=1e-14)
    dJ_dy = t / p + (1 - t) / (p - 1)
    np.testing.assert_allclose(_grad(F.binary_cross_entropy_forward, F.binary_cross_entropy_backward,
                                     p, t, reduction="sum"), -dJ_dy, rtol=1e-13)


def test_binary_cross_entropy_clamps_logs_at_minus_100_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.binary_cross_entropy(np.array([0.0]), np.array([1.0])) == pytest.approx(100.0)
        assert F.binary_cross_entropy(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0


def test_binary_cross_entropy_with_logits_equals_bce_of_sigmoid_and_is_stable():
    z, t = np.array([-3.0, 0.0, 2.5]), np.array([0.0, 1.0, 0.3])
    assert F.binary_cross_entropy_with_logits(z, t) == pytest.approx(F.binary_cross_entropy(F.sigmoid(z), t), rel=1e-13)
    np.testing.assert_allclose(
        _grad(F.binary_cross_entropy_with_logits_forward, F.binary_cross_entropy_with_logits_backward, z, t),
        (F.sigmoid(z) - t) / 3, rtol=1e-14)
    with np.errstate(all="raise"):
        big = F.binary_cross_entropy_with_logits(np.array([1000.0, -1000.0]), np.array([0.0, 0.0]), reduction="sum")
    assert big == pytest.approx(1000.0)                         # -log(1 - sigma(1000)) = 1000, not inf


def test_cross_entropy_of_integer_and_one_hot_targets_and_its_fused_gradient():
    from cnnlab.notes.ch03_softmax_losses import SOFTMAX_SCORES
    logits = np.stack([SOFTMAX_SCORES, np.zeros(4)])                   # row 0: the notes' scores
    labels = np.array([1, 3])
    loss = F.cross_entropy(logits, labels)
    e = np.exp(SOFTMAX_SCORES)
    assert loss == pytest.approx((-np.log(e[1] / e.sum()) - np.log(0.25)) / 2, rel=1e-12)
    assert F.cross_entropy(logits, np.eye(4)[labels]) == pytest.approx(loss, rel=1e-15)
    assert F.cross_entropy(logits, labels, reduction="sum") == pytest.approx(2 * loss, rel=1e-15)
    grad = _grad(F.cross_entropy_forward, F.cross_entropy_backward, logits, labels)
    np.testing.assert_allclose(grad, (F.softmax(logits, axis=1) - np.eye(4)[labels]) / 2, rtol=1e-13)


def test_cross_entropy_is_stable_for_huge_logits():
    with np.errstate(all="raise"):
        assert F.cross_entropy(np.array([[1e4, 0.0]]), np.array([1])) == pytest.approx(1e4)
        grad = _grad(F.cross_entropy_forward, F.cross_entropy_backward, np.array([[1e4, 0.0]]), np.array([0]))
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])


def test_cross_entropy_weight_and_ignore_index_follow_torchs_mean():
    """mean = sum_n w_{y_n} (-log p_n[y_n]) / sum_n w_{y_n} over the examples not ignored."""
    from cnnlab.notes.ch03_softmax_losses import SOFTMAX_SCORES
    logits = np.stack([SOFTMAX_SCORES, np.zeros(4), np.arange(4.0)])
    labels, w = np.array([1, 3, -100]), np.array([1.0, 2.0, 1.0, 0.5])
    e = np.exp(SOFTMAX_SCORES)
    nll = np.array([-np.log(e[1] / e.sum()), -np.log(0.25)])               # the notes' scores, and a tie
    expected = (2.0 * nll[0] + 0.5 * nll[1]) / (2.0 + 0.5)
    assert F.cross_entropy(logits, labels, weight=w) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(F.cross_entropy(logits, labels, weight=w, reduction="none"),
                               [2.0 * nll[0], 0.5 * nll[1], 0.0], rtol=1e-12)
    assert F.cross_entropy(logits, np.array([1, 7, 7]), ignore_index=7) == pytest.approx(nll[0], rel=1e-12)
    grad = _grad(F.cross_entropy_forward, F.cross_entropy_backward, logits, labels, ignore_index=-100)
    np.testing.assert_array_equal(grad[2], 0.0)                              # an ignored row gets no gradient
    assert np.isnan(F.cross_entropy(logits, np.full(3, -100)))              # 0 / 0, as in torch


def test_cross_entropy_label_smoothing_mixes_in_the_uniform_distribution():
    """eps: loss = (1 - eps) (-log p_y) + eps / C * sum_c (-log p_c)."""
    from cnnlab.notes.ch03_softmax_losses import SOFTMAX_SCORES
    logits, eps = SOFTMAX_SCORES[None], 0.1
    log_p = np.log(F.softmax(logits, axis=1))[0]
    expected = (1 - eps) * -log_p[1] + eps / 4 * -log_p.sum()
    assert F.cross_entropy(logits, np.array([1]), label_smoothing=eps) == pytest.approx(expected, rel=1e-13)
    grad = _grad(F.cross_entropy_forward, F.cross_entropy_backward, logits, np.array([1]), label_smoothing=eps)
    np.testing.assert_allclose(grad[0], np.exp(log_p) - ((1 - eps) * np.eye(4)[1] + eps / 4), rtol=1e-13)


def test_cross_entropy_over_positions_is_cross_entropy_over_flattened_rows(rng):
    """(N, C, d1, d2) logits: one classification per position, the class axis second (per-pixel labels)."""
    logits, labels = rng.normal(size=(2, 3, 4, 5)), rng.integers(0, 3, (2, 4, 5))
    rows = logits.transpose(0, 2, 3, 1).reshape(-1, 3)
    assert F.cross_entropy(logits, labels) == pytest.approx(F.cross_entropy(rows, labels.ravel()), rel=1e-14)
    per_position = F.cross_entropy(logits, labels, reduction="none")
    assert per_position.shape == (2, 4, 5)
    np.testing.assert_allclose(per_position.ravel(), F.cross_entropy(rows, labels.ravel(), reduction="none"))


def test_cross_entropy_of_one_example_is_a_batch_of_one(rng):
    logits, label = rng.normal(size=4), np.array(2)
    assert F.cross_entropy(logits, label) == F.cross_entropy(logits[None], label[None])
    for reduction in ("mean", "none"):
        loss, cache = F.cross_entropy_forward(logits, label, reduction=reduction)
        assert np.shape(loss) == ()
        np.testing.assert_array_equal(F.cross_entropy_backward(np.array(1.0), cache),
                                      _grad(F.cross_entropy_forward, F.cross_entropy_backward, logits[None],
                                            label[None])[0])


def test_bce_weight_rescales_each_term_and_pos_weight_the_positive_part():
    p, t, w = np.array([0.2, 0.7]), np.array([1.0, 0.0]), np.array([3.0, 0.5])
    terms = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(p, t, weight=w, reduction="none"), w * terms, rtol=1e-14)
    assert F.binary_cross_entropy(p, t, weight=w) == pytest.approx((w * terms).mean(), rel=1e-14)
    # z = 0 (p = 1/2), t = 1, pos_weight 3: L = 3 log 2; dL/dz = (1 + 2 t) sigma(0) - 3 t = -1.5
    z, t1 = np.array([0.0]), np.array([1.0])
    assert F.binary_cross_entropy_with_logits(z, t1, pos_weight=np.array([3.0])) == pytest.approx(3 * np.log(2))
    grad = _grad(F.binary_cross_entropy_with_logits_forward, F.binary_cross_entropy_with_logits_backward, z, t1,
                 pos_weight=np.array([3.0]))
    np.testing.assert_allclose(grad, [-1.5], rtol=1e-15)


def test_reduction_none_keeps_one_term_per_element():
    x, t = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 4.0]])
    np.testing.assert_array_equal(F.mse_loss(x, t, reduction="none"), [[0.0, 4.0], [9.0, 0.0]])
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(_grad(F.mse_loss_forward, F.mse_loss_backward, x, t, dout=dout, reduction="none"),
                                  dout * 2 * (x - t))


def test_mse_gradient_does_not_overflow_where_torchs_does_not():
    x, t = np.array([1.7e308, 0.0]), np.zeros(2)
    with np.errstate(over="ignore"):
        loss, cache = F.mse_loss_forward(x, t)                  # the loss itself is inf, in torch too
    with np.errstate(over="raise"):
        np.testing.assert_allclose(F.mse_loss_backward(1.0, cache), [1.7e308, 0.0])   # 2 / 2 * 1.7e308


@pytest.mark.parametrize("forward", [F.squared_error_forward, F.mse_loss_forward, F.binary_cross_entropy_forward,
                                     F.binary_cross_entropy_with_logits_forward], ids=lambda f: f.__name__)
def test_float32_predictions_give_float32_loss_and_gradient(forward):
    p = np.array([[0.2, 0.6]], dtype=np.float32)
    loss, cache = forward(p, np.array([[0.0, 1.0]]))
    backward = getattr(F, forward.__name__.replace("_forward", "_backward"))
    assert loss.dtype == np.float32 and backward(1.0, cache).dtype == np.float32


def test_losses_never_mutate_their_inputs(rng):
    logits, labels, p = rng.normal(size=(3, 4)), np.array([0, 3, 1]), rng.uniform(0.1, 0.9, (3, 4))
    copies = [a.copy() for a in (logits, labels, p)]
    F.cross_entropy_backward(1.0, F.cross_entropy_forward(logits, labels)[1])
    F.binary_cross_entropy_backward(1.0, F.binary_cross_entropy_forward(p, p)[1])
    for a, b in zip((logits, labels, p), copies):
        np.testing.assert_array_equal(a, b)


# --- 2. central differences ----------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_match_finite_differences(reduction, rng):
    x, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    p, q = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
    kw = {"reduction": reduction}
    check_against_numeric(F.mse_loss_forward, F.mse_loss_backward, {"input": x, "target": t},
                          differentiable=[True, False], kwargs=kw)
    check_against_numeric(F.binary_cross_entropy_forward, F.binary_cross_entropy_backward, {"p": p, "t": q},
                          differentiable=[True, False], kwargs=kw)
    check_against_numeric(F.binary_cross_entropy_with_logits_forward, F.binary_cross_entropy_with_logits_backward,
                          {"z": x, "t": q}, differentiable=[True, False], kwargs=kw)
    check_against_numeric(F.cross_entropy_forward, F.cross_entropy_backward,
                          {"logits": x, "target": np.array([0, 3, 2])}, kwargs=kw)
    check_against_numeric(F.cross_entropy_forward, F.cross_entropy_backward,     # rows need not sum to 1
                          {"logits": x, "target": q}, differentiable=[True, False], kwargs=kw)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_and_per_position_gradients_match_finite_differences(reduction, rng):
    kw = {"reduction": reduction}
    x, q = rng.normal(size=(3, 4)), rng.uniform(0, 1, (3, 4))
    p = rng.uniform(0.05, 0.95, (3, 4))
    check_against_numeric(F.mse_loss_forward, F.mse_loss_backward, {"input": x, "target": q},
                          differentiable=[True, False], kwargs=kw)
    check_against_numeric(F.binary_cross_entropy_forward, F.binary_cross_entropy_backward, {"p": p, "t": q},
                          differentiable=[True, False], kwargs={**kw, "weight": rng.uniform(0, 2, (4,))})
    check_against_numeric(F.binary_cross_entropy_with_logits_forward, F.binary_cross_entropy_with_logits_backward,
                          {"z": x, "t": q}, differentiable=[True, False],
                          kwargs={**kw, "weight": rng.uniform(0, 2, (3, 1)), "pos_weight": rng.uniform(0.5, 3, 4)})
    logits = rng.normal(size=(2, 4, 3, 2))
    labels = rng.integers(0, 4, (2, 3, 2))
    labels[0, 0, 0] = -1
    check_against_numeric(F.cross_entropy_forward, F.cross_entropy_backward, {"logits": logits, "target": labels},
                          kwargs={**kw, "weight": rng.uniform(0.5, 2, 4), "ignore_index": -1, "label_smoothing": 0.2})
    check_against_numeric(F.cross_entropy_forward, F.cross_entropy_backward,
                          {"logits": logits, "target": rng.dirichlet(np.ones(4), (2, 3, 2)).transpose(0, 3, 1, 2)},
                          differentiable=[True, False], kwargs={**kw, "weight": rng.uniform(0.5, 2, 4),
                                                                "label_smoothing": 0.1})


def test_squared_error_gradient_matches_finite_differences(rng):
    check_against_numeric(F.squared_error_forward, F.squared_error_backward,
                          {"o": rng.normal(size=(2, 3)), "t": rng.normal(size=(2, 3))}, differentiable=[True, False])


# --- 3. torch parity over drawn shapes -----------------------------------------------------

@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(x=shaped_arrays(), seed=st.integers(0, 1000), reduction=REDUCTIONS)
def test_elementwise_losses_match_torch(x, seed, reduction):
    torch = pytest.importorskip("torch")
    nn = torch.nn.functional
    r = np.random.default_rng(seed)
    t, p = r.uniform(0, 1, x.shape), r.uniform(0.02, 0.98, x.shape)
    kw = {"reduction": reduction}
    flags = [True, False]
    check_against_torch(F.mse_loss_forward, F.mse_loss_backward, nn.mse_loss, {"input": x, "target": t},
                        differentiable=flags, kwargs=kw, seed=seed)
    check_against_torch(F.binary_cross_entropy_forward, F.binary_cross_entropy_backward, nn.binary_cross_entropy,
                        {"p": p, "t": t}, differentiable=flags, kwargs=kw, seed=seed)
    check_against_torch(F.binary_cross_entropy_with_logits_forward, F.binary_cross_entropy_with_logits_backward,
                        nn.binary_cross_entropy_with_logits, {"z": 5 * x, "t": t}, differentiable=flags,
                        kwargs=kw, seed=seed)
    check_against_torch(F.squared_error_forward, F.squared_error_backward, lambda o, t: 0.5 * ((t - o) ** 2).sum(),
                        {"o": x, "t": t}, differentiable=flags, seed=seed)


@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(x=shaped_arrays(), seed=st.integers(0, 1000), reduction=REDUCTIONS, trailing=st.booleans())
def test_weighted_binary_losses_match_torch(x, seed, reduction, trailing):
    """weight and pos_weight of a broadcastable shape: the full shape, or its last axis (per label)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn.functional
    r = np.random.default_rng(seed)
    t, p = r.uniform(0, 1, x.shape), r.uniform(0.02, 0.98, x.shape)
    shape = x.shape[-1:] if trailing else x.shape
    w, pw = r.uniform(0, 2, shape), r.uniform(0.2, 4, shape)
    flags = [True, False]
    check_against_torch(F.binary_cross_entropy_forward, F.binary_cross_entropy_backward, nn.binary_cross_entropy,
                        {"p": p, "t": t}, differentiable=flags, kwargs={"reduction": reduction, "weight": w},
                        torch_kwargs={"reduction": reduction, "weight": torch.tensor(w)}, seed=seed)
    check_against_torch(F.binary_cross_entropy_with_logits_forward, F.binary_cross_entropy_with_logits_backward,
                        nn.binary_cross_entropy_with_logits, {"z": 5 * x, "t": t}, differentiable=flags,
                        kwargs={"reduction": reduction, "weight": w, "pos_weight": pw},
                        torch_kwargs={"reduction": reduction, "weight": torch.tensor(w),
                                      "pos_weight": torch.tensor(pw)}, seed=seed)


@pytest.mark.torch
@settings(max_examples=25, deadline=None)
@given(shape=array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=4), seed=st.integers(0, 1000),
       reduction=REDUCTIONS, probabilities=st.booleans(), weighted=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.3]), ignore=st.booleans())
def test_cross_entropy_matches_torch(shape, seed, reduction, probabilities, weighted, smoothing, ignore):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(seed)
    logits = r.normal(scale=3, size=shape)
    positions = shape[:1] + shape[2:]
    if probabilities:
        target = np.moveaxis(r.dirichlet(np.ones(shape[1]), size=positions), -1, 1)
    else:
        target = r.integers(0, shape[1], positions)
        if ignore and target.size > 1:
            target.flat[0] = -100                                          # torch's default ignore_index
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    weight = r.uniform(0.2, 2, shape[1]) if weighted else None
    check_against_torch(F.cross_entropy_forward, F.cross_entropy_backward, torch.nn.functional.cross_entropy,
                        {"logits": logits, "target": target}, differentiable=[True, False],
                        kwargs={**kw, "weight": weight},
                        torch_kwargs={**kw, "weight": None if weight is None else torch.tensor(weight)}, seed=seed)
    np.testing.assert_array_equal(F.cross_entropy(logits, target, weight=weight, **kw),
                                  F.cross_entropy_forward(logits, target, weight=weight, **kw)[0])


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_gradient_does_not_overflow_near_the_float_limit(reduction):
    """2 (input - target) overflows at 1.7e308; the factor 2 / size is applied as one scalar, as torch."""
    torch = pytest.importorskip("torch")
    pred, target = np.array([1.7e308, -1.7e308, 1.0]), np.array([0.0, 0.0, 3.0])
    pt = torch.tensor(pred, requires_grad=True)
    expected = torch.nn.functional.mse_loss(pt, torch.tensor(target), reduction=reduction)
    expected.backward()
    loss, cache = F.mse_loss_forward(pred, target, reduction=reduction)
    assert loss == expected.item() == np.inf                      # the loss itself is inf, in both
    np.testing.assert_allclose(F.mse_loss_backward(1.0, cache), pt.grad.numpy(), rtol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name, pred, target", [
    ("mse_loss", np.zeros(0), np.zeros(0)), ("binary_cross_entropy", np.zeros((0, 2)), np.zeros((0, 2))),
    ("binary_cross_entropy_with_logits", np.zeros(0), np.zeros(0)),
    ("cross_entropy", np.zeros((0, 3)), np.zeros(0, dtype=int)), ("cross_entropy", np.zeros((0, 3)), np.zeros((0, 3))),
])
def test_an_empty_batch_gives_torchs_loss(name, pred, target, reduction):
    """The mean over no elements is NaN and the sum 0, as in torch; the gradient is empty."""
    torch = pytest.importorskip("torch")
    tt = torch.tensor(target) if target.dtype.kind == "i" else torch.tensor(target, dtype=torch.float64)
    expected = getattr(torch.nn.functional, name)(torch.tensor(pred), tt, reduction=reduction).item()
    loss, cache = getattr(F, f"{name}_forward")(pred, target, reduction=reduction)
    np.testing.assert_array_equal(loss, expected)
    assert getattr(F, f"{name}_backward")(1.0, cache).shape == pred.shape


def test_forward_only_functions_agree_with_forward(rng):
    x, t, p = rng.normal(size=(2, 3)), rng.uniform(0, 1, (2, 3)), rng.uniform(0.1, 0.9, (2, 3))
    assert F.squared_error(x, t) == F.squared_error_forward(x, t)[0]
    assert F.mse_loss(x, t, reduction="sum") == F.mse_loss_forward(x, t, reduction="sum")[0]
    assert F.binary_cross_entropy(p, t) == F.binary_cross_entropy_forward(p, t)[0]
    assert F.binary_cross_entropy_with_logits(x, t) == F.binary_cross_entropy_with_logits_forward(x, t)[0]


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("func, names", [(F.squared_error, "o, t"), (F.mse_loss, "input, target"),
                                         (F.binary_cross_entropy, "p, t"), (F.binary_cross_entropy_with_logits, "z, t")],
                         ids=lambda v: getattr(v, "__name__", v))
def test_prediction_and_target_shapes_must_match(func, names):
    pred, target = names.split(", ")
    with pytest.raises(ValueError, match=rf"{func.__name__}_forward: {pred}.shape=\(2, 3\) but {target}.shape=\(3, 2\)"):
        func(np.full((2, 3), 0.5), np.zeros((3, 2)))


@pytest.mark.parametrize("func", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.cross_entropy],
                         ids=lambda f: f.__name__)
def test_reduction_must_be_mean_sum_or_none(func):
    with pytest.raises(ValueError, match=rf"{func.__name__}_forward: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        func(np.full((2, 3), 0.5), np.array([0, 1]) if func is F.cross_entropy else np.zeros((2, 3)), reduction="avg")


@pytest.mark.parametrize("func", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits],
                         ids=lambda f: f.__name__)
def test_weights_must_broadcast_to_the_input(func):
    with pytest.raises(ValueError, match=rf"{func.__name__}_forward: weight.shape=\(2,\) does not broadcast "
                                         r"to the input's shape \(2, 3\)"):
        func(np.full((2, 3), 0.5), np.zeros((2, 3)), weight=np.ones(2))
    with pytest.raises(ValueError, match=r"pos_weight.shape=\(4,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(np.zeros((2, 3)), np.zeros((2, 3)), pos_weight=np.ones(4))


def test_binary_cross_entropy_needs_probabilities():
    with pytest.raises(ValueError, match=r"binary_cross_entropy_forward: p must hold probabilities in \[0, 1\]"):
        F.binary_cross_entropy(np.array([0.5, 1.5]), np.array([0.0, 1.0]))


def test_cross_entropy_rejects_bad_targets_logits_and_weights():
    logits = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"cross_entropy_forward: target class indices must lie in \[0, 3\)"):
        F.cross_entropy(logits, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"cross_entropy_forward: target class indices .* values in \[-1, 0\]"):
        F.cross_entropy(logits, np.array([-1, 0]))
    with pytest.raises(ValueError, match=r"cross_entropy_forward: a target of shape \(2,\) must hold integer"):
        F.cross_entropy(logits, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"cross_entropy_forward: target.shape=\(3,\) must be \(2,\) class indices"):
        F.cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"target.shape=\(2, 5\) must be \(2, 4\) class indices or \(2, 3, 4\)"):
        F.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"cross_entropy_forward: logits must be \(C,\), \(N, C\) or \(N, C, d1, ...\), "
                                         r"got logits.shape=\(\)"):
        F.cross_entropy(np.zeros(()), np.array(0))
    with pytest.raises(ValueError, match=r"cross_entropy_forward: weight.shape=\(2,\) must be \(3,\), one per class"):
        F.cross_entropy(logits, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match=r"cross_entropy_forward: label_smoothing=1.5 must lie in \[0, 1\]"):
        F.cross_entropy(logits, np.array([0, 1]), label_smoothing=1.5)


@pytest.mark.parametrize("name", ["squared_error", "mse_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "cross_entropy"])
def test_backward_needs_a_scalar_dout(name):
    cache = getattr(F, f"{name}_forward")(np.full((2, 2), 0.5), np.array([0, 1]) if name == "cross_entropy"
                                          else np.zeros((2, 2)))[1]
    with pytest.raises(ValueError, match=rf"{name}_backward: dout.shape=\(2,\) but the forward output had shape \(\)"):
        getattr(F, f"{name}_backward")(np.ones(2), cache)


@pytest.mark.parametrize("name", ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "cross_entropy"])
def test_backward_of_reduction_none_needs_one_dout_per_term(name):
    cache = getattr(F, f"{name}_forward")(np.full((2, 2), 0.5), np.array([0, 1]) if name == "cross_entropy"
                                          else np.zeros((2, 2)), reduction="none")[1]
    shape = (2,) if name == "cross_entropy" else (2, 2)
    with pytest.raises(ValueError, match=rf"{name}_backward: dout.shape=\(3,\) but the forward output had shape "
                                         rf"{re.escape(str(shape))}"):
        getattr(F, f"{name}_backward")(np.ones(3), cache)
