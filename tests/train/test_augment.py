"""Augmentation on tensors: shapes, exact properties, seeding, and bad input."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.train import (Augment, center_crop, horizontal_flip, pca_color_augment,  # noqa: E402
                          pca_color_eigen, random_crop, random_horizontal_flip, ten_crop,
                          ten_crop_predict)


def images(n=4, c=3, h=10, w=12, seed=0):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed))


def test_flip_twice_is_identity_and_mirrors():
    x = images()
    assert torch.equal(horizontal_flip(horizontal_flip(x)), x)
    assert torch.equal(horizontal_flip(x)[..., 0], x[..., -1])
    assert torch.equal(random_horizontal_flip(x, p=0.0), x)
    assert torch.equal(random_horizontal_flip(x, p=1.0), x.flip(-1))


def test_random_flip_is_per_image_and_seeded():
    x = images(n=64)
    out = random_horizontal_flip(x, generator=torch.Generator().manual_seed(1))
    flipped = [torch.equal(o, xi.flip(-1)) for o, xi in zip(out, x)]
    assert all(f or torch.equal(o, xi) for f, o, xi in zip(flipped, out, x))
    assert 10 < sum(flipped) < 54
    again = random_horizontal_flip(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out, again)


def test_random_crop_shapes_content_and_seed():
    x = images()
    out = random_crop(x, 8, padding=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == (4, 3, 8, 8)
    assert random_crop(x[0], (5, 7)).shape == (3, 5, 7)
    assert torch.equal(random_crop(x, (10, 12)), x)                   # the only possible crop
    # Every crop without padding is a window of its own image.
    out = random_crop(x, 6, generator=torch.Generator().manual_seed(3))
    for o, xi in zip(out, x):
        windows = xi.unfold(1, 6, 1).unfold(2, 6, 1)                  # (C, 5, 7, 6, 6)
        assert any(torch.equal(o, windows[:, i, j]) for i in range(5) for j in range(7))
    a = random_crop(x, 8, padding=4, generator=torch.Generator().manual_seed(9))
    b = random_crop(x, 8, padding=4, generator=torch.Generator().manual_seed(9))
    assert torch.equal(a, b)


def test_ten_crop_constant_image_and_layout():
    x = torch.full((2, 3, 9, 9), 0.25)
    crops = ten_crop(x, 5)
    assert crops.shape == (2, 10, 3, 5, 5)
    assert torch.equal(crops, torch.full_like(crops, 0.25))
    y = images(n=1, h=6, w=6)
    crops = ten_crop(y, 4)
    assert torch.equal(crops[0, 0], y[0, :, :4, :4])                  # top-left
    assert torch.equal(crops[0, 3], y[0, :, 2:, 2:])                  # bottom-right
    assert torch.equal(crops[0, 4], center_crop(y, 4)[0])
    assert torch.equal(crops[0, 5:], crops[0, :5].flip(-1))          # mirrors of the first five


def test_ten_crop_predict_averages_softmax():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 5))
    x = images(n=2, h=6, w=6)
    probs = ten_crop_predict(model, x, 4)
    assert probs.shape == (2, 5)
    assert torch.allclose(probs.sum(1), torch.ones(2))
    manual = torch.stack([model(c).softmax(1) for c in ten_crop(x, 4).unbind(1)]).mean(0)
    assert torch.allclose(probs, manual)


def test_pca_alpha_zero_is_identity_and_shift_is_along_eigvecs():
    x = images(n=3).double()
    vals, vecs = pca_color_eigen(x)
    assert torch.equal(pca_color_augment(x, eigvals=vals, eigvecs=vecs, alpha=torch.zeros(3, 3)), x)
    # The covariance is reproduced by its eigen-decomposition.
    pixels = x.transpose(0, 1).reshape(3, -1)
    assert torch.allclose(vecs @ torch.diag(vals) @ vecs.T, torch.cov(pixels))
    # alpha = e_i shifts every pixel of the image by lambda_i * p_i.
    alpha = torch.tensor([[0.0, 0.0, 1.0]] * 3, dtype=torch.float64)
    out = pca_color_augment(x, eigvals=vals, eigvecs=vecs, alpha=alpha)
    shift = out - x
    assert torch.allclose(shift[:, :, 0, 0], (vals[2] * vecs[:, 2]).expand(3, 3))
    assert torch.allclose(shift, shift[:, :, :1, :1].expand_as(shift))


def test_pca_random_is_seeded_and_small():
    x = images(n=8)
    a = pca_color_augment(x, generator=torch.Generator().manual_seed(0))
    b = pca_color_augment(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == x.shape and not torch.equal(a, x)
    assert (a - x).abs().max() < 0.1                                  # eigvals of [0,1] pixels are < 0.1


def test_augment_pipeline_and_bad_input():
    aug = Augment(crop=8, padding=2, flip=True, pca=pca_color_eigen(images()), seed=4)
    assert aug(images()).shape == (4, 3, 8, 8)
    assert "crop=8" in repr(aug)
    with pytest.raises(ValueError, match="x must be"):
        random_crop(torch.zeros(5, 5), 3)
    with pytest.raises(ValueError, match="size"):
        random_crop(images(), 0)
    with pytest.raises(ValueError, match="larger"):
        random_crop(images(), 20)
    with pytest.raises(ValueError, match="padding"):
        random_crop(images(), 4, padding=-1)
    with pytest.raises(ValueError, match="3 \\(RGB\\) channels"):
        pca_color_augment(images(c=1))
    with pytest.raises(ValueError, match="alpha"):
        pca_color_augment(images(), alpha=torch.zeros(2))
    with pytest.raises(ValueError, match="larger"):
        ten_crop(images(), 11)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        random_horizontal_flip([1, 2])
    with pytest.raises(ValueError, match="p must be"):
        random_horizontal_flip(images(), p=2.0)


def test_evaluate_with_ten_crop():
    from torch.utils.data import DataLoader, TensorDataset

    from cnnlab.train import evaluate

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 5))
    x, y = images(n=6, h=6, w=6), torch.arange(6) % 5
    res = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=4), device="cpu", ten_crop=4)
    probs = ten_crop_predict(model, x, 4)
    assert res["loss"] == pytest.approx(-probs[torch.arange(6), y].log().mean().item(), rel=1e-6)
    assert res["accuracy"] == pytest.approx((probs.argmax(1) == y).float().mean().item())
