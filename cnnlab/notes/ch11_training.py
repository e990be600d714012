"""Chapter 11, training: the notes' weight-initialisation experiment.

Notes 003, "Gaussian initialization", "Xavier initialization", "He initialization": an MLP of ten
tanh layers of 500 units fed with N(0, 1) inputs, weights from N(0, sigma^2) with sigma = 0.01 and
sigma = 1, then Xavier (tanh; "does not work for ReLU") and He (ReLU). The number of examples is the
book's choice.
"""

from __future__ import annotations

__all__ = ["INIT_EXPERIMENT", "ERRATA"]

# layers, units per layer, examples (the book's choice), and the two weight standard deviations.
INIT_EXPERIMENT = {"layers": 10, "width": 500, "examples": 1000, "small_std": 0.01, "large_std": 1.0}

ERRATA = ()
