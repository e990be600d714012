"""Shared fixtures and the hypothesis profile. Tolerances live in tests/helpers/tolerances.py."""

import numpy as np
import pytest
from hypothesis import settings

# Hypothesis draws the same examples on every run, so a red test is reproducible and CI is stable.
settings.register_profile("cnnlab", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("cnnlab")

@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``torch`` skip cleanly when torch is not installed."""
    try:
        import torch  # noqa: F401
    except ImportError:
        skip = pytest.mark.skip(reason="torch is not installed (pip install 'cnnlab[torch]')")
        for item in items:
            if "torch" in item.keywords:
                item.add_marker(skip)
