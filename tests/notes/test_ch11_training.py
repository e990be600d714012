"""Tests for cnnlab/notes/ch11_training.py: the notes' initialisation experiment brackets the stable scale,
and the Xavier erratum states what the backward analysis really gives."""

import math

import numpy as np

from cnnlab.notes import ch11_training as ch11


def test_the_two_fixed_scales_shrink_and_grow_the_signal():
    exp = ch11.INIT_EXPERIMENT
    assert exp["layers"] > 1 and exp["width"] > 1 and exp["examples"] > 1
    gain = math.sqrt(exp["width"])                        # Var(s) = n Var(w) Var(x) for a linear unit
    assert gain * exp["small_std"] < 1 < gain * exp["large_std"]


def test_the_backward_signal_asks_for_one_over_fan_out_and_xavier_is_the_harmonic_mean():
    # The backward pass multiplies the gradient by W^T: its variance grows by n_out Var(w) per layer.
    rng = np.random.default_rng(0)
    n_in, n_out = 300, 100
    w = rng.normal(0.0, math.sqrt(1 / n_out), size=(n_out, n_in))   # Var(w) = 1/n_out
    delta = rng.standard_normal((2000, n_out))
    assert abs((delta @ w).var() - 1.0) < 0.05                        # the backward variance is kept
    xavier = 2 / (n_in + n_out)
    assert xavier != 1 / n_out and math.isclose(xavier, 2 / (1 / (1 / n_in) + 1 / (1 / n_out)))
    (erratum,) = ch11.ERRATA
    assert erratum.key == "erratum-xavier-backward" and erratum.chapter == "11_training"
    assert "1/n_out" in erratum.exact() and "2/(n_in + n_out)" in erratum.printed
