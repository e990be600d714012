"""Tests for cnnlab/notes/ch13_autoencoders.py: a mixed basis reconstructs exactly as well as PCA."""

import numpy as np
import pytest

from cnnlab.notes import ch13_autoencoders as ch13


def test_a_mixed_linear_autoencoder_reaches_pca_error_with_weights_that_are_not_the_directions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 10)) @ rng.normal(size=(10, 10))
    x -= x.mean(axis=0)
    k = 3
    w, w_dec = ch13.mixed_pca_autoencoder(x, k, rng.normal(size=(k, k)))
    s = np.linalg.svd(x, compute_uv=False)
    error = ((x - x @ w.T @ w_dec.T) ** 2).sum()
    assert error == pytest.approx((s[k:] ** 2).sum(), rel=1e-9)       # PCA's optimum: the discarded variance
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    cosines = np.abs(vt[:k] @ (w_dec / np.linalg.norm(w_dec, axis=0)))
    assert cosines.max(axis=0).max() < 0.999                           # no column is a principal direction


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="mixed_pca_autoencoder: mixing must be"):
        ch13.mixed_pca_autoencoder(np.zeros((5, 4)), 2, np.eye(3))
    with pytest.raises(ValueError, match="mixed_pca_autoencoder: x must be"):
        ch13.mixed_pca_autoencoder(np.zeros(5), 2, np.eye(2))


def test_the_erratum_names_the_notes_claim():
    (erratum,) = ch13.ERRATA
    assert ch13.NOTES_AE_PCA in erratum.printed and "subspace" in erratum.exact()
