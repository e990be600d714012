"""Shared fixtures and the one place tolerances live."""

import numpy as np
import pytest
from hypothesis import settings

# Hypothesis draws the same examples on every run, so a red test is reproducible and CI is stable.
settings.register_profile("cnnlab", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("cnnlab")

# Tolerances, in one place (STYLE.md). rel_error as defined in cnnlab.gradcheck.
GRAD_TOL = 1e-7        # float64 analytic gradient vs centred finite differences
TORCH_TOL = 1e-10      # float64 forward/backward parity with torch
NAIVE_TOL = 1e-12      # float64 naive loops vs vectorised
FLOAT32_TOL = 1e-5     # float32 results vs a float64 reference


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
