"""Tests for cnnlab/functional/_windows.py: the output-size formulas against torch."""

import pytest
from hypothesis import given, settings, strategies as st

from cnnlab.functional import _windows


@pytest.mark.torch
@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2),
       ceil_mode=st.booleans())
def test_out_size_is_torchs(n, k, s, p, d, ceil_mode):
    torch = pytest.importorskip("torch")
    if d * (k - 1) + 1 > n + 2 * p or 2 * p > k:
        return                                                   # torch refuses these too
    x = torch.zeros(1, 1, n, n)
    pooled = torch.nn.functional.max_pool2d(x, k, s, p, d, ceil_mode=ceil_mode)
    assert _windows.out_size(n, k, s, p, d, ceil_mode=ceil_mode) == pooled.shape[-1]
    if not ceil_mode:
        conv = torch.nn.functional.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
        assert _windows.out_size(n, k, s, p, d) == conv.shape[-1]


@pytest.mark.torch
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2),
       op=st.integers(0, 2))
def test_transposed_out_size_is_torchs(n, k, s, p, d, op):
    torch = pytest.importorskip("torch")
    size = _windows.transposed_out_size(n, k, s, p, d, op)
    if op >= max(s, d) or size < 1:
        return
    out = torch.nn.functional.conv_transpose2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s,
                                               padding=p, output_padding=op, dilation=d)
    assert size == out.shape[-1]
