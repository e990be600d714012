"""Tests for cnnlab/functional/pooling.py: the notes' examples, gradients, torch parity, bad input."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error
from helpers.tolerances import FLOAT32_TOL, TORCH_TOL
from helpers.strategies import pool2d_cases
from helpers.ops import check_against_numeric, check_against_torch
from cnnlab.notes import ch08_pooling

# Notes 003: a 6x6 input, max pooling with F = 2, S = 2 (the numbers live in cnnlab.notes).
X6 = ch08_pooling.MAXPOOL_X[None, None]


def _distinct(rng, shape):
    """Values without ties, so every window has one maximum."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0


# --------------------------------------------------------------------------- the notes' examples

def test_max_pool_of_the_notes_6x6_example():
    np.testing.assert_array_equal(F.max_pool2d(X6, kernel_size=2, stride=2)[0, 0], ch08_pooling.NOTES_MAXPOOL)


def test_max_pool_gradient_goes_to_the_maximum_only():
    # Notes 004: maxpool([[a, b], [c, d]]) = d, so d gets the gradient and a, b, c get zero.
    x = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    out, cache = F.max_pool2d_forward(x, kernel_size=2)
    np.testing.assert_array_equal(F.max_pool2d_backward(np.array([[[[5.0]]]]), cache)[0, 0], [[0, 0], [0, 5]])


def test_ties_send_the_gradient_to_the_first_maximum_in_row_major_order():
    # The notes' top-left window [[2, 2], [0, 0]] has a tie: the first 2 gets it, in both versions.
    for forward, backward in [(F.max_pool2d_forward, F.max_pool2d_backward),
                              (F.max_pool2d_forward_naive, F.max_pool2d_backward_naive)]:
        out, cache = forward(X6, kernel_size=2)
        dx = backward(np.ones_like(out), cache)[0, 0]
        np.testing.assert_array_equal(dx[:2, :2], [[1, 0], [0, 0]])
        assert dx.sum() == 9
    _, indices = F.max_pool2d_with_indices(X6, kernel_size=2)
    assert indices[0, 0, 0, 0] == 0


@pytest.mark.parametrize("stride", [2, 1], ids=["disjoint windows", "overlapping windows"])
def test_an_infinite_or_nan_dout_reaches_the_maxima_only(stride):
    # The vectorised backward multiplies dout by a 0/1 mask when dout is finite; inf and nan must
    # not leak (0 * inf = nan) onto the pixels that are not maxima. The naive loops are the oracle.
    x = np.array([[1.0, 3.0, 0.0], [3.0, 2.0, 5.0], [4.0, 0.0, 1.0]])[None, None]
    out, cache = F.max_pool2d_forward(x, kernel_size=2, stride=stride)
    _, cache_naive = F.max_pool2d_forward_naive(x, kernel_size=2, stride=stride)
    for bad in (np.inf, np.nan):
        dout = np.ones_like(out)
        dout[0, 0, 0, 0] = bad
        np.testing.assert_array_equal(F.max_pool2d_backward(dout, cache),
                                      F.max_pool2d_backward_naive(dout, cache_naive))


def test_overlapping_pooling_width_3_stride_2():
    # Notes 004 (AlexNet): pool width 3, stride 2: windows share a row/column; a shared maximum
    # collects the gradient of every window it wins.
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out, cache = F.max_pool2d_forward(x, kernel_size=3, stride=2)
    np.testing.assert_array_equal(out[0, 0], [[12, 14], [22, 24]])
    dx = F.max_pool2d_backward(np.ones_like(out), cache)
    assert dx[0, 0, 2, 2] == 1 and dx.sum() == 4
    y = np.zeros((1, 1, 5, 5))
    y[0, 0, 2, 2] = 9.0                              # the centre lies in all four windows
    out, cache = F.max_pool2d_forward(y, kernel_size=3, stride=2)
    assert F.max_pool2d_backward(np.ones_like(out), cache)[0, 0, 2, 2] == 4


def test_unpool_puts_values_back_at_the_switches():
    out, indices = F.max_pool2d_with_indices(X6, kernel_size=2)
    restored = F.max_unpool2d(out, indices, kernel_size=2)
    assert restored.shape == X6.shape
    np.testing.assert_array_equal(restored.ravel()[indices.ravel()], out.ravel())
    assert np.count_nonzero(restored) == np.count_nonzero(out)
    np.testing.assert_array_equal(F.max_pool2d(restored, kernel_size=2), out)


