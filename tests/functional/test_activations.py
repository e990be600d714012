"""Tests for cnnlab/functional/activations.py."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error
from helpers.tolerances import FLOAT32_TOL
from helpers.strategies import shaped_arrays
from helpers.ops import check_against_numeric, check_against_torch

# name -> (forward, backward, forward-only, keyword args, torch function of (torch, x, **kwargs))
ELEMENTWISE = {
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward, F.sigmoid, {}, lambda t, x: t.sigmoid(x)),
    "tanh": (F.tanh_forward, F.tanh_backward, F.tanh, {}, lambda t, x: t.tanh(x)),
    "relu": (F.relu_forward, F.relu_backward, F.relu, {}, lambda t, x: t.relu(x)),
    "leaky_relu": (F.leaky_relu_forward, F.leaky_relu_backward, F.leaky_relu, {"negative_slope": 0.2},
                   lambda t, x, negative_slope: t.nn.functional.leaky_relu(x, negative_slope)),
    "elu": (F.elu_forward, F.elu_backward, F.elu, {"alpha": 1.5},
            lambda t, x, alpha: t.nn.functional.elu(x, alpha)),
    "swish": (F.swish_forward, F.swish_backward, F.swish, {"beta": 1.7},
              lambda t, x, beta: x * t.sigmoid(beta * x)),
    "silu": (F.swish_forward, F.swish_backward, F.silu, {}, lambda t, x: t.nn.functional.silu(x)),
    "identity": (F.identity_forward, F.identity_backward, F.identity, {}, lambda t, x: x * 1),
    "softmax": (F.softmax_forward, F.softmax_backward, F.softmax, {"axis": 0},
                lambda t, x, axis: t.softmax(x, dim=axis)),
    "log_softmax": (F.log_softmax_forward, F.log_softmax_backward, F.log_softmax, {"axis": -1},
                    lambda t, x, axis: t.log_softmax(x, dim=axis)),
}
ALL_FORWARDS = [F.step_forward, F.maxout_forward] + [op[0] for op in ELEMENTWISE.values()]
BACKWARD_OF = {F.step_forward: F.step_backward, F.maxout_forward: F.maxout_backward,
               **{op[0]: op[1] for op in ELEMENTWISE.values()}}


def _forward(forward, x):
    """Call any forward of ALL_FORWARDS on x (maxout with 2 pieces)."""
    return forward(x, num_pieces=2) if forward is F.maxout_forward else forward(x)


# --- 1. hand-computed cases ----------------------------------------------------------------

def test_softmax_of_the_notes_example_beats_plain_normalisation():
    """Notes: four scores, normalised and softmaxed, printed to 4 decimals (cnnlab.notes.ch03_softmax_losses)."""
    from cnnlab.notes import ch03_softmax_losses as ch03
    x = ch03.SOFTMAX_SCORES
    np.testing.assert_allclose(x / x.sum(), ch03.NOTES_NORMALISED, atol=5e-5)
    np.testing.assert_allclose(F.softmax(x), ch03.NOTES_SOFTMAX, atol=5e-5)
    assert F.softmax(x)[1] > (x / x.sum())[1]          # closer to the argmax [0, 1, 0, 0]
    np.testing.assert_allclose(F.log_softmax(x), np.log(F.softmax(x)), rtol=1e-14)


def test_sigmoid_values_of_the_notes_backprop_example():
    """Notes: sigma of the printed net inputs is the printed outputs (cnnlab.notes.ch06_backprop)."""
    from cnnlab.notes import ch06_backprop as ch06
    n = ch06.NOTES_BACKPROP
    np.testing.assert_allclose(F.sigmoid(np.array(n["net_hidden"] + n["net_output"])),
                               n["o_hidden"] + n["o_output"], atol=1e-4)   # the notes truncate


def test_elementwise_hand_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(F.step(x), [0, 0, 1])             # "activated when y > 0"
    np.testing.assert_array_equal(F.relu(x), [0, 0, 3])
    np.testing.assert_allclose(F.leaky_relu(x), [-0.02, 0, 3])      # y = 0.01x for x < 0
    np.testing.assert_allclose(F.elu(x, alpha=2.0), [2 * (np.exp(-2) - 1), 0, 3])
    np.testing.assert_allclose(F.tanh(x), 2 * F.sigmoid(2 * x) - 1, rtol=1e-14)   # a scaled sigmoid
    np.testing.assert_allclose(F.swish(x), x / (1 + np.exp(-x)))
    np.testing.assert_array_equal(F.silu(x), F.swish(x, beta=1.0))
    np.testing.assert_array_equal(F.identity(x), x)


def test_derivatives_by_the_notes_formulas():
    x = np.linspace(-4, 4, 9)
    ones = np.ones_like(x)
    s = F.sigmoid(x)
    np.testing.assert_allclose(F.sigmoid_backward(ones, F.sigmoid_forward(x)[1]), s * (1 - s))
    f = F.swish(x)        # notes: f'(x) = f(x) + sigma(x) (1 - f(x))
    np.testing.assert_allclose(F.swish_backward(ones, F.swish_forward(x)[1]), f + s * (1 - f), rtol=1e-13)
    np.testing.assert_allclose(F.tanh_backward(ones, F.tanh_forward(x)[1]), 1 - np.tanh(x) ** 2)
    np.testing.assert_array_equal(F.step_backward(ones, F.step_forward(x)[1]), np.zeros_like(x))
    np.testing.assert_array_equal(F.relu_backward(ones, F.relu_forward(x)[1]), x > 0)


def test_maxout_takes_the_max_of_adjacent_pieces_and_routes_to_the_first():
    x = np.array([[1.0, 5.0, -1.0, -3.0, 2.0, 2.0]])      # units (1, 5, -1) and (-3, 2, 2)
    out, cache = F.maxout_forward(x, num_pieces=3)
    np.testing.assert_array_equal(out, [[5.0, 2.0]])
    np.testing.assert_array_equal(F.maxout_backward(np.array([[10.0, 20.0]]), cache),
                                  [[0, 10, 0, 0, 20, 0]])           # tie: the first 2 wins


def test_softmax_rows_sum_to_one_and_jacobian_is_diag_minus_outer():
    x = np.array([0.5, -1.0, 2.0])
    s, cache = F.softmax_forward(x)
    jacobian = np.stack([F.softmax_backward(np.eye(3)[i], cache) for i in range(3)])
    np.testing.assert_allclose(jacobian, np.diag(s) - np.outer(s, s), atol=1e-15)
    assert F.softmax(np.ones((4, 3)), axis=1).sum(axis=1) == pytest.approx(np.ones(4))


# --- stability and dtypes ------------------------------------------------------------------

def test_softmax_and_log_softmax_are_stable_for_huge_scores():
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(F.softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])
        np.testing.assert_allclose(F.softmax(np.array([1000.0, 0.0])), [1.0, 0.0])
        np.testing.assert_allclose(F.log_softmax(np.array([1000.0, 0.0])), [0.0, -1000.0])
        np.testing.assert_allclose(F.log_softmax(np.array([-1e4, -1e4])), np.log([0.5, 0.5]))


def test_sigmoid_elu_swish_raise_no_floating_point_warning_at_extremes():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = F.sigmoid(x)
        F.elu(x), F.swish(x), F.silu(x)
        F.sigmoid_backward(np.ones_like(x), F.sigmoid_forward(x)[1])
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert np.all(np.isfinite(s))


@pytest.mark.parametrize("forward", ALL_FORWARDS, ids=lambda f: f.__name__)
def test_float32_in_float32_out_and_close_to_float64(forward):
    x64 = np.random.default_rng(1).normal(size=(3, 4))
    out32, cache32 = _forward(forward, x64.astype(np.float32))
    out64, cache64 = _forward(forward, x64)
    assert out32.dtype == np.float32
    assert rel_error(out32, out64) < FLOAT32_TOL
    backward = BACKWARD_OF[forward]
    dx32 = backward(np.ones(out32.shape, np.float32), cache32)
    assert dx32.dtype == np.float32
    assert rel_error(dx32, backward(np.ones(out64.shape), cache64)) < FLOAT32_TOL


def test_forward_never_mutates_x_and_returns_a_new_array():
    x = np.random.default_rng(2).normal(size=(3, 4))
    before = x.copy()
    for forward in ALL_FORWARDS:
        out = _forward(forward, x)[0]
        assert not np.shares_memory(out, x), forward.__name__
    np.testing.assert_array_equal(x, before)


# --- 2. central differences ----------------------------------------------------------------

@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_backward_matches_finite_differences(name, rng):
    forward, backward, _, kw, _ = ELEMENTWISE[name]
    x = rng.uniform(-3, 3, size=(3, 5))
    check_against_numeric(forward, backward, {"x": x}, kwargs=kw, seed=1)


def test_maxout_backward_matches_finite_differences(rng):
    check_against_numeric(F.maxout_forward, F.maxout_backward, {"x": rng.normal(size=(4, 6))},
                          kwargs={"num_pieces": 3})


def test_step_backward_matches_finite_differences(rng):
    check_against_numeric(F.step_forward, F.step_backward, {"x": rng.uniform(0.1, 1, (3, 4)) * rng.choice([-1, 1], (3, 4))})


# --- 3. torch parity over drawn shapes -----------------------------------------------------

@pytest.mark.torch
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@settings(max_examples=15, deadline=None)
@given(x=shaped_arrays(), seed=st.integers(0, 100))
def test_matches_torch(name, x, seed):
    torch = pytest.importorskip("torch")
    forward, backward, forward_only, kw, torch_fn = ELEMENTWISE[name]
    check_against_torch(forward, backward, lambda t, **k: torch_fn(torch, t, **k), {"x": x},
                        kwargs=kw, seed=seed)
    np.testing.assert_array_equal(forward_only(x, **kw), forward(x, **kw)[0])


@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), pieces=st.integers(1, 4), seed=st.integers(0, 1000))
def test_maxout_matches_torch(n, k, pieces, seed):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(seed).normal(size=(n, k * pieces))
    check_against_torch(F.maxout_forward, F.maxout_backward,
                        lambda t, num_pieces: t.reshape(n, k, num_pieces).amax(dim=-1), {"x": x},
                        kwargs={"num_pieces": pieces}, seed=seed)
    np.testing.assert_array_equal(F.maxout(x, num_pieces=pieces), F.maxout_forward(x, num_pieces=pieces)[0])


# --- edge cases as torch: NaN, infinities, empty arrays ------------------------------------

def _torch_value_and_grad(torch, torch_fn, x, dout, **kw):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = torch_fn(torch, xt, **kw)
    (grad,) = torch.autograd.grad(out, xt, torch.tensor(dout), allow_unused=True)
    return out.detach().numpy(), (np.zeros_like(x) if grad is None else grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if "softmax" not in n])
def test_nan_and_infinities_as_torch(name):
    """The gradient at NaN is torch's (relu and leaky_relu pass it, elu and the smooth ones give NaN),
    and so are the values and gradients at +-inf and 0."""
    torch = pytest.importorskip("torch")
    forward, backward, _, kw, torch_fn = ELEMENTWISE[name]
    # 48 entries, so that torch runs all of them through its vectorised loop: its ELU's gradient at NaN
    # is NaN there but dout in the scalar loop for a tensor's last few entries (see elu_backward)
    x = np.tile([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0], 8)
    dout = np.tile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 8)
    expected_out, expected_dx = _torch_value_and_grad(torch, torch_fn, x, dout, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # inf - inf inside swish's gradient
        out, cache = forward(x, **kw)
        dx = backward(dout, cache)
    # NaN where torch has NaN, the same infinities, the finite values to rounding
    np.testing.assert_allclose(out, expected_out, rtol=1e-15, atol=0)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-15, atol=0)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((2, 0), -1), ((0, 3), 0), ((0, 3), 1), ((2, 0, 3), 1)])
def test_softmax_on_empty_arrays_as_torch(name, shape, axis):
    torch = pytest.importorskip("torch")
    forward, backward = getattr(F, f"{name}_forward"), getattr(F, f"{name}_backward")
    x = np.zeros(shape)
    expected_out, expected_dx = _torch_value_and_grad(
        torch, lambda t, xt: getattr(t, name)(xt, dim=axis), x, np.zeros(shape))
    out, cache = forward(x, axis=axis)
    dx = backward(np.zeros(shape), cache)
    assert out.shape == expected_out.shape == shape and dx.shape == expected_dx.shape == shape


@pytest.mark.torch
def test_maxout_on_an_empty_batch_and_with_nan_as_torch():
    torch = pytest.importorskip("torch")
    out, cache = F.maxout_forward(np.zeros((0, 6)), num_pieces=3)
    assert out.shape == (0, 2) and F.maxout_backward(np.zeros((0, 2)), cache).shape == (0, 6)
    x = np.array([[1.0, np.nan, 3.0, 2.0]])
    expected_out, expected_dx = _torch_value_and_grad(
        torch, lambda t, xt: xt.reshape(1, 2, 2).max(dim=-1).values, x, np.ones((1, 2)))
    out, cache = F.maxout_forward(x, num_pieces=2)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(F.maxout_backward(np.ones((1, 2)), cache), expected_dx)


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("forward", ALL_FORWARDS, ids=lambda f: f.__name__)
def test_rejects_non_numeric_x(forward):
    with pytest.raises(TypeError, match=rf"{forward.__name__}: x must be a real array"):
        _forward(forward, np.array([["a", "b"]]))


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_backward_rejects_dout_of_the_wrong_shape(name):
    forward, backward, _, kw, _ = ELEMENTWISE[name]
    _, cache = forward(np.ones((2, 3)), **kw)
    with pytest.raises(ValueError, match=r"_backward: dout.shape=\(3, 2\) but the forward output had shape \(2, 3\)"):
        backward(np.ones((3, 2)), cache)


def test_step_and_maxout_backward_reject_wrong_dout():
    with pytest.raises(ValueError, match=r"step_backward: dout.shape=\(2,\)"):
        F.step_backward(np.ones(2), F.step_forward(np.ones(3))[1])
    with pytest.raises(ValueError, match=r"maxout_backward: dout.shape=\(1, 3\)"):
        F.maxout_backward(np.ones((1, 3)), F.maxout_forward(np.ones((1, 4)), num_pieces=2)[1])


def test_maxout_rejects_bad_num_pieces_and_ndim():
    with pytest.raises(ValueError, match=r"maxout_forward: num_pieces=3 must divide the 4 features of x \(x.shape=\(2, 4\)\)"):
        F.maxout(np.ones((2, 4)), num_pieces=3)
    with pytest.raises(ValueError, match=r"maxout_forward: num_pieces must be >= 1, got 0"):
        F.maxout(np.ones((2, 4)), num_pieces=0)
    with pytest.raises(ValueError, match=r"maxout_forward: x must be 2-D \(N, K \* num_pieces\), got x.shape=\(4,\)"):
        F.maxout(np.ones(4), num_pieces=2)


@pytest.mark.parametrize("func", [F.softmax, F.log_softmax], ids=lambda f: f.__name__)
def test_softmax_rejects_an_axis_out_of_range(func):
    with pytest.raises(ValueError, match=rf"{func.__name__}_forward: axis=2 is out of range for x.shape=\(2, 3\)"):
        func(np.ones((2, 3)), axis=2)
