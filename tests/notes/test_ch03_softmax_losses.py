"""Tests for cnnlab/notes/ch03_softmax_losses.py: the notes' softmax example, computed and pinned."""

import numpy as np
import pytest

from cnnlab.notes import ch03_softmax_losses as ch03

EXACT = dict(rtol=1e-12, atol=1e-15)


def test_softmax_of_the_notes_scores_against_plain_normalisation():
    ex = ch03.softmax_example()
    np.testing.assert_array_equal(ex.argmax, [0, 1, 0, 0])
    np.testing.assert_allclose(ex.normalised, ch03.SOFTMAX_SCORES / 9, **EXACT)
    e = np.exp(ch03.SOFTMAX_SCORES)
    np.testing.assert_allclose(ex.softmax, e / e.sum(), **EXACT)
    np.testing.assert_allclose(ex.softmax, [0.10249119673793974, 0.7573132023431748, 0.10249119673793974,
                                            0.03770440418094562], **EXACT)
    assert ex.softmax[1] > ex.normalised[1]          # closer to the argmax


def test_the_notes_printed_values_are_the_exact_ones_rounded_to_4_decimals():
    ex = ch03.softmax_example()
    np.testing.assert_array_equal(np.round(ex.normalised, 4), ch03.NOTES_NORMALISED)
    np.testing.assert_array_equal(np.round(ex.softmax, 4), ch03.NOTES_SOFTMAX)


def test_softmax_example_bad_input():
    with pytest.raises(ValueError, match=r"softmax_example: scores must be a non-empty \(K,\) array"):
        ch03.softmax_example(np.ones((2, 2)))


def test_the_notes_sum_to_i_taken_literally_is_not_a_distribution():
    z = ch03.SOFTMAX_SCORES
    literal = ch03.softmax_sum_to_i()
    e = np.exp(z)                                             # oracle: the printed formula, term by term
    want = [e[0] / e[0], e[1] / (e[0] + e[1]), e[2] / (e[0] + e[1] + e[2]), e[3] / e.sum()]
    np.testing.assert_allclose(literal, want, **EXACT)
    assert literal[-1] == pytest.approx(ch03.softmax_example().softmax[-1], rel=1e-12)   # only the last is right
    assert literal.sum() > 1.5
    assert "summing to 2.0250" in ch03.ERRATA[0].exact()


def test_the_notes_cross_entropy_is_the_negative_log_likelihood():
    torch = pytest.importorskip("torch")
    for y, y_star in [(0.9, 1.0), (0.2, 0.0), (0.3, 1.0)]:
        bce = torch.nn.functional.binary_cross_entropy(torch.tensor(y, dtype=torch.float64),
                                                       torch.tensor(y_star, dtype=torch.float64)).item()
        assert ch03.notes_cross_entropy(y, y_star) == pytest.approx(-bce, rel=1e-12)
    assert "printed J = -0.1054, cross-entropy 0.1054" in ch03.ERRATA[1].exact()


def test_errata_helpers_bad_input():
    with pytest.raises(ValueError, match=r"softmax_sum_to_i: scores must be a non-empty \(K,\) array"):
        ch03.softmax_sum_to_i(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"notes_cross_entropy: y must be in \(0, 1\)"):
        ch03.notes_cross_entropy(1.0, 1.0)
