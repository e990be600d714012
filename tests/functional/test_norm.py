"""Tests for cnnlab/functional/norm.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error
from helpers.tolerances import TORCH_TOL
from helpers.ops import check_against_numeric, check_against_torch


def _params(c, rng):
    """gamma, beta, running_mean, running_var for c channels (running_var positive)."""
    return rng.normal(size=c), rng.normal(size=c), rng.normal(size=c), rng.uniform(0.5, 2.0, c)


def _bn(x, gamma, beta, rm, rv, **kw):
    return F.batchnorm_forward(x, gamma, beta, running_mean=rm, running_var=rv, **kw)


# --- 1. hand-computed cases ----------------------------------------------------------------

def test_two_values_per_feature_by_hand():
    x = np.array([[1.0, 10.0], [3.0, 10.0]])          # feature 0: mean 2, var 1; feature 1: constant
    gamma, beta = np.array([2.0, 1.0]), np.array([0.5, -1.0])
    out, _, (rm, rv) = _bn(x, gamma, beta, np.zeros(2), np.ones(2), eps=0.0 + 1e-5)
    np.testing.assert_allclose(out[:, 0], [0.5 - 2 / np.sqrt(1 + 1e-5), 0.5 + 2 / np.sqrt(1 + 1e-5)])
    np.testing.assert_allclose(out[:, 1], [-1.0, -1.0])           # a constant feature normalises to 0
    np.testing.assert_allclose(rm, [0.9 * 0 + 0.1 * 2, 0.9 * 0 + 0.1 * 10])
    # running_var takes the UNBIASED batch variance: (1 + 1) / (2 - 1) = 2 for feature 0
    np.testing.assert_allclose(rv, [0.9 * 1 + 0.1 * 2, 0.9 * 1 + 0.1 * 0])


def test_training_output_has_zero_mean_unit_variance_per_channel(rng):
    x = rng.normal(loc=3.0, scale=5.0, size=(4, 3, 5, 6))
    out, _, _ = _bn(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), eps=0.0)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-14)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, rtol=1e-12)


def test_eval_uses_running_statistics_and_returns_them_unchanged(rng):
    x = rng.normal(size=(5, 3))
    gamma, beta, rm, rv = _params(3, rng)
    out, cache, (new_rm, new_rv) = _bn(x, gamma, beta, rm, rv, training=False)
    np.testing.assert_allclose(out, gamma * (x - rm) / np.sqrt(rv + 1e-5) + beta, rtol=1e-14)
    np.testing.assert_array_equal(new_rm, rm)
    np.testing.assert_array_equal(new_rv, rv)
    dx, _, _ = F.batchnorm_backward(np.ones_like(x), cache)
    np.testing.assert_allclose(dx, np.broadcast_to(gamma / np.sqrt(rv + 1e-5), x.shape), rtol=1e-14)


@pytest.mark.parametrize("training", [True, False])
def test_no_argument_is_mutated(training, rng):
    x = rng.normal(size=(4, 2, 3, 3))
    args = (x, *_params(2, rng))
    copies = [a.copy() for a in args]
    out, cache, stats = _bn(*args, training=training)
    F.batchnorm_backward(np.ones_like(out), cache)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)
    assert not any(np.shares_memory(s, a) for s in stats for a in args)


def test_float32_stays_float32(rng):
    x = rng.normal(size=(4, 3)).astype(np.float32)
    out, cache, _ = _bn(x, *(a.astype(np.float32) for a in _params(3, rng)))
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in F.batchnorm_backward(np.ones_like(out), cache))


# --- 2. central differences ----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4), (2, 3, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_finite_differences(shape, training, rng):
    gamma, beta, rm, rv = _params(shape[1], rng)
    check_against_numeric(F.batchnorm_forward, F.batchnorm_backward,
                          {"x": rng.normal(size=shape), "gamma": gamma, "beta": beta},
                          kwargs={"running_mean": rm, "running_var": rv, "training": training})


# --- 3. torch parity over drawn shapes -----------------------------------------------------

@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 5), c=st.integers(1, 4), spatial=st.sampled_from([(), (3,), (2, 3), (4, 1)]),
       training=st.booleans(), momentum=st.floats(0.0, 1.0), seed=st.integers(0, 1000))
def test_matches_torch_batch_norm(n, c, spatial, training, momentum, seed):
    """At least 3 values per channel: with 2 the normalised pair is always about (-1, 1), dx is of
    order eps and both libraries return rounding noise there (rel_error up to 5e-10 between them)."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(seed)
    x = r.normal(loc=1.0, scale=2.0, size=(n, c, *spatial))
    gamma, beta, rm, rv = _params(c, r)
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)            # torch updates these in place
    check_against_torch(F.batchnorm_forward, F.batchnorm_backward,
                        lambda x, g, b: torch.nn.functional.batch_norm(x, rm_t, rv_t, g, b, training=training,
                                                                       momentum=momentum, eps=1e-5),
                        {"x": x, "gamma": gamma, "beta": beta},
                        kwargs={"running_mean": rm, "running_var": rv, "training": training, "momentum": momentum},
                        torch_kwargs={}, seed=seed)
    _, _, (new_rm, new_rv) = _bn(x, gamma, beta, rm, rv, training=training, momentum=momentum)
    assert rel_error(new_rm, rm_t.numpy()) < TORCH_TOL
    assert rel_error(new_rv, rv_t.numpy()) < TORCH_TOL


