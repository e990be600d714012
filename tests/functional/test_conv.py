"""Tests for cnnlab/functional/conv.py: conv2d and its naive loops (the notes' worked numbers, gradients,
torch parity, bad input)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error
from helpers.tolerances import FLOAT32_TOL, NAIVE_TOL
from helpers.strategies import conv2d_cases
from helpers.ops import check_against_numeric, check_against_torch
from cnnlab.notes import ch07_convolution as ch07

# --------------------------------------------------------------------------- the notes' examples

# Notes 004 and 003: the 6x6 edge example, the 7x7 stride-2 example, the 5x5x3 volume and the RGB
# corner. Their numbers live in cnnlab.notes.ch07_convolution; here they check F.conv2d.


def test_vertical_edge_filter_on_the_notes_6x6_image():
    out = F.conv2d(ch07.EDGE_M[None, None], ch07.EDGE_F[None, None])[0, 0]
    for (i, j), printed in ch07.NOTES_EDGE_SUMS.items():     # the sums the notes spell out
        window = ch07.EDGE_M[i:i + 3, j:j + 3]
        assert out[i, j] == printed == window[:, 0].sum() - window[:, 2].sum()
    # The widely copied answer key (-5, -4, 0, 8 on its first row) belongs to an image whose first
    # row ends 7, 4; the notes' M ends 4, 7: 3 and 5 here.
    assert out.shape == (4, 4) and out[0, 2] == 3 and out[0, 3] == 5


def test_stride_2_on_a_7x7_image_gives_3x3_with_the_notes_sums():
    # The slides show M's first five rows only through the sums; the rest is unknown (0 here).
    m = np.nan_to_num(ch07.STRIDE2_M)
    out = F.conv2d(m[None, None], ch07.STRIDE2_F[None, None], stride=2)[0, 0]
    assert out.shape == (3, 3)
    for (i, j), printed in ch07.NOTES_STRIDE2_SUMS.items():
        assert out[i, j] == printed


def test_the_notes_5x5x3_volume_with_bias_minus_3():
    out = F.conv2d(ch07.VOLUME_X[None], ch07.VOLUME_W[None], np.array([ch07.VOLUME_B]))[0, 0]
    np.testing.assert_array_equal(out, ch07.NOTES_VOLUME)


def test_the_notes_rgb_example_sums_to_minus_25():
    x, w = ch07.RGB_X[None], ch07.RGB_W
    per_channel = F.conv2d(x, w[:, None], padding=1, groups=3)[0, :, 0, 0]
    np.testing.assert_array_equal(per_channel, ch07.NOTES_RGB_PER_CHANNEL)
    assert F.conv2d(x, w[None], np.array([ch07.RGB_B]), padding=1)[0, 0, 0, 0] == ch07.NOTES_RGB_OUTPUT


# --------------------------------------------------------------------------- naive vs vectorised

@settings(max_examples=20, deadline=None)
@given(case=conv2d_cases())
def test_naive_and_vectorised_conv2d_agree(case):
    out, cache = F.conv2d_forward(**case)
    out_naive, cache_naive = F.conv2d_forward_naive(**case)
    assert rel_error(out, out_naive) < NAIVE_TOL
    dout = np.random.default_rng(1).normal(size=out.shape)
    for g, g_naive in zip(F.conv2d_backward(dout, cache), F.conv2d_backward_naive(dout, cache_naive)):
        assert (g is None and g_naive is None) or rel_error(g, g_naive) < NAIVE_TOL


# --------------------------------------------------------------------------- gradients

def _case(rng, x_shape, w_shape, bias=True, **hyper):
    return {"x": rng.normal(size=x_shape), "w": rng.normal(size=w_shape),
            "b": rng.normal(size=w_shape[0]) if bias else None}, hyper


@pytest.mark.parametrize("conv", [F.conv2d, lambda *a, **k: F.conv2d_forward_naive(*a, **k)[0]],
                         ids=["vectorised", "naive"])
def test_padding_same_keeps_the_size_and_puts_an_odd_zero_after(conv):
    """Ones through a kernel of ones count the window's pixels inside the image. 3x3 'same' pads 1
    all round (corners see 4, edges 6); 2x2 'same' pads one zero after (bottom, right) only."""
    out = conv(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding="same")
    np.testing.assert_array_equal(out[0, 0], [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])
    out = conv(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), padding="same")
    np.testing.assert_array_equal(out[0, 0], [[4, 4, 2], [4, 4, 2], [2, 2, 1]])
    x, w = np.arange(25.0).reshape(1, 1, 5, 5), np.arange(6.0).reshape(1, 1, 2, 3)
    np.testing.assert_array_equal(conv(x, w, padding="valid"), conv(x, w, padding=0))


@pytest.mark.parametrize("forward, backward", [(F.conv2d_forward, F.conv2d_backward),
                                               (F.conv2d_forward_naive, F.conv2d_backward_naive)])
@pytest.mark.parametrize("hyper", [{"padding": "same", "dilation": (1, 3)}, {"padding": "same", "groups": 2},
                                   {"padding": "valid", "stride": 2}])
def test_string_padding_gradients(rng, forward, backward, hyper):
    inputs, hyper = _case(rng, (2, 2, 5, 6), (2, 2 // hyper.get("groups", 1), 2, 3), **hyper)
    check_against_numeric(forward, backward, inputs, kwargs=hyper)


@pytest.mark.parametrize("forward, backward", [(F.conv2d_forward, F.conv2d_backward),
                                               (F.conv2d_forward_naive, F.conv2d_backward_naive)])
@pytest.mark.parametrize("x_shape, w_shape, hyper", [
    ((2, 3, 5, 5), (4, 3, 3, 3), {}),
    ((1, 4, 6, 5), (4, 2, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2}),
])
def test_conv2d_gradients(rng, forward, backward, x_shape, w_shape, hyper):
    inputs, hyper = _case(rng, x_shape, w_shape, **hyper)
    check_against_numeric(forward, backward, inputs, kwargs=hyper)


# --------------------------------------------------------------------------- torch parity

@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(case=conv2d_cases())
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    inputs = {k: case.pop(k) for k in ("x", "w", "b")}
    check_against_torch(F.conv2d_forward, F.conv2d_backward, torch.nn.functional.conv2d, inputs,
                        differentiable=[True] * 3, kwargs=case)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@settings(max_examples=20, deadline=None)
@given(kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)), dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       mode=st.sampled_from(["same", "valid"]), seed=st.integers(0, 1000), data=st.data())
def test_string_padding_matches_torch(kernel, dilation, mode, seed, data):
    torch = pytest.importorskip("torch")
    smallest = [d * (k - 1) + 1 if mode == "valid" else 1 for k, d in zip(kernel, dilation)]
    hw = tuple(data.draw(st.integers(m, m + 4)) for m in smallest)
    r = np.random.default_rng(seed)
    inputs = {"x": r.normal(size=(2, 3) + hw), "w": r.normal(size=(2, 3) + kernel), "b": r.normal(size=2)}
    hyper = {"padding": mode, "dilation": dilation}
    check_against_torch(F.conv2d_forward, F.conv2d_backward, torch.nn.functional.conv2d, inputs,
                        differentiable=[True] * 3, kwargs=hyper, seed=seed)
    naive = F.conv2d_forward_naive(*inputs.values(), **hyper)[0]
    assert rel_error(naive, F.conv2d(*inputs.values(), **hyper)) < NAIVE_TOL


# --------------------------------------------------------------------------- edge cases as torch

@pytest.mark.torch
@pytest.mark.parametrize("forward, backward", [(F.conv2d_forward, F.conv2d_backward),
                                               (F.conv2d_forward_naive, F.conv2d_backward_naive)])
@pytest.mark.parametrize("x_shape", [(0, 3, 5, 6), (3, 5, 6)], ids=["empty batch", "unbatched"])
def test_empty_batch_and_unbatched_input_as_torch(rng, forward, backward, x_shape):
    """N = 0 gives an empty output (and zero weight gradients); a (C, H, W) x an unbatched output and dx."""
    torch = pytest.importorskip("torch")
    inputs = {"x": rng.normal(size=x_shape), "w": rng.normal(size=(4, 3, 3, 2)), "b": rng.normal(size=4)}
    check_against_torch(forward, backward, torch.nn.functional.conv2d, inputs, kwargs={"stride": 2, "padding": 1})
    out, cache = forward(**inputs)
    assert out.shape == ((0, 4, 3, 5) if len(x_shape) == 4 else (4, 3, 5))
    assert backward(np.ones(out.shape), cache)[0].shape == x_shape


def test_unbatched_is_the_batch_of_one(rng):
    x, w, b = rng.normal(size=(3, 5, 5)), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2)
    out, cache = F.conv2d_forward(x, w, b)
    out1, cache1 = F.conv2d_forward(x[None], w, b)
    np.testing.assert_array_equal(out, out1[0])
    dout = rng.normal(size=out.shape)
    for g, g1 in zip(F.conv2d_backward(dout, cache), F.conv2d_backward(dout[None], cache1)):
        np.testing.assert_array_equal(g, g1[0] if g.shape != g1.shape else g1)
    with pytest.raises(ValueError, match=r"conv2d_backward: dout.shape=\(1, 2, 3, 3\) but the forward output had "
                                         r"shape \(2, 3, 3\)"):
        F.conv2d_backward(dout[None], cache)


# --------------------------------------------------------------------------- dtypes, no mutation

def test_float32_in_float32_out_and_close_to_float64(rng):
    x, w, b = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    out32, cache = F.conv2d_forward(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), padding=1)
    grads32 = F.conv2d_backward(np.ones(out32.shape, np.float32), cache)
    out64, cache = F.conv2d_forward(x, w, b, padding=1)
    grads64 = F.conv2d_backward(np.ones(out64.shape), cache)
    assert out32.dtype == np.float32 and all(g.dtype == np.float32 for g in grads32)
    assert rel_error(out32, out64) < FLOAT32_TOL
    assert all(rel_error(g32, g64) < FLOAT32_TOL for g32, g64 in zip(grads32, grads64))


def test_inputs_are_not_mutated(rng):
    x, w, b = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3)), rng.normal(size=2)
    copies = [a.copy() for a in (x, w, b)]
    for forward, backward in [(F.conv2d_forward, F.conv2d_backward),
                              (F.conv2d_forward_naive, F.conv2d_backward_naive)]:
        out, cache = forward(x, w, b, padding=1)
        dout = np.ones_like(out)
        backward(dout, cache)
        assert all(np.array_equal(a, c) for a, c in zip((x, w, b), copies))
        assert np.all(dout == 1)



# --------------------------------------------------------------------------- bad input

X, W = np.zeros((2, 3, 5, 5)), np.zeros((8, 4, 3, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d_forward(X, W), ValueError,
     r"conv2d_forward: x has 3 channels but w expects 4 \(w.shape=\(8, 4, 3, 3\)\)"),
    (lambda: F.conv2d_forward(X[0, 0], W), ValueError,
     r"conv2d_forward: x must be 3-D or 4-D \(C_in, H, W\) or \(N, C_in, H, W\), got x.shape=\(5, 5\)"),
    (lambda: F.conv2d_forward(X, W[0]), ValueError, r"w must be 4-D"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, groups=3), ValueError, r"groups=3 does not divide"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 2, 2)), W), ValueError, r"kernel 3x3 .* larger than the padded input"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, padding=-1), ValueError, r"conv2d_forward: padding must be >= 0, got -1"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, stride=0), ValueError, r"conv2d_forward: stride must be >= 1, got 0"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, stride=1.5), TypeError, r"conv2d_forward: stride must be an int or a pair of ints, got 1.5"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, np.zeros(4)), ValueError,
     r"b must have shape \(8,\) for w.shape=\(8, 4, 3, 3\), got b.shape=\(4,\)"),
    (lambda: F.conv2d_forward_naive(X, W), ValueError, r"conv2d_forward_naive: x has 3 channels"),
    (lambda: F.conv2d(X, W), ValueError, r"x has 3 channels"),
    (lambda: F.conv2d(X.astype(complex), W), TypeError, r"x must be a real array"),
    (lambda: F.conv2d(np.zeros((1, 4, 5, 5)), W, padding="full"), ValueError,
     r"conv2d_forward: padding must be 'valid' or 'same', got 'full'"),
    (lambda: F.conv2d_forward_naive(np.zeros((1, 4, 5, 5)), W, padding="same", stride=2), ValueError,
     r"conv2d_forward_naive: padding='same' needs stride=1 \(the output keeps the input's size\), got stride=2"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
