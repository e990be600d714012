"""Chapter 3, softmax and losses: the notes' softmax against plain normalisation.

Notes "activations and CNN history", softmax slides: the four log scores [2, 4, 2, 1], their argmax,
their plain normalisation x / sum(x) and their softmax, printed to four decimals (all correct).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab.functional.activations import softmax

__all__ = ["SOFTMAX_SCORES", "NOTES_NORMALISED", "NOTES_SOFTMAX", "SoftmaxExample", "softmax_example", "ERRATA"]

SOFTMAX_SCORES = np.array([2.0, 4.0, 2.0, 1.0])
NOTES_NORMALISED = np.array([0.2222, 0.4444, 0.2222, 0.1111])   # printed, 4 decimals
NOTES_SOFTMAX = np.array([0.1025, 0.7573, 0.1025, 0.0377])      # printed, 4 decimals


class SoftmaxExample(NamedTuple):
    """argmax (one-hot of the largest score), plain normalisation x / sum(x), softmax e^x / sum(e^x)."""

    argmax: np.ndarray
    normalised: np.ndarray
    softmax: np.ndarray


def softmax_example(scores: np.ndarray = SOFTMAX_SCORES) -> SoftmaxExample:
    """The notes' four log scores: argmax, plain normalisation and softmax. scores: (K,)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"softmax_example: scores must be a non-empty (K,) array, got shape {scores.shape}")
    return SoftmaxExample(np.eye(scores.size)[np.argmax(scores)], scores / scores.sum(), softmax(scores))


ERRATA = ()
