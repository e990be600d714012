"""Tests for cnnlab/functional/conv.py: the notes' worked numbers, gradients, torch parity, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings

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


def test_conv_matrix_of_the_notes_4x4_input_and_3x3_kernel(rng):
    w = np.arange(1.0, 10.0).reshape(3, 3)
    c = F.conv_matrix(w, (4, 4))
    assert c.shape == (4, 16)
    # Row 0 is the kernel laid into the 4x4 grid at the top-left, zeros elsewhere.
    np.testing.assert_array_equal(c[0], [1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0])
    x = rng.normal(size=(4, 4))
    np.testing.assert_allclose(c @ x.ravel(), F.conv2d(x[None, None], w[None, None]).ravel(), rtol=1e-12)
    # Its transpose maps a 2x2 output back to 4x4: the transposed convolution.
    y = rng.normal(size=(2, 2))
    np.testing.assert_allclose(c.T @ y.ravel(), F.conv_transpose2d(y[None, None], w[None, None]).ravel(), rtol=1e-12)


def test_conv_matrix_4d_with_stride_and_padding(rng):
    w, x = rng.normal(size=(2, 3, 2, 3)), rng.normal(size=(3, 5, 4))
    c = F.conv_matrix(w, x.shape, stride=2, padding=1)
    out = F.conv2d(x[None], w, stride=2, padding=1)
    assert c.shape == (out.size, x.size)
    np.testing.assert_allclose(c @ x.ravel(), out.ravel(), rtol=1e-12, atol=1e-12)


def test_correlate_and_convolve_differ_by_the_flip():
    # Notes 003: correlation sums w_i x_{i'+i-1}; convolution uses the reversed kernel.
    x, w = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, -1.0])
    np.testing.assert_array_equal(F.correlate1d(x, w), [1 - 3, 2 - 4])
    np.testing.assert_array_equal(F.convolve1d(x, w), [3 - 1, 4 - 2])
    for mode in ("valid", "same", "full"):
        for kernel in (w, np.array([2.0, -1.0]), np.array([0.5, 1.0, -2.0, 3.0])):
            np.testing.assert_allclose(F.correlate1d(x, kernel, mode=mode), np.correlate(x, kernel, mode))
            np.testing.assert_allclose(F.convolve1d(x, kernel, mode=mode), np.convolve(x, kernel, mode))


def test_separate_kernel_factors_sobel_and_rejects_rank_2():
    w_col, w_row = F.separate_kernel(np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]))
    np.testing.assert_array_equal(w_col, [1, 2, 1])
    np.testing.assert_array_equal(w_row, [1, 0, -1])
    with pytest.raises(ValueError, match="separate_kernel: .*rank 2"):
        F.separate_kernel(np.eye(2))


def test_spatially_separable_equals_conv_with_the_outer_product(rng):
    x, w_col, w_row = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=3), rng.normal(size=2)
    kernel = np.broadcast_to(np.outer(w_col, w_row), (3, 1, 3, 2))
    expected = F.conv2d(x, kernel, stride=(2, 1), padding=(1, 2), groups=3)
    out = F.spatially_separable_conv2d(x, w_col, w_row, stride=(2, 1), padding=(1, 2))
    assert rel_error(out, expected) < NAIVE_TOL


def test_depthwise_separable_equals_one_conv_with_the_composed_kernel(rng):
    # Depthwise (each channel alone, M=2 filters each) then 1x1 pointwise = a full conv whose kernel
    # is w_full[o, c] = sum_m w_point[o, c*M + m] * w_depth[c*M + m].
    x, w_depth, w_point = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(6, 1, 3, 3)), rng.normal(size=(4, 6, 1, 1))
    w_full = np.einsum("ocm,cmuv->ocuv", w_point[:, :, 0, 0].reshape(4, 3, 2), w_depth[:, 0].reshape(3, 2, 3, 3))
    out = F.depthwise_separable_conv2d(x, w_depth, w_point, stride=2, padding=1)
    assert rel_error(out, F.conv2d(x, w_full, stride=2, padding=1)) < NAIVE_TOL


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


@pytest.mark.parametrize("forward, backward", [(F.conv2d_forward, F.conv2d_backward),
                                               (F.conv2d_forward_naive, F.conv2d_backward_naive)])
@pytest.mark.parametrize("x_shape, w_shape, hyper", [
    ((2, 3, 5, 5), (4, 3, 3, 3), {}),
    ((1, 4, 6, 5), (4, 2, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2}),
])
def test_conv2d_gradients(rng, forward, backward, x_shape, w_shape, hyper):
    inputs, hyper = _case(rng, x_shape, w_shape, **hyper)
    check_against_numeric(forward, backward, inputs, kwargs=hyper)


def test_conv_transpose2d_gradients(rng):
    inputs = {"x": rng.normal(size=(2, 4, 3, 3)), "w": rng.normal(size=(4, 1, 3, 2)), "b": rng.normal(size=2)}
    hyper = {"stride": 2, "padding": (1, 0), "output_padding": (1, 0), "groups": 2}
    check_against_numeric(F.conv_transpose2d_forward, F.conv_transpose2d_backward, inputs, kwargs=hyper)


def test_depthwise_separable_gradients(rng):
    inputs = {"x": rng.normal(size=(2, 2, 5, 4)), "w_depth": rng.normal(size=(4, 1, 3, 3)),
              "w_point": rng.normal(size=(3, 4, 1, 1)), "b_depth": rng.normal(size=4), "b_point": None}
    check_against_numeric(F.depthwise_separable_conv2d_forward, F.depthwise_separable_conv2d_backward,
                          inputs, differentiable=[True] * 5, kwargs={"stride": 1, "padding": 1})


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
@settings(max_examples=20, deadline=None)
@given(case=conv2d_cases(transposed=True))
def test_conv_transpose2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    inputs = {k: case.pop(k) for k in ("x", "w", "b")}
    check_against_torch(F.conv_transpose2d_forward, F.conv_transpose2d_backward,
                        torch.nn.functional.conv_transpose2d, inputs, differentiable=[True] * 3, kwargs=case)


@pytest.mark.torch
def test_depthwise_separable_matches_torch(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional

    def reference(x, w_depth, w_point, b_depth, b_point, *, stride, padding):
        return tf.conv2d(tf.conv2d(x, w_depth, b_depth, stride=stride, padding=padding, groups=x.shape[1]),
                         w_point, b_point)
    inputs = {"x": rng.normal(size=(2, 3, 7, 6)), "w_depth": rng.normal(size=(6, 1, 3, 2)),
              "w_point": rng.normal(size=(5, 6, 1, 1)), "b_depth": rng.normal(size=6), "b_point": rng.normal(size=5)}
    check_against_torch(F.depthwise_separable_conv2d_forward, F.depthwise_separable_conv2d_backward, reference,
                        inputs, kwargs={"stride": 2, "padding": 1})


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
    t32 = F.conv_transpose2d(x.astype(np.float32), w.transpose(1, 0, 2, 3).astype(np.float32), stride=2)
    assert t32.dtype == np.float32


def test_inputs_are_not_mutated(rng):
    x, w, b = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3)), rng.normal(size=2)
    copies = [a.copy() for a in (x, w, b)]
    for forward, backward in [(F.conv2d_forward, F.conv2d_backward),
                              (F.conv2d_forward_naive, F.conv2d_backward_naive),
                              (F.conv_transpose2d_forward, F.conv_transpose2d_backward)]:
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
    (lambda: F.conv2d_forward(X[0], W), ValueError, r"conv2d_forward: x must be 4-D .* got shape \(3, 5, 5\)"),
    (lambda: F.conv2d_forward(X, W[0]), ValueError, r"w must be 4-D"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, groups=3), ValueError, r"groups=3 does not divide"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 2, 2)), W), ValueError, r"kernel 3x3 .* larger than the padded input"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, padding=-1), ValueError, r"padding must be >= 0"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, stride=0), ValueError, r"stride must be positive"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, stride=1.5), TypeError, r"stride must be an int"),
    (lambda: F.conv2d_forward(np.zeros((1, 4, 5, 5)), W, np.zeros(4)), ValueError,
     r"b must have shape \(8,\) .* got \(4,\)"),
    (lambda: F.conv2d_forward_naive(X, W), ValueError, r"conv2d_forward_naive: x has 3 channels"),
    (lambda: F.conv2d(X, W), ValueError, r"x has 3 channels"),
    (lambda: F.conv_transpose2d_forward(np.zeros((1, 3, 4, 4)), np.zeros((4, 2, 3, 3))), ValueError,
     r"conv_transpose2d_forward: x has 3 channels but w expects 4"),
    (lambda: F.conv_transpose2d(np.zeros((1, 4, 4, 4)), np.zeros((4, 2, 3, 3)), stride=2, output_padding=2),
     ValueError, r"output_padding=\(2, 2\) must be smaller than stride"),
    (lambda: F.correlate1d(np.zeros(3), np.zeros(4)), ValueError, r"correlate1d: w must have 1 to len\(x\)=3"),
    (lambda: F.convolve1d(np.zeros(3), np.zeros(2), mode="circular"), ValueError, r"mode must be"),
    (lambda: F.convolve1d(np.zeros((3, 3)), np.zeros(2)), ValueError, r"convolve1d: x must be 1-D"),
    (lambda: F.conv_matrix(np.zeros((3, 3)), (1, 4, 4)), ValueError, r"conv_matrix: expected w \(kH, kW\)"),
    (lambda: F.separate_kernel(np.zeros(3)), ValueError, r"separate_kernel: w2d must be 2-D"),
    (lambda: F.spatially_separable_conv2d(X, np.zeros((3, 1)), np.zeros(3)), ValueError, r"w_col must be 1-D"),
    (lambda: F.depthwise_separable_conv2d(X, np.zeros((4, 1, 3, 3)), np.zeros((2, 4, 1, 1))), ValueError,
     r"w_depth must have shape \(C_in \* M, 1, kH, kW\) with C_in=3"),
    (lambda: F.depthwise_separable_conv2d(X, np.zeros((6, 1, 3, 3)), np.zeros((2, 3, 1, 1))), ValueError,
     r"w_point must have shape \(C_out, 6, 1, 1\)"),
    (lambda: F.conv2d(X.astype(complex), W), TypeError, r"x must be a real array"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
