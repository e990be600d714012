"""Tests for cnnlab/functional/_im2col.py: the grid geometry, im2col/col2im as adjoints, chunking,
and that no call's result shares memory with another call's (or is written by it)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import functional as F
from cnnlab.functional import _im2col
from cnnlab.functional._windows import out_size
from cnnlab.gradcheck import rel_error
from helpers.strategies import conv2d_cases
from helpers.tolerances import NAIVE_TOL


def test_grid_of_the_target_shape():
    # 28x28 padded by 1: one 30x30 plane; tap (u, v) is shifted by u * 30 + v.
    grid = _im2col.conv_grid((28, 28), (28, 28), (3, 3), (1, 1), (1, 1), (1, 1))
    assert grid.plane_hw == (30, 30)
    assert grid.taps == tuple((0, 30 * u + v) for u in range(3) for v in range(3))
    assert grid.span(2) == 2 * 900 - 62


def test_stride_2_taps_come_from_the_four_phases():
    # 7x7, stride 2, no padding: planes of 4x4; tap (u, v) reads phase (u % 2, v % 2), moved (u // 2, v // 2).
    grid = _im2col.conv_grid((7, 7), (3, 3), (3, 3), (2, 2), (0, 0), (1, 1))
    assert grid.plane_hw == (4, 4)
    assert grid.taps[0] == (0, 0) and grid.taps[1] == (1, 0) and grid.taps[2] == (0, 1)
    assert grid.taps[4] == (3, 0) and grid.taps[8] == (0, 4 + 1)


@pytest.mark.parametrize("stride, padding, dilation", [((1, 1), (1, 0), (1, 1)), ((2, 3), (1, 2), (2, 1))])
def test_col2im_is_the_adjoint_of_im2col(rng, stride, padding, dilation):
    # <col2im(A), phases> == <A, im2col(phases)> for every A: col2im is im2col's transpose.
    x = rng.normal(size=(2, 3, 7, 8))
    kernel = (2, 3)
    out_hw = tuple(out_size(n, k, s, p, d) for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation))
    grid = _im2col.conv_grid(x.shape[2:], out_hw, kernel, stride, padding, dilation)
    planes = _im2col._Planes(grid, 3, 2, x.dtype)
    phases = planes.load(x).copy()
    span = grid.span(2)
    cols = _im2col.im2col(phases, grid, span, np.empty((3, 6, 2 * grid.plane)))
    a = rng.normal(size=cols.shape)
    back = _im2col.col2im(a, grid, span, np.empty_like(phases))
    assert rel_error(np.sum(back * phases), np.sum(a * cols)) < NAIVE_TOL


def _in_chunks_of(chunk, forward, backward, case):
    """(out, grads) computed with the batch split into chunks of ``chunk`` samples (None: the default)."""
    saved = _im2col._chunk_size
    if chunk is not None:
        _im2col._chunk_size = lambda *_: chunk
    try:
        out, cache = forward(**case)
        return out, backward(np.random.default_rng(2).normal(size=out.shape), cache)
    finally:
        _im2col._chunk_size = saved


@settings(max_examples=25, deadline=None)
@given(case=conv2d_cases(), transposed_case=conv2d_cases(transposed=True), chunk=st.integers(1, 3))
def test_chunks_of_any_size_give_the_same_result(case, transposed_case, chunk):
    # Chunks of 1, 2 or 3 samples out of 5 (the last chunk often shorter, its scratch partly stale
    # from the chunk before): the results must not change, for conv2d and conv_transpose2d.
    for forward, backward, kwargs in [(F.conv2d_forward, F.conv2d_backward, case),
                                      (F.conv_transpose2d_forward, F.conv_transpose2d_backward, transposed_case)]:
        kwargs["x"] = np.concatenate([kwargs["x"]] * 5)[:5]
        out, grads = _in_chunks_of(None, forward, backward, kwargs)
        out_c, grads_c = _in_chunks_of(chunk, forward, backward, kwargs)
        assert rel_error(out, out_c) < NAIVE_TOL
        for g, g_c in zip(grads, grads_c):
            assert (g is None and g_c is None) or rel_error(g, g_c) < NAIVE_TOL


def test_results_are_never_overwritten_by_a_later_call(rng):
    # Scratch buffers live for one call only: later calls (same shapes, other values) leave earlier
    # outputs and gradients alone, and nothing returned shares memory with an input or another result.
    x, w, b = rng.normal(size=(3, 2, 6, 6)), rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4)
    out, cache = F.conv2d_forward(x, w, b, padding=1)
    dout = rng.normal(size=out.shape)
    dx, dw, db = F.conv2d_backward(dout, cache)
    kept = [a.copy() for a in (out, dx, dw, db)]
    out_2, cache_2 = F.conv2d_forward(2 * x + 1, -w, b, padding=1)
    grads_2 = F.conv2d_backward(3 * dout, cache_2)
    F.conv2d_backward(-dout, cache)                              # the first cache, used again
    for a, k in zip((out, dx, dw, db), kept):
        np.testing.assert_array_equal(a, k)
    results = [out, dx, dw, db, out_2, *grads_2]
    for i, a in enumerate(results):
        assert not any(np.shares_memory(a, other) for other in results[i + 1:] + [x, w, b, dout])


def test_a_large_batch_in_float32_matches_float64(rng):
    # Several chunks of the default size (float32 at the benchmark's shape, smaller here).
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in ((20, 16, 28, 28), (32, 16, 3, 3), (32,)))
    out, cache = F.conv2d_forward(x, w, b, padding=1)
    dout = rng.normal(size=out.shape).astype(np.float32)
    out64, cache64 = F.conv2d_forward(x.astype(float), w.astype(float), b.astype(float), padding=1)
    assert out.dtype == np.float32 and rel_error(out, out64) < 1e-5
    for g, g64 in zip(F.conv2d_backward(dout, cache), F.conv2d_backward(dout.astype(float), cache64)):
        assert g.dtype == np.float32 and rel_error(g, g64) < 1e-5
