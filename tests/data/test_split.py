"""cnnlab.data.split: Split, its seeded DataLoaders, the stratified split and standardisation."""

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.data.split import Split, make_loaders, standardise, train_test_split  # noqa: E402


def _split(n_train=10, n_test=4):
    g = torch.Generator().manual_seed(0)
    return Split(torch.randn(n_train, 3, generator=g), torch.arange(n_train) % 3,
                 torch.randn(n_test, 3, generator=g), torch.arange(n_test) % 2)


def test_num_classes_and_loaders():
    s = _split()
    assert s.num_classes == 3
    train, test = s.loaders(4, seed=1)
    order = torch.cat([y for _, y in train])
    assert [len(y) for _, y in train] == [4, 4, 2] and [len(y) for _, y in test] == [4]
    assert torch.equal(order, torch.cat([y for _, y in make_loaders(s, 4, seed=1)[0]]))  # seeded
    assert sorted(order.tolist()) == sorted(s.y_train.tolist())                             # a permutation
    unshuffled = torch.cat([x for x, _ in s.loaders(4, shuffle=False)[0]])
    assert torch.equal(unshuffled, s.x_train)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_loaders_bad_batch_size(bad):
    with pytest.raises(ValueError, match="make_loaders: batch_size must be a positive int"):
        make_loaders(_split(), bad)


def test_train_test_split_is_stratified_and_seeded():
    x, y = np.arange(40).reshape(20, 2), np.repeat([0, 1], [15, 5])
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, seed=0)
    assert np.bincount(yte).tolist() == [3, 1] and np.bincount(ytr).tolist() == [12, 4]
    assert np.array_equal(xte, train_test_split(x, y, test_size=0.2, seed=0)[1])
    with pytest.raises(ValueError, match="test_size must be in"):
        train_test_split(x, y, test_size=0.0, seed=0)


def test_standardise_uses_training_statistics():
    a = torch.tensor([[1.0, 10.0], [3.0, 30.0]])
    b = torch.tensor([[2.0, 20.0]])
    sa, sb = standardise(a, b, (0,))
    std = a.std(dim=0)                                  # unbiased, like torch's default
    assert torch.allclose(sa, (a - a.mean(0)) / std) and torch.allclose(sb, (b - a.mean(0)) / std)
    assert torch.allclose(sb, torch.zeros(1, 2))
