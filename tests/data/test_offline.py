"""cnnlab.data.offline: the scikit-learn datasets (shapes, seeding, stratification, upsampling)."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

import cnnlab.data as data  # noqa: E402  (the package re-exports every loader)


def test_digits_shapes_normalisation_and_split():
    s = data.load_digits(size=32)
    assert s.x_train.shape == (1347, 1, 32, 32) and s.x_test.shape == (450, 1, 32, 32)
    assert s.x_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    assert abs(s.x_train.mean().item()) < 1e-4 and abs(s.x_train.std().item() - 1) < 1e-3
    assert s.num_classes == 10
    # Stratified: each class's share of the test set matches its share of the whole set (+-1 image).
    counts_test = torch.bincount(s.y_test, minlength=10)
    counts_all = counts_test + torch.bincount(s.y_train, minlength=10)
    assert ((counts_test - counts_all * 0.25).abs() <= 1).all()
    flat = data.load_digits(flatten=True, normalize=False)
    assert flat.x_train.shape == (1347, 64) and 0 <= flat.x_train.min() and flat.x_train.max() <= 1
    assert data.load_digits(size=28).x_test.shape == (450, 1, 28, 28)


def test_digits_seeded():
    a, b, c = data.load_digits(seed=3), data.load_digits(seed=3), data.load_digits(seed=4)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_test, c.y_test)


def test_upsampling_is_bilinear():
    raw = data.load_digits(normalize=False)
    up = data.load_digits(size=32, normalize=False)
    expected = torch.nn.functional.interpolate(raw.x_train[:5], size=(32, 32), mode="bilinear",
                                               align_corners=False)
    assert torch.allclose(up.x_train[:5], expected)


def test_loaders_and_iris():
    s = data.load_iris()
    assert s.x_train.shape == (105, 4) and s.x_test.shape == (45, 4) and s.num_classes == 3
    train, test = s.loaders(16, seed=0)
    x, y = next(iter(train))
    assert x.shape == (16, 4) and y.shape == (16,)
    first = [yb.tolist() for _, yb in s.loaders(16, seed=0)[0]]
    assert first == [yb.tolist() for _, yb in s.loaders(16, seed=0)[0]]  # seeded shuffling
    assert sum(len(yb) for _, yb in test) == 45
    with pytest.raises(ValueError, match="batch_size"):
        s.loaders(0)
    with pytest.raises(ValueError, match="size"):
        data.load_digits(size=4)
    with pytest.raises(ValueError, match="test_size"):
        data.load_digits(test_size=1.5)


def test_sample_images():
    x, names = data.load_sample_images()
    assert names == ["china.jpg", "flower.jpg"]
    assert x.shape == (2, 3, 427, 640) and 0 <= x.min() and x.max() <= 1
    small, _ = data.load_sample_images(size=(32, 48))
    assert small.shape == (2, 3, 32, 48)
