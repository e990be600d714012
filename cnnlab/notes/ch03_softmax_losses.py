"""Chapter 3, softmax and losses: the notes' softmax against plain normalisation.

Notes "activations and CNN history", softmax slides: the four log scores [2, 4, 2, 1], their argmax,
their plain normalisation x / sum(x) and their softmax, printed to four decimals (all correct).

Two slips of the notes, as errata: the softmax's denominator printed as a sum up to j = i instead
of over all K classes (taken literally, the notes' scores would not give a distribution), and the
"Cross Entropy" J = y* log y + (1 - y*) log(1 - y) printed without its minus sign.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab.functional.activations import softmax
from cnnlab.notes.errata import Erratum

__all__ = ["SOFTMAX_SCORES", "NOTES_NORMALISED", "NOTES_SOFTMAX", "SoftmaxExample", "softmax_example",
           "softmax_sum_to_i", "notes_cross_entropy", "ERRATA"]

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


def softmax_sum_to_i(scores: np.ndarray = SOFTMAX_SCORES) -> np.ndarray:
    """The notes' formula taken literally: S(y_i) = e^{y_i} / sum_{j=1}^{i} e^{y_j}. scores: (K,).

    Only the last entry has the full denominator; the entries do not sum to 1.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"softmax_sum_to_i: scores must be a non-empty (K,) array, got shape {scores.shape}")
    e = np.exp(scores - scores.max())                     # the common factor cancels in every ratio
    return e / np.cumsum(e)


def notes_cross_entropy(y: float, y_star: float) -> float:
    """The notes' J = y* log y + (1 - y*) log(1 - y): the negative of the binary cross-entropy."""
    if not 0 < y < 1:
        raise ValueError(f"notes_cross_entropy: y must be in (0, 1), got {y!r}")
    return float(y_star * np.log(y) + (1 - y_star) * np.log(1 - y))


def _vec(v: np.ndarray) -> str:
    return "(" + ", ".join(f"{x:.4f}" for x in v) + ")"


def _sum_limit() -> str:
    literal = softmax_sum_to_i()
    return (f"sum over all K classes, j = 1..K; with the upper limit i the scores (2, 4, 2, 1) would give "
            f"{_vec(literal)}, summing to {literal.sum():.4f}, not 1")


def _ce_sign() -> str:
    return (f"cross-entropy J = -[y* log y + (1 - y*) log(1 - y)]; the printed J is its negative, the "
            f"log-likelihood (y* = 1, y = 0.9: printed J = {notes_cross_entropy(0.9, 1.0):.4f}, "
            f"cross-entropy {-notes_cross_entropy(0.9, 1.0):.4f})")


ERRATA = (
    Erratum("erratum-softmax-sum-limit", "03_softmax_losses", "notes 001, \"Softmax\" slides",
            "the softmax's denominator", "S(y_i) = e^{y_i} / Σ_{j=1}^{i} e^{y_j}", _sum_limit),
    Erratum("erratum-cross-entropy-sign", "03_softmax_losses", "notes 000, \"Forward Backward\" slide",
            "the cross-entropy", "Cross Entropy J = y* log(y) + (1 − y*) log(1 − y)", _ce_sign),
)
