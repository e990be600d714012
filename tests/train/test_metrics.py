"""cnnlab/train/metrics.py: topk_correct and topk_error, hand cases from the notes' fruit example, and bad input."""

import math

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.train import topk_correct, topk_error  # noqa: E402

FRUIT = ["apple", "orange", "cherry", "strawberry", "plum", "cake"]


def scores(ranking):
    """Logits (K,) that rank the named classes first to last (higher = better)."""
    s = torch.full((len(FRUIT),), -10.0)
    for r, name in enumerate(ranking):
        s[FRUIT.index(name)] = float(len(ranking) - r)
    return s


def test_notes_fruit_example():
    # Truth: strawberry. Left: ranked 4th (top-5 hit, top-1 miss). Right: not in the top 5 at all.
    logits = torch.stack([scores(["apple", "orange", "cherry", "strawberry", "plum"]),
                          scores(["apple", "orange", "cherry", "plum", "cake"])])
    target = torch.tensor([FRUIT.index("strawberry")] * 2)
    assert topk_correct(logits, target, 5).tolist() == [True, False]
    assert topk_error(logits, target, 5) == pytest.approx(0.5)
    assert topk_error(logits, target, 1) == pytest.approx(1.0)


def test_top1_hit_and_second_place():
    logits = torch.stack([scores(["strawberry", "apple", "orange", "cherry", "plum"]),
                          scores(["apple", "strawberry", "cherry", "plum", "cake"])])
    target = torch.tensor([FRUIT.index("strawberry")] * 2)
    assert topk_error(logits, target, 1) == pytest.approx(0.5)
    assert topk_error(logits, target, 2) == 0.0


def test_top1_is_one_minus_accuracy_and_topK_is_zero():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 7, generator=g)
    target = torch.randint(0, 7, (50,), generator=g)
    acc = (logits.argmax(1) == target).float().mean().item()
    assert topk_error(logits, target, 1) == pytest.approx(1 - acc)
    assert topk_error(logits, target, 7) == 0.0
    errors = [topk_error(logits, target, k) for k in range(1, 8)]
    assert all(a >= b for a, b in zip(errors, errors[1:]))          # never rises with k


@pytest.mark.parametrize("k", [0, 4, 1.5, True])
def test_bad_k(k):
    with pytest.raises(ValueError, match="k="):
        topk_error(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), k)


def test_bad_shapes_and_dtypes():
    with pytest.raises(ValueError, match="logits"):
        topk_error(torch.zeros(6), torch.zeros(6, dtype=torch.long))
    with pytest.raises(ValueError, match="targets"):
        topk_error(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(TypeError, match="targets"):
        topk_error(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="empty"):
        topk_error(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    assert not math.isnan(topk_error(torch.zeros(1, 3), torch.zeros(1, dtype=torch.long)))


@pytest.mark.parametrize("fn", [topk_correct, topk_error])
def test_errors_name_the_function_called(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=f"^{name}: logits must be a \\(N, K\\) tensor"):
        fn(torch.zeros(6), torch.zeros(6, dtype=torch.long))
    with pytest.raises(TypeError, match=f"^{name}: targets must hold integer class indices"):
        fn(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match=f"^{name}: k=4 must be an int in \\[1, K=3\\]"):
        fn(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), 4)
