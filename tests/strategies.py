"""Hypothesis strategies shared by the tests. Add new ones here rather than in a test module."""

import numpy as np
from hypothesis import strategies as st


def arrays(shape, *, low=-3.0, high=3.0, seed_strategy=st.integers(0, 2**32 - 1)):
    """float64 arrays of a fixed shape with entries uniform in [low, high), drawn from a seed."""
    return seed_strategy.map(lambda s: np.random.default_rng(s).uniform(low, high, size=shape))
