"""Chapter 13, autoencoders: what the notes say a linear autoencoder computes.

Notes 003, "Autoencoders": "Works as PCA for linear layers and squared loss" (Bourlard and Kamp
1988). A linear autoencoder trained to the minimum of the squared error reaches PCA's reconstruction
error and spans the subspace of the top-k principal directions, but its weights are those directions
only up to an invertible mixing: W' A and A^-1 W reconstruct exactly as well as W' and W.
"""

from __future__ import annotations

import numpy as np

from .errata import Erratum

__all__ = ["NOTES_AE_PCA", "mixed_pca_autoencoder", "ERRATA"]

NOTES_AE_PCA = "Works as PCA for linear layers and squared loss"


def mixed_pca_autoencoder(x: np.ndarray, k: int, mixing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An optimal linear autoencoder of the centred data x (N, D) whose weights are not PCA's.

    Returns (encoder W (k, D), decoder W' (D, k)) = (A^-1 V_k^T, V_k A), V_k the top-k principal
    directions (D, k) and A = ``mixing`` (k, k, invertible): the reconstruction x W^T W'^T is the
    projection onto the principal subspace, PCA's optimum, whatever A is.
    """
    if x.ndim != 2 or not 0 < k <= min(x.shape):
        raise ValueError(f"mixed_pca_autoencoder: x must be (N, D) and 0 < k <= min(N, D), got {x.shape}, k={k}")
    if mixing.shape != (k, k):
        raise ValueError(f"mixed_pca_autoencoder: mixing must be ({k}, {k}), got {mixing.shape}")
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    v = vt[:k].T                                          # (D, k)
    return np.linalg.solve(mixing, v.T), v @ mixing


ERRATA = (
    Erratum("erratum-ae-pca", "13_autoencoders", "notes 003, Autoencoders",
            "what a linear autoencoder learns", f"\"{NOTES_AE_PCA}\"",
            lambda: ("it reaches PCA's reconstruction error and spans the top-k principal subspace, but its "
                     "weights are the principal directions only up to an invertible mixing (W'A, A⁻¹W)")),
)
