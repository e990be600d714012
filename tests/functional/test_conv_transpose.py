"""Tests for cnnlab/functional/conv_transpose.py: gradients, torch parity, dtypes, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error
from helpers.strategies import conv2d_cases
from helpers.ops import check_against_numeric, check_against_torch


def test_conv_transpose2d_gradients(rng):
    inputs = {"x": rng.normal(size=(2, 4, 3, 3)), "w": rng.normal(size=(4, 1, 3, 2)), "b": rng.normal(size=2)}
    hyper = {"stride": 2, "padding": (1, 0), "output_padding": (1, 0), "groups": 2}
    check_against_numeric(F.conv_transpose2d_forward, F.conv_transpose2d_backward, inputs, kwargs=hyper)



@pytest.mark.torch
@settings(max_examples=20, deadline=None)
@given(case=conv2d_cases(transposed=True))
def test_conv_transpose2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    inputs = {k: case.pop(k) for k in ("x", "w", "b")}
    check_against_torch(F.conv_transpose2d_forward, F.conv_transpose2d_backward,
                        torch.nn.functional.conv_transpose2d, inputs, differentiable=[True] * 3, kwargs=case)


@pytest.mark.torch
@pytest.mark.parametrize("x_shape", [(0, 3, 4, 3), (3, 4, 3)], ids=["empty batch", "unbatched"])
def test_empty_batch_and_unbatched_input_as_torch(rng, x_shape):
    torch = pytest.importorskip("torch")
    inputs = {"x": rng.normal(size=x_shape), "w": rng.normal(size=(3, 2, 3, 2)), "b": rng.normal(size=2)}
    hyper = {"stride": 2, "padding": 1, "output_padding": 1}
    check_against_torch(F.conv_transpose2d_forward, F.conv_transpose2d_backward,
                        torch.nn.functional.conv_transpose2d, inputs, kwargs=hyper)
    out, cache = F.conv_transpose2d_forward(**inputs, **hyper)
    assert out.shape == x_shape[:-3] + (2, 8, 5)
    assert F.conv_transpose2d_backward(np.ones(out.shape), cache)[0].shape == x_shape


def test_float32_in_float32_out(rng):
    x, w, b = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=2)
    out, cache = F.conv_transpose2d_forward(*(a.astype(np.float32) for a in (x, w, b)), stride=2)
    grads = F.conv_transpose2d_backward(np.ones(out.shape, np.float32), cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


def test_inputs_are_not_mutated(rng):
    x, w, b = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3)), rng.normal(size=2)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = F.conv_transpose2d_forward(x, w, b, padding=1)
    dout = np.ones_like(out)
    F.conv_transpose2d_backward(dout, cache)
    assert all(np.array_equal(a, c) for a, c in zip((x, w, b), copies))
    assert np.all(dout == 1)


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv_transpose2d_forward(np.zeros((1, 3, 4, 4)), np.zeros((4, 2, 3, 3))), ValueError,
     r"conv_transpose2d_forward: x has 3 channels but w expects 4"),
    (lambda: F.conv_transpose2d(np.zeros((1, 4, 4, 4)), np.zeros((4, 2, 3, 3)), stride=2, output_padding=2),
     ValueError, r"output_padding=\(2, 2\) must be smaller than stride"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
