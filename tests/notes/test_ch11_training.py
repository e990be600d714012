"""Tests for cnnlab/notes/ch11_training.py: the notes' initialisation experiment brackets the stable scale."""

import math

from cnnlab.notes import ch11_training as ch11


def test_the_two_fixed_scales_shrink_and_grow_the_signal():
    exp = ch11.INIT_EXPERIMENT
    assert exp["layers"] > 1 and exp["width"] > 1 and exp["examples"] > 1
    gain = math.sqrt(exp["width"])                        # Var(s) = n Var(w) Var(x) for a linear unit
    assert gain * exp["small_std"] < 1 < gain * exp["large_std"]
    assert ch11.ERRATA == ()
