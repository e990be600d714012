"""Tests for cnnlab/functional/correlation.py: 1-D correlation and convolution, the convolution matrix."""

import numpy as np
import pytest

from cnnlab import functional as F


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


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, error, message", [
    (lambda: F.correlate1d(np.zeros(3), np.zeros(4)), ValueError, r"correlate1d: w must have 1 to len\(x\)=3"),
    (lambda: F.convolve1d(np.zeros(3), np.zeros(2), mode="circular"), ValueError, r"mode must be"),
    (lambda: F.convolve1d(np.zeros((3, 3)), np.zeros(2)), ValueError, r"convolve1d: x must be 1-D"),
    (lambda: F.conv_matrix(np.zeros((3, 3)), (1, 4, 4)), ValueError, r"conv_matrix: expected w \(kH, kW\)"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
