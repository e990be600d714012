"""Tests for cnnlab/notes/ch08_pooling.py: the notes' 6x6 map under 2x2 max pooling."""

import numpy as np

from cnnlab.functional.pooling import max_pool2d_backward, max_pool2d_forward
from cnnlab.notes import ch08_pooling as ch08


def test_maxpool_6x6_matches_the_notes():
    np.testing.assert_array_equal(ch08.maxpool_example(), ch08.NOTES_MAXPOOL)
    windows = ch08.MAXPOOL_X.reshape(3, 2, 3, 2).max(axis=(1, 3))          # independent: reshape and max
    np.testing.assert_array_equal(ch08.maxpool_example(), windows)


def test_maxpool_gradient_goes_to_each_window_maximum():
    out, cache = max_pool2d_forward(ch08.MAXPOOL_X[None, None], kernel_size=2, stride=2)
    dx = max_pool2d_backward(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), cache)[0, 0]
    # each window's gradient goes to its maximum only (ties: the first in row-major order)
    assert np.count_nonzero(dx) == 9 and dx.sum() == 45
    assert dx[0, 0] == 1 and dx[1, 2] == 2 and dx[2, 1] == 4 and dx[4, 1] == 7 and dx[4, 4] == 9