def test_ceil_mode_adds_the_partial_last_window():
    """5x5, 2x2 windows, stride 2: floor gives 2x2 and drops the last row and column; ceil_mode keeps
    them in a third, partial window (GoogLeNet's pools: 112 -> 56 with 3x3 stride 2, not 55)."""
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    assert F.max_pool2d(x, kernel_size=2).shape == (1, 1, 2, 2)
    for forward in (F.max_pool2d_forward, F.max_pool2d_forward_naive):
        out, _ = forward(x, kernel_size=2, ceil_mode=True)
        np.testing.assert_array_equal(out[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    assert F.max_pool2d(np.zeros((1, 1, 112, 112)), kernel_size=3, stride=2, ceil_mode=True).shape == (1, 1, 56, 56)
    # average: the partial windows divide by the cells they cover (the overhang never counts)
    out = F.avg_pool2d(x, kernel_size=2, ceil_mode=True)[0, 0]
    assert out[0, 2] == (4 + 9) / 2 and out[2, 2] == 24 and out[0, 0] == (0 + 1 + 5 + 6) / 4


def test_dilated_max_pool_reads_every_other_pixel():
    """kernel 2, dilation 2: window (i, j) reads (i, j), (i, j + 2), (i + 2, j), (i + 2, j + 2)."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    for forward, backward in [(F.max_pool2d_forward, F.max_pool2d_backward),
                              (F.max_pool2d_forward_naive, F.max_pool2d_backward_naive)]:
        out, cache = forward(x, kernel_size=2, stride=1, dilation=2)
        np.testing.assert_array_equal(out[0, 0], [[10, 11], [14, 15]])
        dx = backward(np.ones_like(out), cache)[0, 0]
        np.testing.assert_array_equal(dx, np.pad(np.ones((2, 2)), ((2, 0), (2, 0))))
    _, indices = F.max_pool2d_with_indices(x, kernel_size=2, stride=1, dilation=2)
    np.testing.assert_array_equal(indices[0, 0], [[10, 11], [14, 15]])


def test_avg_pool_count_include_pad_and_divisor_override():
    x = np.ones((1, 1, 2, 2))
    # each 2x2 window of the padded 4x4 holds one real pixel: 1/4 counting the zeros, 1 without them
    assert np.all(F.avg_pool2d(x, kernel_size=2, padding=1) == 0.25)
    assert np.all(F.avg_pool2d(x, kernel_size=2, padding=1, count_include_pad=False) == 1.0)
    assert np.all(F.avg_pool2d(x, kernel_size=2, divisor_override=1) == 4.0)        # the window sum
    out, cache = F.avg_pool2d_forward(x, kernel_size=2, divisor_override=-2)
    assert out[0, 0, 0, 0] == -2.0
    np.testing.assert_array_equal(F.avg_pool2d_backward(np.ones_like(out), cache), np.full(x.shape, -0.5))


def test_unpool_backward_gathers_the_gradient_at_the_switches():
    out, indices = F.max_pool2d_with_indices(X6, kernel_size=2)
    restored, cache = F.max_unpool2d_forward(out, indices, kernel_size=2)
    dout = np.arange(36.0).reshape(X6.shape)
    np.testing.assert_array_equal(F.max_unpool2d_backward(dout, cache), dout.reshape(-1)[indices].reshape(out.shape))


def test_avg_l2_and_global_pooling_by_hand():
    x = np.array([[1.0, 2.0], [2.0, 4.0]])[None, None]
    assert F.avg_pool2d(x, kernel_size=2)[0, 0, 0, 0] == 9 / 4
    assert F.l2_pool2d(x, kernel_size=2)[0, 0, 0, 0] == 5          # sqrt(1 + 4 + 4 + 16)
    np.testing.assert_array_equal(F.global_avg_pool2d(X6), [[X6.mean()]])
    # count_include_pad: zero padding is counted in the average
    assert F.avg_pool2d(x, kernel_size=2, stride=2, padding=1)[0, 0, 0, 0] == 1 / 4


# --------------------------------------------------------------------------- naive vs vectorised

@settings(max_examples=20, deadline=None)
@given(case=pool2d_cases(), dilation=st.sampled_from([1, 2, (1, 2)]), ceil_mode=st.booleans())
def test_naive_and_vectorised_max_pool_agree(case, dilation, ceil_mode):
    x, kernel, stride, padding = case
    hyper = {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation, "ceil_mode": ceil_mode}
    assume(_fits(x, kernel, padding, dilation))
    out, cache = F.max_pool2d_forward(x, **hyper)
    out_n, cache_n = F.max_pool2d_forward_naive(x, **hyper)
    np.testing.assert_array_equal(out, out_n)
    dout = np.random.default_rng(0).normal(size=out.shape)
    assert rel_error(F.max_pool2d_backward(dout, cache), F.max_pool2d_backward_naive(dout, cache_n)) < 1e-15


# --------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("forward, backward", [
    (F.max_pool2d_forward, F.max_pool2d_backward), (F.max_pool2d_forward_naive, F.max_pool2d_backward_naive),
    (F.avg_pool2d_forward, F.avg_pool2d_backward), (F.l2_pool2d_forward, F.l2_pool2d_backward)])
@pytest.mark.parametrize("hyper", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                                   {"kernel_size": (2, 3), "stride": (1, 2)}])
def test_pooling_gradients(rng, forward, backward, hyper):
    # Distinct values far apart (steps of 1/7 >> h) keep every maximum put under finite differences.
    check_against_numeric(forward, backward, {"x": _distinct(rng, (2, 2, 5, 6))}, kwargs=hyper)


@pytest.mark.parametrize("forward, backward, hyper", [
    (F.max_pool2d_forward, F.max_pool2d_backward, {"kernel_size": 2, "dilation": (2, 1), "ceil_mode": True}),
    (F.max_pool2d_forward_naive, F.max_pool2d_backward_naive, {"kernel_size": 3, "stride": 2, "padding": 1,
                                                               "dilation": 2, "ceil_mode": True}),
    (F.avg_pool2d_forward, F.avg_pool2d_backward, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                                                   "count_include_pad": False}),
    (F.avg_pool2d_forward, F.avg_pool2d_backward, {"kernel_size": 2, "stride": 2, "ceil_mode": True}),
    (F.avg_pool2d_forward, F.avg_pool2d_backward, {"kernel_size": 2, "padding": 1, "divisor_override": 3})])
def test_dilation_ceil_mode_and_divisor_gradients(rng, forward, backward, hyper):
    check_against_numeric(forward, backward, {"x": _distinct(rng, (2, 2, 5, 6))}, kwargs=hyper)


def test_unpool_gradient(rng):
    out, indices = F.max_pool2d_with_indices(_distinct(rng, (2, 2, 5, 6)), kernel_size=2)
    check_against_numeric(lambda x: F.max_unpool2d_forward(x, indices, kernel_size=2, output_size=(5, 6)),
                          F.max_unpool2d_backward, {"x": rng.normal(size=out.shape)})


def test_global_avg_pool_gradient(rng):
    check_against_numeric(F.global_avg_pool2d_forward, F.global_avg_pool2d_backward, {"x": rng.normal(size=(2, 3, 4, 5))})


# --------------------------------------------------------------------------- torch parity

@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(case=pool2d_cases())
def test_max_and_avg_pool_match_torch(case):
    torch = pytest.importorskip("torch")
    x, kernel, stride, padding = case
    hyper = {"kernel_size": kernel, "stride": stride, "padding": padding}
    check_against_torch(F.max_pool2d_forward, F.max_pool2d_backward, torch.nn.functional.max_pool2d, {"x": x},
                        kwargs=hyper)
    check_against_torch(F.avg_pool2d_forward, F.avg_pool2d_backward, torch.nn.functional.avg_pool2d, {"x": x},
                        kwargs=hyper)


def _fits(x, kernel, padding, dilation):
    d = (dilation, dilation) if np.isscalar(dilation) else dilation
    k = (kernel, kernel) if np.isscalar(kernel) else kernel
    p = (padding, padding) if np.isscalar(padding) else padding
    return all(di * (ki - 1) + 1 <= n + 2 * pi for di, ki, pi, n in zip(d, k, p, x.shape[2:]))


@pytest.mark.torch
@settings(max_examples=30, deadline=None)
@given(case=pool2d_cases(), dilation=st.sampled_from([1, 2, (2, 1)]), ceil_mode=st.booleans(),
       count_include_pad=st.booleans(), divisor_override=st.sampled_from([None, None, 3, -2]))
def test_dilation_ceil_mode_and_divisors_match_torch(case, dilation, ceil_mode, count_include_pad, divisor_override):
    torch = pytest.importorskip("torch")
    x, kernel, stride, padding = case
    hyper = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode}
    avg = {**hyper, "count_include_pad": count_include_pad, "divisor_override": divisor_override}
    check_against_torch(F.avg_pool2d_forward, F.avg_pool2d_backward, torch.nn.functional.avg_pool2d, {"x": x},
                        kwargs=avg)
    assume(_fits(x, kernel, padding, dilation))
    check_against_torch(F.max_pool2d_forward, F.max_pool2d_backward, torch.nn.functional.max_pool2d, {"x": x},
                        kwargs={**hyper, "dilation": dilation})
    _, indices = F.max_pool2d_with_indices(x, **hyper, dilation=dilation)
    _, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), **hyper, dilation=dilation, return_indices=True)
    np.testing.assert_array_equal(indices, indices_t.numpy())


@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(case=pool2d_cases())
def test_unpool_gradient_matches_torch(case):
    torch = pytest.importorskip("torch")
    x, kernel, stride, padding = case
    out, indices = F.max_pool2d_with_indices(x, kernel_size=kernel, stride=stride, padding=padding)
    hyper = {"kernel_size": kernel, "stride": stride, "padding": padding, "output_size": x.shape[2:]}
    check_against_torch(lambda y, **k: F.max_unpool2d_forward(y, indices, **k), F.max_unpool2d_backward,
                        lambda t, **k: torch.nn.functional.max_unpool2d(t, torch.tensor(indices), **k),
                        {"x": np.random.default_rng(0).normal(size=out.shape)}, kwargs=hyper)


@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(case=pool2d_cases(max_padding=False))
def test_l2_pool_matches_torch_lp_pool2d(case):
    torch = pytest.importorskip("torch")
    x, kernel, stride, _ = case
    check_against_torch(F.l2_pool2d_forward, F.l2_pool2d_backward,
                        lambda t, kernel_size, stride: torch.nn.functional.lp_pool2d(t, 2, kernel_size, stride),
                        {"x": x}, kwargs={"kernel_size": kernel, "stride": stride})


@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(case=pool2d_cases())
def test_indices_and_unpool_match_torch(case):
    torch = pytest.importorskip("torch")
    x, kernel, stride, padding = case
    out, indices = F.max_pool2d_with_indices(x, kernel_size=kernel, stride=stride, padding=padding)
    out_t, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), kernel, stride, padding, return_indices=True)
    np.testing.assert_array_equal(indices, indices_t.numpy())
    assert indices.dtype == np.int64
    # Unpool a fresh tensor through the switches; with overlapping windows torch's write order is
    # unspecified, so unpool the maxima themselves (equal values wherever two windows share one).
    restored = F.max_unpool2d(out, indices, kernel_size=kernel, stride=stride, padding=padding, output_size=x.shape)
    restored_t = torch.nn.functional.max_unpool2d(out_t, indices_t, kernel, stride, padding, output_size=x.shape[2:])
    assert rel_error(restored, restored_t.numpy()) < TORCH_TOL


@pytest.mark.torch
def test_global_avg_pool_matches_torch(rng):
    torch = pytest.importorskip("torch")
    check_against_torch(F.global_avg_pool2d_forward, F.global_avg_pool2d_backward,
                        lambda t: torch.nn.functional.adaptive_avg_pool2d(t, 1).flatten(1),
                        {"x": rng.normal(size=(2, 3, 4, 5))})


# --------------------------------------------------------------------------- edge cases as torch

def _torch_pool(torch, name):
    tf = torch.nn.functional
    return {"max": tf.max_pool2d, "max_naive": tf.max_pool2d, "avg": tf.avg_pool2d,
            "l2": lambda x, kernel_size, stride, padding: tf.lp_pool2d(x, 2, kernel_size, stride)}[name]


POOL_PAIRS = {"max": (F.max_pool2d_forward, F.max_pool2d_backward),
              "max_naive": (F.max_pool2d_forward_naive, F.max_pool2d_backward_naive),
              "avg": (F.avg_pool2d_forward, F.avg_pool2d_backward),
              "l2": (F.l2_pool2d_forward, F.l2_pool2d_backward)}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(POOL_PAIRS))
@pytest.mark.parametrize("x_shape", [(0, 2, 5, 4), (2, 5, 4)], ids=["empty batch", "unbatched"])
def test_empty_batch_and_unbatched_input_as_torch(name, x_shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).permutation(np.prod(x_shape)).reshape(x_shape) / 7.0     # no ties
    hyper = {"kernel_size": 2, "stride": 1, "padding": 0 if name == "l2" else 1}
    forward, backward = POOL_PAIRS[name]
    check_against_torch(forward, backward, _torch_pool(torch, name), {"x": x}, kwargs=hyper)
    out, cache = forward(x, **hyper)
    assert out.ndim == len(x_shape) and backward(np.ones(out.shape), cache).shape == x_shape


@pytest.mark.torch
@pytest.mark.parametrize("name", ["max", "max_naive"])
def test_nan_wins_the_max_as_in_torch(name):
    """A window holding NaN outputs NaN and sends its gradient to its last NaN, as torch does."""
    torch = pytest.importorskip("torch")
    x = np.array([[[[np.nan, 1.0, 5.0, 2.0], [np.nan, 2.0, 3.0, np.nan], [1.0, 1.0, 1.0, 0.0]]]])
    xt = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.max_pool2d(xt, 2, 1)
    dout = np.arange(1.0, 1.0 + expected.numel()).reshape(expected.shape)
    expected.backward(torch.tensor(dout))
    forward, backward = POOL_PAIRS[name]
    out, cache = forward(x, kernel_size=2, stride=1)
    np.testing.assert_array_equal(out, expected.detach().numpy())
    np.testing.assert_array_equal(backward(dout, cache), xt.grad.numpy())


@pytest.mark.torch
def test_l2_pool_with_inf_nan_and_zero_windows_as_torch():
    """torch's lp_pool2d: NaN in a window reaches all its pixels, an all-zero window gets no gradient."""
    torch = pytest.importorskip("torch")
    x = np.array([[[[np.inf, 1.0], [2.0, 3.0]], [[np.nan, 1.0], [0.0, 0.0]],
                   [[0.0, 0.0], [0.0, 0.0]], [[-np.inf, 1.0], [1.0, 1.0]]]])
    xt = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.lp_pool2d(xt, 2, 2)
    expected.backward(torch.full(expected.shape, 2.0, dtype=torch.float64))
    out, cache = F.l2_pool2d_forward(x, kernel_size=2)
    np.testing.assert_array_equal(out, expected.detach().numpy())
    np.testing.assert_array_equal(F.l2_pool2d_backward(np.full(out.shape, 2.0), cache), xt.grad.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("x_shape", [(0, 2, 4, 4), (2, 4, 6)], ids=["empty batch", "unbatched"])
def test_indices_and_unpool_on_empty_and_unbatched_input_as_torch(x_shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).permutation(np.prod(x_shape)).reshape(x_shape) * 1.0
    out, indices = F.max_pool2d_with_indices(x, kernel_size=2)
    out_t, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(out, out_t.numpy())
    np.testing.assert_array_equal(indices, indices_t.numpy())
    restored = F.max_unpool2d(out, indices, kernel_size=2)
    np.testing.assert_array_equal(restored, torch.nn.functional.max_unpool2d(out_t, indices_t, 2).numpy())


# --------------------------------------------------------------------------- dtypes, no mutation

@pytest.mark.parametrize("forward, backward", [
    (F.max_pool2d_forward, F.max_pool2d_backward), (F.avg_pool2d_forward, F.avg_pool2d_backward),
    (F.l2_pool2d_forward, F.l2_pool2d_backward)])
def test_float32_and_no_mutation(rng, forward, backward):
    x = _distinct(rng, (2, 3, 6, 6))
    x32, keep = x.astype(np.float32), x.astype(np.float32)
    out32, cache = forward(x32, kernel_size=3, stride=2, padding=1)
    dx32 = backward(np.ones(out32.shape, np.float32), cache)
    out64, cache = forward(x, kernel_size=3, stride=2, padding=1)
    dx64 = backward(np.ones(out64.shape), cache)
    assert out32.dtype == dx32.dtype == np.float32
    assert rel_error(out32, out64) < FLOAT32_TOL and rel_error(dx32, dx64) < FLOAT32_TOL
    np.testing.assert_array_equal(x32, keep)


# --------------------------------------------------------------------------- bad input

X = np.zeros((1, 2, 4, 4))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.max_pool2d_forward(X[0, 0], kernel_size=2), ValueError,
     r"max_pool2d_forward: x must be 3-D or 4-D \(C, H, W\) or \(N, C, H, W\), got x.shape=\(4, 4\)"),
    (lambda: F.max_pool2d(X, kernel_size=0), ValueError, r"max_pool2d_forward: kernel_size must be >= 1, got 0"),
    (lambda: F.max_pool2d(X, kernel_size=2, stride=0), ValueError, r"max_pool2d_forward: stride must be >= 1, got 0"),
    (lambda: F.max_pool2d(X, kernel_size=2, padding=-1), ValueError, r"padding must be >= 0"),
    (lambda: F.max_pool2d(X, kernel_size=2, padding=2), ValueError, r"at most half of kernel_size"),
    (lambda: F.max_pool2d(X, kernel_size=5), ValueError, r"max_pool2d_forward: kernel 5x5 is larger than the padded input in height: 5 > 4 \+ 2\*0"),
    (lambda: F.max_pool2d_forward_naive(X, kernel_size=(2, 2, 2)), ValueError, r"max_pool2d_forward_naive: kernel_size must be an int or a pair of ints, got \(2, 2, 2\)"),
    (lambda: F.avg_pool2d(X, kernel_size=5), ValueError, r"avg_pool2d_forward: kernel 5x5 is larger"),
    (lambda: F.l2_pool2d(X[0, 0], kernel_size=2), ValueError, r"l2_pool2d_forward: x must be 3-D or 4-D"),
    (lambda: F.global_avg_pool2d(X[0]), ValueError, r"global_avg_pool2d_forward: x must be 4-D"),
    (lambda: F.max_pool2d_with_indices(X, kernel_size=7), ValueError, r"larger than the padded input"),
    (lambda: F.max_unpool2d(X, np.zeros((1, 2, 4, 3), int), kernel_size=2), ValueError,
     r"max_unpool2d_forward: indices must have shape \(1, 2, 4, 4\) \(x's shape\), got indices.shape=\(1, 2, 4, 3\)"),
    (lambda: F.max_unpool2d(X, np.zeros(X.shape), kernel_size=2), TypeError,
     r"max_unpool2d_forward: indices must be an integer array, got dtype float64"),
    (lambda: F.max_unpool2d(X, np.full(X.shape, 64), kernel_size=2), ValueError, r"indices must lie in \[0, 64\)"),
    (lambda: F.max_pool2d(X, kernel_size=2, dilation=0), ValueError, r"max_pool2d_forward: dilation must be >= 1, got 0"),
    (lambda: F.max_pool2d(X, kernel_size=2, dilation=4), ValueError,
     r"max_pool2d_forward: kernel 2x2 \(dilation=\(4, 4\)\) is larger than the padded input"),
    (lambda: F.max_pool2d_forward_naive(X, kernel_size=2, ceil_mode="yes"), TypeError,
     r"max_pool2d_forward_naive: ceil_mode must be a bool, got str 'yes'"),
    (lambda: F.avg_pool2d(X, kernel_size=2, divisor_override=0), ValueError,
     r"avg_pool2d_forward: divisor_override must not be 0"),
    (lambda: F.avg_pool2d(X, kernel_size=2, divisor_override=1.5), TypeError,
     r"avg_pool2d_forward: divisor_override must be an int or None, got float 1.5"),
    (lambda: F.avg_pool2d(X, kernel_size=2, count_include_pad=None), TypeError,
     r"avg_pool2d_forward: count_include_pad must be a bool"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_max_unpool_backward_checks_dout():
    out, indices = F.max_pool2d_with_indices(X, kernel_size=2)
    _, cache = F.max_unpool2d_forward(out, indices, kernel_size=2)
    with pytest.raises(ValueError, match=r"max_unpool2d_backward: dout.shape=\(1, 2, 2, 2\) but the forward output "
                                         r"had shape \(1, 2, 4, 4\)"):
        F.max_unpool2d_backward(np.zeros((1, 2, 2, 2)), cache)


def test_global_avg_pool_backward_checks_dout():
    _, cache = F.global_avg_pool2d_forward(X)
    with pytest.raises(ValueError, match=r"global_avg_pool2d_backward: dout.shape=\(2, 1\) but the forward output had shape \(1, 2\)"):
        F.global_avg_pool2d_backward(np.zeros((2, 1)), cache)
