"""Tests for cnnlab/worked.py: the names released assignment A2 imports are the notes package's."""

from cnnlab import worked
from cnnlab.notes import ch06_backprop


def test_worked_re_exports_the_backprop_example_unchanged():
    for name in worked.__all__:
        assert getattr(worked, name) is getattr(ch06_backprop, name)
