"""Tests for cnnlab/notes/ch04_mlp.py: the two-layer MLP as it should read, against torch."""

import numpy as np
import pytest

from cnnlab.notes import ch04_mlp as ch04


def _params(rng, d=4, h=16, k=3):
    return rng.normal(size=(h, d)), rng.normal(size=h), rng.normal(size=(k, h)), rng.normal(size=k)


def test_two_layer_forward_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, ch04.N_FEATURES))
    w1, b1, w2, b2 = _params(rng)
    t = [torch.tensor(a) for a in (x, w1, b1, w2, b2)]
    want = torch.softmax(torch.sigmoid(t[0] @ t[1].T + t[2]) @ t[3].T + t[4], dim=1).numpy()
    np.testing.assert_allclose(ch04.two_layer_forward(x, w1, b1, w2, b2), want, rtol=1e-12, atol=1e-15)


def test_the_notes_slide_feeding_x_to_the_output_layer_is_refused():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, ch04.N_FEATURES))
    w1, b1, w2, b2 = _params(rng)
    w2_reading_x = rng.normal(size=(ch04.N_CLASSES, ch04.N_FEATURES))     # (K, D): as if it read x
    with pytest.raises(ValueError, match=r"two_layer_forward: .*w2 \(3, 4\)"):
        ch04.two_layer_forward(x, w1, b1, w2_reading_x, b2)


def test_erratum_is_registered_for_the_chapter():
    (e,) = ch04.ERRATA
    assert e.chapter == "04_mlp" and "a1" in e.exact() and e.exact() != e.printed
