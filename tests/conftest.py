"""Shared fixtures and the hypothesis profile. Tolerances live in tests/helpers/tolerances.py."""

import numpy as np
import pytest

try:
    from hypothesis import settings
except ImportError:      # a GPU machine may hold only torch, numpy and pytest (make test-gpu, tests/cuda/)
    settings = None
if settings is not None:
    # Hypothesis draws the same examples on every run, so a red test is reproducible and CI is stable.
    settings.register_profile("cnnlab", derandomize=True, deadline=None, print_blob=True)
    settings.load_profile("cnnlab")

@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``torch`` skip cleanly when torch is not installed, tests marked ``cuda`` when
    there is no CUDA GPU (``make test-gpu`` runs them where there is one)."""
    try:
        import torch
    except ImportError:
        torch = None
        skip = pytest.mark.skip(reason="torch is not installed (pip install 'cnnlab[torch]')")
        for item in items:
            if "torch" in item.keywords or item.get_closest_marker("cuda") is not None:
                item.add_marker(skip)
    if torch is not None and not torch.cuda.is_available():
        skip_cuda = pytest.mark.skip(reason="no CUDA GPU here (torch.cuda.is_available() is False)")
        for item in items:
            if item.get_closest_marker("cuda") is not None:   # a marker, not the tests/cuda folder's name
                item.add_marker(skip_cuda)
