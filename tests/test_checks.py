"""Tests for cnnlab/_checks.py: one rule (TypeError for a wrong type, ValueError for a wrong value),
one wording, and the same rule seen through the public functions that use it."""

import numpy as np
import pytest

from cnnlab import _checks, arithmetic, init, layers
from cnnlab import functional as F


def test_real_array_keeps_floats_and_promotes_ints():
    x32 = np.ones(3, np.float32)
    assert _checks.real_array("f", "x", x32) is x32
    assert _checks.real_array("f", "x", [1, 2]).dtype == np.float64
    assert _checks.real_array("f", "x", [True]).dtype == np.float64
    assert _checks.real_array("f", "w", [1.0], dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: _checks.real_array("f", "x", np.ones(2, complex)), TypeError, r"^f: x must be a real array, got dtype complex128$"),
    (lambda: _checks.real_array("f", "x", ["a"]), TypeError, r"^f: x must be a real array, got dtype <U1$"),
    (lambda: _checks.real_array("f", "x", np.ones(3), ndim=4, layout="(N, C, H, W)"), ValueError,
     r"^f: x must be 4-D \(N, C, H, W\), got x.shape=\(3,\)$"),
    (lambda: _checks.real_array("f", "x", np.ones(3), ndim=(2, 3)), ValueError, r"^f: x must be 2-D or 3-D, got x.shape=\(3,\)$"),
    (lambda: _checks.check_dout("f_backward", np.ones((1, 3)), (2, 3)), ValueError,
     r"^f_backward: dout.shape=\(1, 3\) but the forward output had shape \(2, 3\)$"),
    (lambda: _checks.integer("f", "groups", 1.0), TypeError, r"^f: groups must be an int, got float 1.0$"),
    (lambda: _checks.integer("f", "groups", True), TypeError, r"^f: groups must be an int, got bool True$"),
    (lambda: _checks.integer("f", "groups", 0, minimum=1), ValueError, r"^f: groups must be >= 1, got 0$"),
    (lambda: _checks.int_pair("f", "stride", 1.5, minimum=1), TypeError, r"^f: stride must be an int or a pair of ints, got 1.5$"),
    (lambda: _checks.int_pair("f", "stride", "2", minimum=1), TypeError, r"^f: stride must be an int or a pair of ints, got '2'$"),
    (lambda: _checks.int_pair("f", "stride", None, minimum=1), TypeError, r"^f: stride must be an int or a pair"),
    (lambda: _checks.int_pair("f", "stride", (1, 2.0), minimum=1), TypeError, r"^f: stride must be an int or a pair"),
    (lambda: _checks.int_pair("f", "stride", (1, 2, 3), minimum=1), ValueError, r"^f: stride must be an int or a pair of ints, got \(1, 2, 3\)$"),
    (lambda: _checks.int_pair("f", "padding", (0, -1), minimum=0), ValueError, r"^f: padding must be >= 0, got \(0, -1\)$"),
    (lambda: _checks.number("f", "p", "0.5"), TypeError, r"^f: p must be a number, got str '0.5'$"),
    (lambda: _checks.generator("f", 0), TypeError, r"^f: rng must be a np.random.Generator, got int \(pass rng=np.random.default_rng\(seed\)\)$"),
    (lambda: _checks.generator("f", np.random.RandomState(0), optional=True), TypeError, r"^f: rng must be a np.random.Generator or None, got RandomState"),
    (lambda: _checks.choice("f", "reduction", "none", ("mean", "sum")), ValueError, r"^f: reduction must be 'mean' or 'sum', got 'none'$"),
    (lambda: _checks.choice("f", "mode", 3, ("valid",)), ValueError, r"^f: mode must be 'valid', got 3$"),
    (lambda: _checks.axis("f", 2, np.ones((2, 2))), ValueError, r"^f: axis=2 is out of range for x.shape=\(2, 2\)$"),
    (lambda: _checks.axis("f", 0.0, np.ones((2, 2))), TypeError, r"^f: axis must be an int"),
])
def test_wrong_type_is_type_error_wrong_value_is_value_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_good_values_pass_through():
    assert _checks.int_pair("f", "k", np.int64(3), minimum=1) == (3, 3)
    assert _checks.int_pair("f", "k", [2, 3], minimum=1) == (2, 3)
    assert _checks.integer("f", "n", np.int32(4)) == 4 and type(_checks.integer("f", "n", np.int32(4))) is int
    assert _checks.generator("f", None, optional=True) is None
    assert _checks.axis("f", -1, np.ones((2, 3))) == 1


X, W = np.zeros((1, 4, 5, 5)), np.zeros((8, 4, 3, 3))


@pytest.mark.parametrize("call", [
    lambda v: F.conv2d(X, W, stride=v), lambda v: F.conv2d(X, W, dilation=v),  # padding may be a string
    lambda v: F.conv_transpose2d(X, W.transpose(1, 0, 2, 3), padding=v),
    lambda v: F.conv2d(X, W[:, :1], groups=v), lambda v: F.conv_transpose2d(X, W.transpose(1, 0, 2, 3), stride=v),
    lambda v: F.max_pool2d(X, kernel_size=v), lambda v: F.avg_pool2d(X, kernel_size=2, stride=v),
    lambda v: F.l2_pool2d(X, kernel_size=2, padding=v), lambda v: F.maxout(np.zeros((2, 4)), num_pieces=v),
    lambda v: F.spatially_separable_conv2d(X, np.ones(3), np.ones(3), stride=v),
    lambda v: arithmetic.conv_output_size(7, 3, stride=v), lambda v: arithmetic.conv_params(3, 4, v),
    lambda v: layers.Conv2d(3, 4, v, rng=np.random.default_rng(0)),
    lambda v: layers.Linear(v, 2, rng=np.random.default_rng(0)),
], ids=lambda c: "")
@pytest.mark.parametrize("bad", [1.5, "2"])
def test_a_non_integer_hyper_parameter_is_a_type_error_everywhere(call, bad):
    with pytest.raises(TypeError, match=r"^\w+: \w+ must be an int"):
        call(bad)


@pytest.mark.parametrize("call", [
    lambda: F.dropout(np.ones(3), p=0.5, rng=1), lambda: init.normal((2,), rng=1),
    lambda: layers.Dropout(0.5, rng=1), lambda: layers.Linear(2, 2, rng=np.random.RandomState(0)),
])
def test_a_bad_rng_is_a_type_error_everywhere(call):
    with pytest.raises(TypeError, match=r"^\w+: rng must be a np.random.Generator"):
        call()


def test_a_string_padding_other_than_valid_or_same_is_a_value_error():
    with pytest.raises(ValueError, match=r"^conv2d_forward: padding must be 'valid' or 'same', got '2'$"):
        F.conv2d(X, W, padding="2")
