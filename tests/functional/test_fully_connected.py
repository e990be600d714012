"""Tests for cnnlab/functional/fully_connected.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from cnnlab import functional as F
from cnnlab.notes import ch06_backprop as ch06
from helpers.ops import check_against_numeric, check_against_torch


# --- 1. hand-computed cases ----------------------------------------------------------------

def test_the_notes_two_layer_backprop_example():
    """Notes: the 3-2-2 sigmoid network's step (cnnlab.notes.ch06_backprop), E = 1/2 sum (t - o)^2.

    The notes round as they go, so their numbers agree to the shown digits only where rounding does
    not bite; their tables also have two slips (see ch06_backprop.ERRATA). The checks below use the
    entries that are consistent.
    """
    n = ch06.NOTES_BACKPROP
    x, t = ch06.BACKPROP_X[None], ch06.BACKPROP_T[None]
    w1, w2 = ch06.BACKPROP_W_HIDDEN, ch06.BACKPROP_W_OUTPUT      # (hidden, inputs), (outputs, hidden)
    net_h, c1 = F.linear_forward(x, w1)
    o_h, c2 = F.sigmoid_forward(net_h)
    net_o, c3 = F.linear_forward(o_h, w2)
    o, c4 = F.sigmoid_forward(net_o)
    np.testing.assert_allclose(net_h, [n["net_hidden"]], rtol=1e-14)
    np.testing.assert_allclose(net_o, [n["net_output"]], atol=5e-3)      # notes use o_H rounded
    np.testing.assert_allclose(o, [n["o_output"]], atol=2e-4)
    _, cache = F.squared_error_forward(o, t)
    dnet_o = F.sigmoid_backward(F.squared_error_backward(1.0, cache), c4)
    np.testing.assert_allclose(-dnet_o, [n["delta_output"]], atol=2e-4)   # delta_k = o(1-o)(t-o)
    do_h, dw2, db2 = F.linear_backward(dnet_o, c3)
    dnet_h = F.sigmoid_backward(do_h, c2)
    assert db2 is None
    assert -dnet_h[0, 1] == pytest.approx(n["delta_hidden"][1], abs=1e-6)          # delta_H2
    _, dw1, _ = F.linear_backward(dnet_h, c1)
    eta = ch06.BACKPROP_ETA
    new_w2, new_w1 = w2 - eta * dw2, w1 - eta * dw1                    # Delta w = -eta dE/dw
    np.testing.assert_allclose(new_w2[:, 1], np.array(n["w_output_new"])[:, 1], atol=1e-6)   # from H2
    assert new_w2[1, 0] == pytest.approx(n["w_output_new"][1][0], abs=2e-5)                  # H1 -> O2
    np.testing.assert_allclose(new_w1[1], n["w_hidden_new"][1], atol=2e-6)                   # into H2


def test_linear_is_x_times_w_transpose_plus_b():
    x = np.array([[1.0, 2.0]])
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    b = np.array([0.5, 0.0, -1.0])
    out, cache = F.linear_forward(x, w, b)
    np.testing.assert_array_equal(out, [[1.5, 2.0, -2.0]])
    dx, dw, db = F.linear_backward(np.array([[1.0, 0.0, 2.0]]), cache)
    np.testing.assert_array_equal(dx, [[3.0, -2.0]])
    np.testing.assert_array_equal(dw, [[1.0, 2.0], [0.0, 0.0], [2.0, 4.0]])   # dout outer x
    np.testing.assert_array_equal(db, [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(F.linear(x, w, b), out)


def test_linear_acts_on_the_last_axis_of_any_leading_shape():
    """(N, L, D_in) @ w.T: every one of the N * L vectors meets the same weights; a single (D_in,) vector too."""
    x = np.arange(12.0).reshape(2, 3, 2)
    w, b = np.array([[1.0, 0.0], [1.0, -1.0], [0.5, 0.5]]), np.array([0.0, 1.0, 2.0])
    out, cache = F.linear_forward(x, w, b)
    expected = np.stack([[[v[0], v[0] - v[1] + 1, 0.5 * (v[0] + v[1]) + 2] for v in row] for row in x])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(F.linear(x[0, 0], w, b), expected[0, 0])
    dx, dw, db = F.linear_backward(np.ones(out.shape), cache)
    np.testing.assert_array_equal(dx, np.broadcast_to(w.sum(axis=0), x.shape))     # each x sees sum_j w[j]
    np.testing.assert_array_equal(dw, np.tile(x.reshape(-1, 2).sum(axis=0), (3, 1)))  # sum over all 6 vectors
    np.testing.assert_array_equal(db, [6.0, 6.0, 6.0])


def test_flatten_start_and_end_dim_merge_those_axes_only():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    assert F.flatten(x, start_dim=2).shape == (2, 3, 4)
    assert F.flatten(x, start_dim=0, end_dim=1).shape == (6, 2, 2)
    np.testing.assert_array_equal(F.flatten(x, start_dim=-2), x.reshape(2, 3, 4))
    out, cache = F.flatten_forward(x, start_dim=1, end_dim=2)
    np.testing.assert_array_equal(F.flatten_backward(out, cache), x)


def test_flatten_is_row_major_and_backward_restores_the_shape():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    out, cache = F.flatten_forward(x)
    np.testing.assert_array_equal(out, np.arange(24.0).reshape(2, 12))
    np.testing.assert_array_equal(F.flatten_backward(out, cache), x)
    assert not np.shares_memory(out, x)
    np.testing.assert_array_equal(F.flatten(x), out)


def test_float32_stays_float32_and_inputs_are_not_mutated(rng):
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in [(3, 4), (2, 4), (2,)])
    copies = [a.copy() for a in (x, w, b)]
    out, cache = F.linear_forward(x, w, b)
    grads = F.linear_backward(np.ones_like(out), cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    for a, c in zip((x, w, b), copies):
        np.testing.assert_array_equal(a, c)


# --- 2. central differences ----------------------------------------------------------------

@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_matches_finite_differences(bias, rng):
    inputs = {"x": rng.normal(size=(4, 5)), "w": rng.normal(size=(3, 5)), "b": rng.normal(size=3) if bias else None}
    errors = check_against_numeric(F.linear_forward, F.linear_backward, inputs, differentiable=[True, True, True])
    assert set(errors) == ({"x", "w", "b"} if bias else {"x", "w"})


def test_leading_axes_and_flatten_dims_match_finite_differences(rng):
    check_against_numeric(F.linear_forward, F.linear_backward,
                          {"x": rng.normal(size=(2, 3, 4)), "w": rng.normal(size=(5, 4)), "b": rng.normal(size=5)})
    check_against_numeric(F.flatten_forward, F.flatten_backward, {"x": rng.normal(size=(2, 3, 2, 2))},
                          kwargs={"start_dim": 0, "end_dim": 2})


def test_flatten_backward_matches_finite_differences(rng):
    check_against_numeric(F.flatten_forward, F.flatten_backward, {"x": rng.normal(size=(2, 3, 2, 2))})


# --- 3. torch parity over drawn shapes -----------------------------------------------------

@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(lead=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), d_in=st.integers(1, 6),
       d_out=st.integers(1, 6), bias=st.booleans(), seed=st.integers(0, 1000))
def test_linear_matches_torch(lead, d_in, d_out, bias, seed):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(seed)
    inputs = {"x": r.normal(size=lead + (d_in,)), "w": r.normal(size=(d_out, d_in)), "b": r.normal(size=d_out) if bias else None}
    check_against_torch(F.linear_forward, F.linear_backward, torch.nn.functional.linear, inputs,
                        differentiable=[True, True, True], seed=seed)


@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(shape=array_shapes(min_dims=2, max_dims=5, min_side=1, max_side=4), seed=st.integers(0, 1000),
       data=st.data())
def test_flatten_matches_torch(shape, seed, data):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(seed).normal(size=shape)
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape), len(shape) - 1))
    kw = {"start_dim": start, "end_dim": end}
    check_against_torch(F.flatten_forward, F.flatten_backward, torch.flatten, {"x": x},
                        kwargs=kw, seed=seed)


# --- bad input -----------------------------------------------------------------------------

def test_linear_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"linear_forward: x has 5 features but w expects 4 \(w.shape=\(3, 4\)\)"):
        F.linear(np.ones((2, 5)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"linear_forward: b must have shape \(3,\) for w.shape=\(3, 4\), got b.shape=\(4,\)"):
        F.linear(np.ones((2, 4)), np.ones((3, 4)), np.ones(4))
    with pytest.raises(ValueError, match=r"linear_forward: x must be \(N, D_in\) or \(..., D_in\), got x.shape=\(\)"):
        F.linear(np.ones(()), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"linear_forward: x has 5 features but w expects 4"):
        F.linear(np.ones((2, 3, 5)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"linear_forward: w must be 2-D \(D_out, D_in\), got w.shape=\(4,\)"):
        F.linear(np.ones((2, 4)), np.ones(4))
    with pytest.raises(TypeError, match=r"linear_forward: w must be a real array"):
        F.linear(np.ones((2, 4)), np.array([["a"] * 4]))


def test_backwards_reject_dout_of_the_wrong_shape():
    _, cache = F.linear_forward(np.ones((2, 4)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"linear_backward: dout.shape=\(2, 4\) but the forward output had shape \(2, 3\)"):
        F.linear_backward(np.ones((2, 4)), cache)
    _, cache = F.flatten_forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"flatten_backward: dout.shape=\(2, 3, 4\) but the forward output had shape \(2, 12\)"):
        F.flatten_backward(np.ones((2, 3, 4)), cache)


def test_flatten_rejects_dims_out_of_range_or_reversed():
    with pytest.raises(ValueError, match=r"flatten_forward: start_dim=3 is out of range for x.shape=\(2, 3, 4\)"):
        F.flatten(np.ones((2, 3, 4)), start_dim=3)
    with pytest.raises(ValueError, match=r"flatten_forward: start_dim=2 comes after end_dim=1"):
        F.flatten(np.ones((2, 3, 4)), start_dim=2, end_dim=1)
    with pytest.raises(TypeError, match=r"flatten_forward: end_dim must be an int, got float 1.0"):
        F.flatten(np.ones((2, 3, 4)), end_dim=1.0)


def test_a_scalar_flattens_to_one_element_only_from_axis_0():
    out, cache = F.flatten_forward(np.float64(3.0), start_dim=0)
    np.testing.assert_array_equal(out, [3.0])
    assert F.flatten_backward(np.array([2.0]), cache).shape == ()


def test_flatten_needs_a_batch_axis():
    with pytest.raises(ValueError, match=r"flatten_forward: x must have a batch axis, got x.shape=\(\)"):
        F.flatten(np.float64(3.0))
