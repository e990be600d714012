"""Chapter 4, multilayer perceptrons: the notes' running example and their one slip.

Notes "perceptron and backpropagation", slides "Two-layer Multi-layer Perceptron (MLP)" to "N-layer
MLP + Softmax": four input features, three classes (one-hot y = (1, 0, 0)), softmax regression
g = w x^T + b^T, then a hidden sigmoid layer. The two-layer slide feeds the input x, not the hidden
layer a_1, to the output layer; the n-layer slide has it right.
"""

from __future__ import annotations

import numpy as np

from cnnlab.functional.activations import sigmoid, softmax
from .errata import Erratum

__all__ = ["N_FEATURES", "N_CLASSES", "two_layer_forward", "ERRATA"]

N_FEATURES, N_CLASSES = 4, 3


def two_layer_forward(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
                      b2: np.ndarray) -> np.ndarray:
    """f = softmax(W2 a1 + b2) with a1 = sigmoid(W1 x + b1), for a batch of rows.

    x: (N, D), w1: (H, D), b1: (H,), w2: (K, H), b2: (K,). Returns f: (N, K). The notes' slide
    writes softmax(w2 x^T + b2^T), which is not defined unless H = D: this raises for it.
    """
    x, w1, w2 = np.asarray(x, dtype=np.float64), np.asarray(w1, dtype=np.float64), np.asarray(w2, dtype=np.float64)
    if x.ndim != 2 or w1.ndim != 2 or w2.ndim != 2 or w1.shape[1] != x.shape[1] or w2.shape[1] != w1.shape[0]:
        raise ValueError(f"two_layer_forward: need x (N, D), w1 (H, D), w2 (K, H); got x {x.shape}, "
                         f"w1 {w1.shape}, w2 {w2.shape}")
    a1 = sigmoid(x @ w1.T + b1)
    return softmax(a1 @ w2.T + b2)


ERRATA = (
    Erratum("erratum-mlp-two-layer-input", "04_mlp", "notes 000, slide \"Two-layer MLP + Softmax\"",
            "the output layer's input", "f = softmax(w[2] xᵀ + b[2]ᵀ)",
            lambda: "f = softmax(w[2] a1ᵀ + b[2]ᵀ): the output layer reads the hidden layer a1, not x"),
)
