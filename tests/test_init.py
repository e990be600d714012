"""Tests for cnnlab/init.py."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import init

LINEAR, CONV, GROUPED = (300, 500), (64, 32, 3, 3), (64, 8, 5, 5)   # grouped: C_in / G = 8
BIG = (256, 128, 3, 3)            # 294,912 draws: the empirical std is within ~0.3% of the true one


# --- fans ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, fans", [(LINEAR, (500, 300)), (CONV, (32 * 9, 64 * 9)),
                                         (GROUPED, (8 * 25, 64 * 25)), ((10, 3, 7), (21, 70))])
def test_fan_in_and_fan_out_by_hand(shape, fans):
    assert init.fan_in_and_fan_out(shape) == fans


@pytest.mark.torch
@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=5).map(tuple))
def test_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    assert init.fan_in_and_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


# --- empirical std of large draws against the formula ----------------------------------------

def _fan_in(shape):
    return init.fan_in_and_fan_out(shape)[0]


def _fan_sum(shape):
    return sum(init.fan_in_and_fan_out(shape))


STD = {   # name -> (call, std formula)
    "normal": (lambda s, r: init.normal(s, rng=r, mean=0.0, std=0.05), lambda s: 0.05),
    "xavier_normal": (lambda s, r: init.xavier_normal(s, rng=r, gain=2.0), lambda s: 2.0 * math.sqrt(2 / _fan_sum(s))),
    "xavier_uniform": (lambda s, r: init.xavier_uniform(s, rng=r), lambda s: math.sqrt(2 / _fan_sum(s))),
    "he_normal": (lambda s, r: init.he_normal(s, rng=r), lambda s: math.sqrt(2 / _fan_in(s))),
    "he_normal_fan_out": (lambda s, r: init.he_normal(s, rng=r, mode="fan_out"),
                          lambda s: math.sqrt(2 / init.fan_in_and_fan_out(s)[1])),
    "he_uniform": (lambda s, r: init.he_uniform(s, rng=r), lambda s: math.sqrt(2 / _fan_in(s))),
    "lecun_normal": (lambda s, r: init.lecun_normal(s, rng=r), lambda s: math.sqrt(1 / _fan_in(s))),
    "uniform": (lambda s, r: init.uniform(s, rng=r, low=-3.0, high=3.0), lambda s: 3.0 / math.sqrt(3)),
}


@pytest.mark.parametrize("name", list(STD))
def test_empirical_std_of_a_large_draw_matches_the_formula(name, rng):
    call, formula = STD[name]
    w = call(BIG, rng)
    assert w.shape == BIG and w.dtype == np.float64
    assert abs(w.std() / formula(BIG) - 1) < 0.02
    assert abs(w.mean()) < 0.02 * formula(BIG)


@pytest.mark.parametrize("name, bound", [
    ("xavier_uniform", math.sqrt(6 / (500 + 300))),
    ("he_uniform", math.sqrt(6 / 500)),
    ("uniform", 1.0),
])
def test_uniform_initialisers_stay_within_their_bounds(name, bound, rng):
    w = {"xavier_uniform": lambda: init.xavier_uniform(LINEAR, rng=rng),
         "he_uniform": lambda: init.he_uniform(LINEAR, rng=rng),
         "uniform": lambda: init.uniform(LINEAR, rng=rng, low=-1.0, high=1.0)}[name]()
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound           # and they use the whole interval


def test_he_uniform_with_a_sqrt5_is_torchs_default_linear_init(rng):
    """torch's nn.Linear draws kaiming_uniform(a=sqrt(5)): bound = 1 / sqrt(fan_in)."""
    w = init.he_uniform(LINEAR, rng=rng, a=math.sqrt(5))
    assert np.abs(w).max() <= 1 / math.sqrt(500) < np.abs(w).max() / 0.99


