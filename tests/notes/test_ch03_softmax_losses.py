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
