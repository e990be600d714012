"""Chapter 11, training: the notes' weight-initialisation experiment.

Notes 003, "Gaussian initialization", "Xavier initialization", "He initialization": an MLP of ten
tanh layers of 500 units fed with N(0, 1) inputs, weights from N(0, sigma^2) with sigma = 0.01 and
sigma = 1, then Xavier (tanh; "does not work for ReLU") and He (ReLU). The number of examples is the
book's choice.
"""

from __future__ import annotations

from .errata import Erratum

__all__ = ["INIT_EXPERIMENT", "NOTES_XAVIER_BACKWARD", "ERRATA"]

# layers, units per layer, examples (the book's choice), and the two weight standard deviations.
INIT_EXPERIMENT = {"layers": 10, "width": 500, "examples": 500, "small_std": 0.01, "large_std": 1.0}

# Notes 003, "Xavier initialization": what they say the backward analysis gives.
NOTES_XAVIER_BACKWARD = "Similar analysis for the backpropagated signal: Var(w) = 2/(n_in + n_out)"


def _xavier_backward() -> str:
    return ("the backward analysis asks for Var(w) = 1/n_out; 2/(n_in + n_out), the harmonic mean of "
            "1/n_in and 1/n_out, is Glorot and Bengio's compromise between the forward and backward conditions")


ERRATA = (
    Erratum("erratum-xavier-backward", "11_training", "notes 003, Xavier initialization",
            "what the analysis of the backpropagated signal gives", NOTES_XAVIER_BACKWARD, _xavier_backward),
)
