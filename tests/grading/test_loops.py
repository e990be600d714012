"""cnnlab.grading.loops: a vectorised convolution passes, loops over images or positions fail."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cnnlab.grading import Case, GradingError, check_vectorised
from cnnlab.grading.loops import count_python_events

pytestmark = pytest.mark.grading


def _pad(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def _size(n, k, stride, padding):
    return (n - k + 2 * padding) // stride + 1


def im2col(x, w, b, stride=1, padding=0):
    """The solution's way: loops over the kernel's rows and columns only."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = _size(h, kh, stride, padding), _size(wd, kw, stride, padding)
    xp = _pad(x, padding)
    cols = np.empty((n, c, kh, kw, ho, wo))
    for di in range(kh):
        for dj in range(kw):
            cols[:, :, di, dj] = xp[:, :, di:di + stride * ho:stride, dj:dj + stride * wo:stride]
    out = cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * ho * wo, -1) @ w.reshape(f, -1).T + b
    return out.reshape(n, ho, wo, f).transpose(0, 3, 1, 2)


def over_positions(x, w, b, stride=1, padding=0):
    """Vectorised over images and filters, but a loop over output positions."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = _size(h, kh, stride, padding), _size(wd, kw, stride, padding)
    xp, out = _pad(x, padding), np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw].reshape(n, -1)
            out[:, :, i, j] = window @ w.reshape(f, -1).T + b
    return out


def over_images(x, w, b, stride=1, padding=0):
    return np.concatenate([im2col(x[i:i + 1], w, b, stride, padding) for i in range(len(x))])


def _case(n, h):
    r = np.random.default_rng(h)
    return Case(f"{n} images of {h}x{h}", r.normal(size=(n, 3, h, h)), r.normal(size=(4, 3, 3, 3)),
                r.normal(size=4), stride=1, padding=1)


SMALL, LARGE, GROWTH = _case(1, 6), _case(4, 30), 4 * 30 * 30 / 36


def test_a_vectorised_function_runs_the_same_python_on_any_size():
    n_small, n_large = check_vectorised(im2col, SMALL, LARGE, growth=GROWTH)
    assert n_small == n_large


@pytest.mark.parametrize("fn", [over_positions, over_images])
def test_loops_over_positions_or_images_fail(fn):
    with pytest.raises(GradingError, match="not vectorised"):
        check_vectorised(fn, SMALL, LARGE, growth=GROWTH)


def test_switching_the_counter_off_fails():
    def unhook(x, w, b, stride=1, padding=0):
        sys.settrace(None)
        return im2col(x, w, b, stride, padding)
    with pytest.raises(GradingError, match="switched off"):
        count_python_events(unhook, SMALL)
