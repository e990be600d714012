"""Tests for cnnlab/functional/separable.py: spatially and depthwise separable convolutions."""

import numpy as np
import pytest

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error
from helpers.tolerances import NAIVE_TOL
from helpers.ops import check_against_numeric, check_against_torch


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


def test_depthwise_separable_gradients(rng):
    inputs = {"x": rng.normal(size=(2, 2, 5, 4)), "w_depth": rng.normal(size=(4, 1, 3, 3)),
              "w_point": rng.normal(size=(3, 4, 1, 1)), "b_depth": rng.normal(size=4), "b_point": None}
    check_against_numeric(F.depthwise_separable_conv2d_forward, F.depthwise_separable_conv2d_backward,
                          inputs, differentiable=[True] * 5, kwargs={"stride": 1, "padding": 1})


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


# --------------------------------------------------------------------------- bad input

X = np.zeros((2, 3, 5, 5))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.separate_kernel(np.zeros(3)), ValueError, r"separate_kernel: w2d must be 2-D"),
    (lambda: F.spatially_separable_conv2d(X, np.zeros((3, 1)), np.zeros(3)), ValueError, r"w_col must be 1-D"),
    (lambda: F.depthwise_separable_conv2d(X, np.zeros((4, 1, 3, 3)), np.zeros((2, 4, 1, 1))), ValueError,
     r"w_depth must have shape \(C_in \* M, 1, kH, kW\) with C_in=3"),
    (lambda: F.depthwise_separable_conv2d(X, np.zeros((6, 1, 3, 3)), np.zeros((2, 3, 1, 1))), ValueError,
     r"w_point must have shape \(C_out, 6, 1, 1\)"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