@pytest.mark.torch
@pytest.mark.parametrize("module, shape, forward", [("BatchNorm1d", (6, 3), F.batchnorm1d_forward),
                                                    ("BatchNorm2d", (4, 3, 5, 5), F.batchnorm2d_forward)])
def test_three_training_steps_then_eval_match_torch_modules(module, shape, forward, rng):
    """Running statistics threaded through three steps end where torch's module ends."""
    torch = pytest.importorskip("torch")
    bn = getattr(torch.nn, module)(shape[1], momentum=0.2).double()
    gamma, beta, _, _ = _params(shape[1], rng)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    rm, rv = np.zeros(shape[1]), np.ones(shape[1])
    for _ in range(3):
        x = rng.normal(loc=2.0, size=shape)
        out, _, (rm, rv) = forward(x, gamma, beta, running_mean=rm, running_var=rv, momentum=0.2)
        assert rel_error(out, bn(torch.tensor(x)).detach().numpy()) < TORCH_TOL
    assert rel_error(rm, bn.running_mean.numpy()) < TORCH_TOL
    assert rel_error(rv, bn.running_var.numpy()) < TORCH_TOL
    bn.eval()
    x = rng.normal(size=shape)
    out, _, _ = forward(x, gamma, beta, running_mean=rm, running_var=rv, training=False)
    assert rel_error(out, bn(torch.tensor(x)).detach().numpy()) < TORCH_TOL


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False])
def test_an_empty_batch_as_torch(training, rng):
    """N = 0: an empty output, zero gamma/beta gradients, running statistics unchanged (torch's behaviour)."""
    torch = pytest.importorskip("torch")
    gamma, beta, rm, rv = _params(3, rng)
    x = np.zeros((0, 3, 2, 2))
    out, cache, (new_mean, new_var) = F.batchnorm_forward(x, gamma, beta, running_mean=rm, running_var=rv,
                                                          training=training)
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    expected = torch.nn.functional.batch_norm(xt, rm_t, rv_t, gt, bt, training=training)
    expected.sum().backward()
    assert out.shape == expected.shape == x.shape
    np.testing.assert_array_equal(new_mean, rm_t.numpy())
    np.testing.assert_array_equal(new_var, rv_t.numpy())
    dx, dgamma, dbeta = F.batchnorm_backward(np.ones(x.shape), cache)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dgamma, gt.grad.numpy())
    np.testing.assert_array_equal(dbeta, bt.grad.numpy())


# --- bad input -----------------------------------------------------------------------------

def test_rejects_bad_shapes(rng):
    gamma, beta, rm, rv = _params(3, rng)
    with pytest.raises(ValueError, match=r"batchnorm_forward: x must be 2-D to 5-D \(N, D\), \(N, C, L\), \(N, C, H, W\) or \(N, C, D, H, W\), got x.shape=\(3,\)"):
        _bn(np.ones(3), gamma, beta, rm, rv)
    with pytest.raises(ValueError, match=r"batchnorm_forward: gamma must have shape \(3,\) for the 3 channels of x \(x.shape=\(4, 3\)\), got gamma.shape=\(2,\)"):
        _bn(np.ones((4, 3)), gamma[:2], beta, rm, rv)
    with pytest.raises(ValueError, match=r"batchnorm_forward: running_var must have shape \(3,\) for the 3 channels of x .*, got running_var.shape=\(4,\)"):
        _bn(np.ones((4, 3)), gamma, beta, rm, np.ones(4))
    with pytest.raises(ValueError, match=r"batchnorm_forward: training needs more than 1 value per channel"):
        _bn(np.ones((1, 3)), gamma, beta, rm, rv)


def test_1d_and_2d_aliases_check_ndim(rng):
    gamma, beta, rm, rv = _params(3, rng)
    with pytest.raises(ValueError, match=r"batchnorm2d_forward: x must be 4-D \(N, C, H, W\), got x.shape=\(4, 3\)"):
        F.batchnorm2d_forward(np.ones((4, 3)), gamma, beta, running_mean=rm, running_var=rv)
    with pytest.raises(ValueError, match=r"batchnorm1d_forward: x must be 2-D or 3-D \(N, D\) or \(N, C, L\), got x.shape=\(2, 3, 2, 2\)"):
        F.batchnorm1d_forward(np.ones((2, 3, 2, 2)), gamma, beta, running_mean=rm, running_var=rv)


def test_backward_rejects_dout_of_the_wrong_shape(rng):
    _, cache, _ = _bn(rng.normal(size=(4, 3)), *_params(3, rng))
    with pytest.raises(ValueError, match=r"batchnorm_backward: dout.shape=\(3, 4\)"):
        F.batchnorm_backward(np.ones((3, 4)), cache)
