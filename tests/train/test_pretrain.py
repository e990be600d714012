"""cnnlab/train/pretrain.py: greedy layer-wise pretraining, then fine-tuning the stacked autoencoder."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from cnnlab.models import StackedAutoencoder  # noqa: E402
from cnnlab.train import pretrain_stacked_encoder  # noqa: E402
from helpers.models import fit_reconstruction, one_torch_thread  # noqa: E402,F401


def test_greedy_pretraining_then_fine_tuning():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(128, 16)
    encoder, history = pretrain_stacked_encoder(x, [12, 6], epochs=8, batch_size=32, generator=g)
    assert [m.out_features for m in encoder if isinstance(m, torch.nn.Linear)] == [12, 6]
    assert len(history) == 2 and all(h[-1] < h[0] for h in history)   # each shallow AE learned
    deep = StackedAutoencoder(encoder)
    assert deep.encoder is encoder and deep(x).shape == (128, 16)
    before = F.mse_loss(deep(x), x).item()
    assert fit_reconstruction(deep, x, steps=30, lr=3e-3) < before
    net = deep.classifier(3)
    assert net(x).shape == (128, 3) and net[0] is encoder            # pretrained weights initialise it
    denoising, _ = pretrain_stacked_encoder(x, [8], epochs=1, noise="gaussian", noise_level=0.1, generator=g)
    assert denoising[0].out_features == 8


def test_pretraining_is_seeded_by_its_generator():
    x = torch.rand(64, 10, generator=torch.Generator().manual_seed(3))
    runs = []
    for _ in range(2):
        torch.manual_seed(0)                                   # the same initial weights
        enc, hist = pretrain_stacked_encoder(x, [6], epochs=3, batch_size=16, noise="masking",
                                             generator=torch.Generator().manual_seed(1))
        runs.append((enc[0].weight.detach().clone(), hist))
    assert torch.equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]


def test_encoder_keeps_the_data_dtype_and_device():
    x = torch.rand(32, 5, dtype=torch.float64)
    enc, _ = pretrain_stacked_encoder(x, [3], epochs=1)
    assert all(p.dtype == torch.float64 and p.device == x.device for p in enc.parameters())


@pytest.mark.parametrize("kwargs, match", [
    (dict(x=torch.rand(4, 2, 2), hidden_sizes=[2]), r"x must be a \(N, D\) tensor"),
    (dict(x=torch.rand(4, 3), hidden_sizes=[]), "hidden_sizes must be positive ints"),
    (dict(x=torch.rand(4, 3), hidden_sizes=[0]), "hidden_sizes must be positive ints"),
    (dict(x=torch.rand(4, 3), hidden_sizes=[2], epochs=-1), "epochs must be an int >= 0"),
    (dict(x=torch.rand(4, 3), hidden_sizes=[2], batch_size=0), "batch_size must be an int >= 1"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match="pretrain_stacked_encoder: " + match):
        pretrain_stacked_encoder(kwargs.pop("x"), kwargs.pop("hidden_sizes"), **kwargs)
