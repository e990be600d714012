"""Tests for cnnlab/notes/ch09_conv_backprop.py: the 3x3 / 2x2 derivation and the notes' dE/dX23 slip."""

import numpy as np
import pytest

from cnnlab.functional.conv import conv2d_backward, conv2d_forward
from cnnlab.notes import ch09_conv_backprop as ch09

EXACT = dict(rtol=1e-12, atol=1e-15)


def _symbols_example():
    x = np.array([[1.0, 2.0, -1.0], [0.5, 3.0, 2.0], [-2.0, 1.0, 4.0]])
    f = np.array([[1.0, -1.0], [2.0, 0.5]])
    dout = np.array([[0.1, -0.2], [0.3, 0.4]])
    return x, f, dout


def test_conv_backward_3x3_input_2x2_filter_written_out_formulas():
    x, f, d = _symbols_example()
    ex = ch09.conv_backward_example(x, f, d)
    X = lambda i, j: x[i - 1, j - 1]
    F = lambda i, j: f[i - 1, j - 1]
    O = lambda i, j: d[i - 1, j - 1]
    assert ex.out[0, 0] == pytest.approx(F(1, 1) * X(1, 1) + F(1, 2) * X(1, 2) + F(2, 1) * X(2, 1) + F(2, 2) * X(2, 2))
    for a in (1, 2):
        for b in (1, 2):
            expected = sum(O(i, j) * X(i + a - 1, j + b - 1) for i in (1, 2) for j in (1, 2))
            assert ex.dF[a - 1, b - 1] == pytest.approx(expected, rel=1e-14)
    assert ex.dX[1, 1] == pytest.approx(F(2, 2) * O(1, 1) + F(2, 1) * O(1, 2) + F(1, 2) * O(2, 1) + F(1, 1) * O(2, 2))
    assert ex.dX[0, 2] == pytest.approx(F(1, 2) * O(1, 2))
    assert ex.dX[1, 0] == pytest.approx(F(2, 1) * O(1, 1) + F(1, 1) * O(2, 1))
    assert ex.dX[1, 2] == pytest.approx(F(2, 2) * O(1, 2) + F(1, 2) * O(2, 2))
    assert ex.dX[2, 2] == pytest.approx(F(2, 2) * O(2, 2))


def test_the_notes_dx23_formula_is_wrong_unless_f11_equals_f12():
    x, f, d = _symbols_example()
    ex = ch09.conv_backward_example(x, f, d)
    assert ch09.notes_dx23(f, d) != pytest.approx(ex.dX[1, 2])
    same = np.array([[1.0, 1.0], [2.0, 0.5]])
    assert ch09.notes_dx23(same, d) == pytest.approx(ch09.conv_backward_example(x, same, d).dX[1, 2])
    (erratum,) = ch09.ERRATA
    assert erratum.exact() == "∂E/∂X23 = δO12·F22 + δO22·F12"
    assert erratum.printed.endswith("δO22·F11")


@pytest.mark.parametrize("shapes", [((3, 3), (2, 2)), ((5, 4), (3, 2))])
def test_conv_backward_convolutions_match_conv2d_backward(shapes, rng):
    """dF = X (valid-conv) dO and dX = full convolution of dO with the filter rotated 180 degrees."""
    (h, w), (kh, kw) = shapes
    x, f = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    d = rng.normal(size=(h - kh + 1, w - kw + 1))
    ex = ch09.conv_backward_example(x, f, d)
    out, cache = conv2d_forward(x[None, None], f[None, None])
    dx, dw, db = conv2d_backward(d[None, None], cache)
    np.testing.assert_allclose(ex.out, out[0, 0], **EXACT)
    np.testing.assert_allclose(ex.dF, dw[0, 0], **EXACT)
    np.testing.assert_allclose(ex.dX, dx[0, 0], **EXACT)
    assert db is None


def test_conv_backward_example_bad_input():
    with pytest.raises(ValueError, match=r"conv_backward_example: need x \(H, W\)"):
        ch09.conv_backward_example(np.ones((3, 3)), np.ones((2, 2)), np.ones((3, 3)))
