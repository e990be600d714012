"""Tests for cnnlab/functional/inverted_dropout.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import functional as F
from helpers.strategies import shaped_arrays
from helpers.ops import check_against_numeric


# --- 1. hand-computed cases ----------------------------------------------------------------

def test_survivors_are_scaled_by_one_over_keep_probability():
    x = np.arange(1.0, 9.0)
    out, cache = F.dropout_forward(x, p=0.75, rng=np.random.default_rng(0))
    keep = np.random.default_rng(0).random(8) >= 0.75            # the same draws
    np.testing.assert_array_equal(out, np.where(keep, 4 * x, 0.0))
    np.testing.assert_array_equal(F.dropout_backward(np.ones(8), cache), np.where(keep, 4.0, 0.0))


def test_same_seed_same_mask_and_x_is_never_mutated():
    x = np.random.default_rng(3).normal(size=(4, 5))
    before = x.copy()
    a = F.dropout(x, p=0.5, rng=np.random.default_rng(7))
    b = F.dropout(x, p=0.5, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("kw", [{"training": False, "p": 0.5}, {"training": True, "p": 0.0}])
def test_eval_mode_and_p_zero_are_the_identity(kw):
    x = np.random.default_rng(4).normal(size=(3, 4))
    out, cache = F.dropout_forward(x, **kw)                 # no rng needed
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)
    np.testing.assert_array_equal(F.dropout_backward(2 * x, cache), 2 * x)


def test_expected_output_equals_input_and_drop_rate_is_p():
    """Inverted dropout keeps E[out] = x, so evaluation needs no rescaling; check on 200,000 units."""
    p, n = 0.3, 200_000
    out = F.dropout(np.ones(n), p=p, rng=np.random.default_rng(5))
    dropped = np.mean(out == 0)
    sigma = np.sqrt(p * (1 - p) / n)                         # std of the empirical drop rate
    assert abs(dropped - p) < 5 * sigma
    assert abs(out.mean() - 1.0) < 5 * sigma / (1 - p)


def test_float32_stays_float32():
    out, cache = F.dropout_forward(np.ones((2, 3), np.float32), p=0.5, rng=np.random.default_rng(0))
    assert out.dtype == np.float32
    assert F.dropout_backward(np.ones((2, 3), np.float32), cache).dtype == np.float32


# --- 2. central differences ----------------------------------------------------------------

def test_backward_matches_finite_differences(rng):
    # a fresh generator per call: every probe of the finite differences sees the same mask
    def forward(x):
        return F.dropout_forward(x, p=0.4, rng=np.random.default_rng(11))
    check_against_numeric(forward, F.dropout_backward, {"x": rng.normal(size=(3, 5))})


# --- 3. torch parity over drawn shapes -----------------------------------------------------

@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(x=shaped_arrays(low=0.5, high=2.0), p=st.floats(0.05, 0.95), seed=st.integers(0, 1000))
def test_same_semantics_as_torch_dropout(x, p, seed):
    """Masks come from different generators, so compare the rule: kept units are x / (1 - p) in both."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    ours = F.dropout(x, p=p, rng=np.random.default_rng(seed))
    theirs = torch.nn.functional.dropout(torch.tensor(x), p=p, training=True).numpy()
    for out in (ours, theirs):
        kept = out != 0                                       # x > 0, so a zero means dropped
        np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-12)
    np.testing.assert_array_equal(F.dropout(x, p=p, training=False),
                                  torch.nn.functional.dropout(torch.tensor(x), p=p, training=False).numpy())


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_must_be_a_probability(p):
    with pytest.raises(ValueError, match=rf"dropout_forward: p must be a drop probability in \[0, 1\], got {p}"):
        F.dropout(np.ones(3), p=p, rng=np.random.default_rng(0))


def test_p_one_drops_everything_as_torch():
    out, cache = F.dropout_forward(np.ones((2, 3)), p=1.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, 0.0)
    np.testing.assert_array_equal(F.dropout_backward(np.ones((2, 3)), cache), 0.0)


@pytest.mark.parametrize("rng", [None, 0], ids=["None", "int"])
def test_training_needs_a_generator(rng):
    with pytest.raises(TypeError, match=r"dropout_forward: rng must be a np.random.Generator when training"):
        F.dropout(np.ones(3), p=0.5, rng=rng)


def test_backward_rejects_dout_of_the_wrong_shape():
    _, cache = F.dropout_forward(np.ones((2, 3)), p=0.5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"dropout_backward: dout.shape=\(3, 2\)"):
        F.dropout_backward(np.ones((3, 2)), cache)
