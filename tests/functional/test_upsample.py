"""Tests for cnnlab/functional/upsample.py: hand cases, gradients, torch parity, bad input."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error
from helpers.tolerances import FLOAT32_TOL
from helpers.strategies import arrays
from helpers.ops import check_against_numeric, check_against_torch

X = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]


def test_nearest_copies_each_pixel_into_a_block():
    np.testing.assert_array_equal(F.upsample_nearest2d(X, scale_factor=2)[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    assert F.upsample_nearest2d(X, scale_factor=(1, 3)).shape == (1, 1, 2, 6)


def test_bilinear_by_hand():
    # align_corners=True: corners stay put, output 0..3 samples the input at 0, 1/3, 2/3, 1.
    np.testing.assert_allclose(F.upsample_bilinear2d(X, scale_factor=2, align_corners=True)[0, 0, 0],
                               [1, 4 / 3, 5 / 3, 2], rtol=1e-15)
    # align_corners=False: output pixel centres (i + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25.
    np.testing.assert_allclose(F.upsample_bilinear2d(X, scale_factor=2)[0, 0, 0], [1, 1.25, 1.75, 2], rtol=1e-15)


def test_size_sets_the_output_and_the_ratio_input_over_output():
    """size=(H', W'): output row i reads input row floor(i H / H') (nearest) or (i + 1/2) H / H' - 1/2."""
    x = np.arange(5.0)[None, None, None, :]                       # one row 0..4
    np.testing.assert_array_equal(F.upsample_nearest2d(x, size=(1, 3))[0, 0, 0], [0, 1, 3])   # floor(i * 5/3)
    np.testing.assert_array_equal(F.upsample_nearest2d(x, size=(2, 10))[0, 0, 1], np.repeat(np.arange(5.0), 2))
    # bilinear to 2 columns: centres (i + 0.5) * 2.5 - 0.5 = 0.75 and 3.25: values 0.75 and 3.25 on a ramp
    np.testing.assert_allclose(F.upsample_bilinear2d(x, size=(1, 2))[0, 0, 0], [0.75, 3.25], rtol=1e-15)
    np.testing.assert_allclose(F.upsample_bilinear2d(x, size=(1, 3), align_corners=True)[0, 0, 0], [0, 2, 4])
    # the same output size from a scale uses r = 1 / scale instead: 5 * 0.7 -> 3 columns, floor(i / 0.7)
    np.testing.assert_array_equal(F.upsample_nearest2d(x, scale_factor=(1, 0.7))[0, 0, 0], [0, 1, 2])
    # torch copies exactly when the size is kept (5 * 1.1 -> 5), whatever floor(i / 1.1) says
    np.testing.assert_array_equal(F.upsample_nearest2d(x, scale_factor=(1, 1.1)), x)


def test_nearest_backward_sums_over_the_copies():
    _, cache = F.upsample_nearest2d_forward(X, scale_factor=2)
    np.testing.assert_array_equal(F.upsample_nearest2d_backward(np.ones((1, 1, 4, 4)), cache), np.full(X.shape, 4.0))


@pytest.mark.parametrize("forward, backward, hyper", [
    (F.upsample_nearest2d_forward, F.upsample_nearest2d_backward, {"size": (5, 7)}),
    (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward, {"size": (2, 7)}),
    (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward, {"size": 5, "align_corners": True}),
])
def test_upsample_gradients_with_size(rng, forward, backward, hyper):
    check_against_numeric(forward, backward, {"x": rng.normal(size=(2, 2, 3, 4))}, kwargs=hyper)


@pytest.mark.parametrize("forward, backward, hyper", [
    (F.upsample_nearest2d_forward, F.upsample_nearest2d_backward, {"scale_factor": (2, 3)}),
    (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward, {"scale_factor": 2}),
    (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward, {"scale_factor": 1.5, "align_corners": True}),
])
def test_upsample_gradients(rng, forward, backward, hyper):
    check_against_numeric(forward, backward, {"x": rng.normal(size=(2, 2, 3, 4))}, kwargs=hyper)


scales = st.sampled_from([2, 3, (2, 1), (1, 3), 1.5, 2.5, (1.7, 0.6)])


@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(x=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)).flatmap(arrays),
       scale_factor=scales, align_corners=st.booleans())
def test_upsampling_matches_torch_interpolate(x, scale_factor, align_corners):
    torch = pytest.importorskip("torch")
    interpolate = torch.nn.functional.interpolate
    assume(min(int(n * s) for n, s in zip(x.shape[2:], np.broadcast_to(scale_factor, 2))) >= 1)  # not empty
    check_against_torch(F.upsample_nearest2d_forward, F.upsample_nearest2d_backward,
                        lambda t, scale_factor: interpolate(t, scale_factor=scale_factor, mode="nearest"),
                        {"x": x}, kwargs={"scale_factor": scale_factor})
    check_against_torch(F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward,
                        lambda t, **kw: interpolate(t, mode="bilinear", **kw), {"x": x},
                        kwargs={"scale_factor": scale_factor, "align_corners": align_corners})


@pytest.mark.torch
@pytest.mark.parametrize("forward, backward, mode", [
    (F.upsample_nearest2d_forward, F.upsample_nearest2d_backward, "nearest"),
    (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward, "bilinear")])
def test_an_empty_batch_as_torch(rng, forward, backward, mode):
    torch = pytest.importorskip("torch")
    check_against_torch(forward, backward, lambda t, scale_factor: torch.nn.functional.interpolate(
        t, scale_factor=scale_factor, mode=mode), {"x": rng.normal(size=(0, 2, 3, 4))}, kwargs={"scale_factor": 2})


@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(x=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)).flatmap(arrays),
       size=st.tuples(st.integers(1, 9), st.integers(1, 9)), align_corners=st.booleans())
def test_size_matches_torch_interpolate(x, size, align_corners):
    torch = pytest.importorskip("torch")
    interpolate = torch.nn.functional.interpolate
    check_against_torch(F.upsample_nearest2d_forward, F.upsample_nearest2d_backward,
                        lambda t, size: interpolate(t, size=size, mode="nearest"), {"x": x}, kwargs={"size": size})
    check_against_torch(F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward,
                        lambda t, **kw: interpolate(t, mode="bilinear", **kw), {"x": x},
                        kwargs={"size": size, "align_corners": align_corners})


@pytest.mark.torch
@pytest.mark.parametrize("scale_factor", [2, (1.7, 2.3)])
@pytest.mark.parametrize("forward, backward, mode, kw", [
    (F.upsample_nearest2d_forward, F.upsample_nearest2d_backward, "nearest", {}),
    (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward, "bilinear", {"align_corners": False}),
    (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward, "bilinear", {"align_corners": True})])
def test_inf_and_nan_reach_only_the_outputs_they_feed_as_in_torch(rng, forward, backward, mode, kw, scale_factor):
    """A product with the mostly-zero interpolation matrix would spread 0 * inf = NaN over whole rows."""
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 2, 5, 4))
    u = rng.random(x.shape)
    x[u < 0.1], x[(u > 0.1) & (u < 0.2)], x[(u > 0.2) & (u < 0.25)] = np.nan, np.inf, -np.inf
    xt = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.interpolate(xt, scale_factor=scale_factor, mode=mode, **kw)
    dout = rng.normal(size=expected.shape)
    dout[rng.random(dout.shape) < 0.05] = np.nan
    expected.backward(torch.tensor(dout))
    out, cache = forward(x, scale_factor=scale_factor, **kw)
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-12, atol=0)        # NaN where torch's
    np.testing.assert_allclose(backward(dout, cache), xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_float32_and_no_mutation(rng):
    x = rng.normal(size=(1, 2, 3, 3))
    x32 = x.astype(np.float32)
    keep = x32.copy()
    for forward, backward in [(F.upsample_nearest2d_forward, F.upsample_nearest2d_backward),
                              (F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward)]:
        out32, cache = forward(x32, scale_factor=2)
        dx32 = backward(np.ones(out32.shape, np.float32), cache)
        out64, cache = forward(x, scale_factor=2)
        assert out32.dtype == dx32.dtype == np.float32
        assert rel_error(out32, out64) < FLOAT32_TOL
        assert rel_error(dx32, backward(np.ones(out64.shape), cache)) < FLOAT32_TOL
    np.testing.assert_array_equal(x32, keep)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.upsample_nearest2d(X[0], scale_factor=2), ValueError, r"upsample_nearest2d_forward: x must be 4-D"),
    (lambda: F.upsample_nearest2d(X, scale_factor=0), ValueError, r"scale_factor must be positive"),
    (lambda: F.upsample_bilinear2d(X, scale_factor="2"), TypeError, r"scale_factor must be a number"),
    (lambda: F.upsample_bilinear2d(X, scale_factor=(2, 2, 2)), TypeError, r"upsample_bilinear2d_forward"),
    (lambda: F.upsample_bilinear2d(X, scale_factor=0.2), ValueError, r"output size \(0, 0\) is empty"),
    (lambda: F.upsample_nearest2d(X), ValueError,
     r"upsample_nearest2d_forward: give exactly one of size and scale_factor, got size=None, scale_factor=None"),
    (lambda: F.upsample_bilinear2d(X, size=3, scale_factor=2), ValueError, r"give exactly one of size and scale_factor"),
    (lambda: F.upsample_nearest2d(X, size=(0, 2)), ValueError, r"upsample_nearest2d_forward: size must be >= 1"),
    (lambda: F.upsample_nearest2d(X, size=2.5), TypeError, r"upsample_nearest2d_forward: size must be an int or a pair"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
