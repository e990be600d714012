"""cnnlab.data.scattered: digits pasted at random places on a larger canvas."""

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from sklearn.datasets import load_digits as sk_digits  # noqa: E402

from cnnlab.data import load_scattered_digits  # noqa: E402
from cnnlab.data.scattered import scatter  # noqa: E402


def test_scatter_pastes_each_image_whole_at_its_corner():
    rng = np.random.default_rng(0)
    images = rng.uniform(0.1, 1.0, size=(50, 8, 8)).astype(np.float32)   # no zero pixel inside
    out, corners = scatter(images, canvas=20, rng=np.random.default_rng(1))
    assert out.shape == (50, 20, 20) and out.dtype == np.float32
    for img, canvas_img, (r, c) in zip(images, out, corners):
        np.testing.assert_array_equal(canvas_img[r:r + 8, c:c + 8], img)
        assert np.count_nonzero(canvas_img) == 64             # nothing outside the pasted square
    assert corners.min() == 0 and corners.max() == 12          # every place is possible (20 - 8)


def test_loader_holds_the_digits_at_random_places():
    s = load_scattered_digits(canvas=24, normalize=False)
    assert s.x_train.shape == (1347, 1, 24, 24) and s.x_test.shape == (450, 1, 24, 24)
    assert s.y_train.dtype == torch.int64 and s.num_classes == 10
    # Each image contains one of scikit-learn's digits, unchanged, somewhere on the canvas.
    originals = {img.tobytes(): label for img, label in zip((sk_digits().images / 16.0).astype(np.float32),
                                                            sk_digits().target)}
    places = set()
    for x, y in zip(s.x_test[:60, 0].numpy(), s.y_test[:60].tolist()):
        rows, cols = np.nonzero(x)
        r, c = min(rows.min(), 24 - 8), min(cols.min(), 24 - 8)
        found = [(rr, cc) for rr in range(max(0, r - 7), r + 1) for cc in range(max(0, c - 7), c + 1)
                 if originals.get(x[rr:rr + 8, cc:cc + 8].tobytes()) == y
                 and np.count_nonzero(x) == np.count_nonzero(x[rr:rr + 8, cc:cc + 8])]
        assert found, "a scattered image does not contain its digit"
        places.add(found[0])
    assert len(places) > 30                                     # the places really vary


def test_seeded_normalised_and_flattened():
    a, b, c = (load_scattered_digits(canvas=16, seed=s) for s in (3, 3, 4))
    assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.x_train, c.x_train)
    assert abs(a.x_train.mean().item()) < 1e-4 and abs(a.x_train.std().item() - 1) < 1e-3
    assert load_scattered_digits(canvas=16, flatten=True).x_test.shape == (450, 256)
    plain = load_scattered_digits(canvas=8, normalize=False)
    from cnnlab.data import load_digits
    assert torch.equal(plain.x_train, load_digits(normalize=False).x_train)


@pytest.mark.parametrize("canvas, error", [(7, ValueError), (0, ValueError), (24.0, TypeError), (True, TypeError)])
def test_bad_canvas(canvas, error):
    with pytest.raises(error, match="load_scattered_digits: canvas"):
        load_scattered_digits(canvas=canvas)