@pytest.mark.torch
@pytest.mark.parametrize("name, kw, torch_name, torch_kw", [
    ("xavier_uniform", {"gain": 1.5}, "xavier_uniform_", {"gain": 1.5}),
    ("xavier_normal", {}, "xavier_normal_", {}),
    ("he_uniform", {"mode": "fan_out"}, "kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("he_uniform", {"a": math.sqrt(5)}, "kaiming_uniform_", {"a": math.sqrt(5)}),
    ("he_normal", {}, "kaiming_normal_", {"nonlinearity": "relu"}),
], ids=["xavier_uniform", "xavier_normal", "he_uniform", "he_uniform_a_sqrt5", "he_normal"])
def test_same_spread_as_torch_init(name, kw, torch_name, torch_kw, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mine = getattr(init, name)(GROUPED, rng=rng, **kw)
    torchs = getattr(torch.nn.init, torch_name)(torch.empty(GROUPED, dtype=torch.float64), **torch_kw).numpy()
    assert abs(mine.std() / torchs.std() - 1) < 0.03         # 12,800 draws each
    if "uniform" in name:                                     # both reach (nearly) the same bound
        assert abs(np.abs(mine).max() / np.abs(torchs).max() - 1) < 0.01


# --- plain initialisers, dtype, reproducibility ----------------------------------------------

def test_zeros_and_constant():
    np.testing.assert_array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(init.constant((4,), 0.5), np.full(4, 0.5))
    assert init.zeros(3).shape == (3,)
    assert init.constant((2, 2), 1, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("name", ["normal", "uniform", "xavier_uniform", "xavier_normal", "he_uniform",
                                  "he_normal", "lecun_normal"])
def test_same_seed_same_weights_and_dtype_keyword(name):
    func = getattr(init, name)
    a = func(CONV, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, func(CONV, rng=np.random.default_rng(1)))
    w32 = func(CONV, rng=np.random.default_rng(1), dtype=np.float32)
    assert w32.dtype == np.float32
    np.testing.assert_allclose(w32, a, rtol=1e-6, atol=1e-7)


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["normal", "uniform", "xavier_uniform", "xavier_normal", "he_uniform",
                                  "he_normal", "lecun_normal"])
def test_rng_must_be_a_generator(name):
    with pytest.raises(TypeError, match=rf"{name}: rng must be a np.random.Generator, got int"):
        getattr(init, name)((3, 4), rng=0)


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_normal"])
def test_fan_based_initialisers_need_two_dimensions(name):
    with pytest.raises(ValueError, match=r"fan_in_and_fan_out: shape=\(5,\) needs at least 2 dimensions"):
        getattr(init, name)((5,), rng=np.random.default_rng(0))


def test_bad_mode_shape_std_and_bounds():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"he_normal: mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.he_normal((3, 4), rng=rng, mode="fan_avg")
    with pytest.raises(ValueError, match=r"he_uniform: mode must be 'fan_in' or 'fan_out', got 'in'"):
        init.he_uniform((3, 4), rng=rng, mode="in")
    with pytest.raises(ValueError, match=r"zeros: shape\[1\] must be >= 0, got -1"):
        init.zeros((3, -1))
    with pytest.raises(TypeError, match=r"constant: shape\[0\] must be an int, got float 2.5"):
        init.constant((2.5,), 1.0)
    with pytest.raises(ValueError, match=r"normal: std must be >= 0, got -1.0"):
        init.normal((2,), rng=rng, std=-1.0)
    with pytest.raises(ValueError, match=r"uniform: low=1.0 must not exceed high=0.0"):
        init.uniform((2,), rng=rng, low=1.0, high=0.0)


@pytest.mark.parametrize("call, error, message", [
    (lambda rng: init.normal((2,), rng=rng, std="1"), TypeError, r"^normal: std must be a number, got str '1'$"),
    (lambda rng: init.uniform((2,), rng=rng, low=None), TypeError, r"^uniform: low must be a number, got NoneType"),
    (lambda rng: init.xavier_uniform((2, 3), rng=rng, gain=[1.0]), TypeError, r"^xavier_uniform: gain must be a number"),
    (lambda rng: init.he_normal((2, 3), rng=rng, a="0"), TypeError, r"^he_normal: a must be a number"),
    (lambda rng: init.constant((2,), "1"), TypeError, r"^constant: value must be a number"),
    (lambda rng: init.zeros((2, True)), TypeError, r"^zeros: shape\[1\] must be an int, got bool True$"),
])
def test_wrong_types_are_type_errors(call, error, message, rng):
    with pytest.raises(error, match=message):
        call(rng)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_normal"])
def test_a_zero_element_weight_is_returned_empty_as_in_torch(name, rng):
    torch = pytest.importorskip("torch")
    torch_init = {"xavier_uniform": torch.nn.init.xavier_uniform_, "xavier_normal": torch.nn.init.xavier_normal_,
                  "he_uniform": torch.nn.init.kaiming_uniform_, "he_normal": torch.nn.init.kaiming_normal_,
                  "lecun_normal": torch.nn.init.kaiming_normal_}[name]
    with warnings.catch_warnings():             # kaiming: "Initializing zero-element tensors is a no-op"
        warnings.simplefilter("ignore", UserWarning)
        expected = torch_init(torch.empty(0, 3))
    assert getattr(init, name)((0, 3), rng=rng).shape == tuple(expected.shape) == (0, 3)
