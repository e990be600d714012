"""cnnlab/models/allconv.py: the all-convolutional net (strided convolutions instead of pooling)."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.models import allconvnet, small_allconvnet, summary  # noqa: E402
from helpers.models import n_params, one_torch_thread, overfit_one_batch  # noqa: E402,F401


def test_all_cnn_c_layout():
    model = allconvnet()
    assert n_params(model) == 1_369_738
    assert not any(isinstance(m, (torch.nn.MaxPool2d, torch.nn.AvgPool2d, torch.nn.Linear)) for m in model.modules())
    s = summary(model, (3, 32, 32))
    sides = [r.output_shape[-1] for r in s.rows_of_type("Conv2d")]
    assert sides == [32, 32, 16, 16, 16, 8, 6, 6, 6]   # the stride-2 convolutions halve the maps
    assert s.rows[-1].output_shape == (1, 10)


def test_small_allconvnet_overfits_one_batch():
    torch.manual_seed(0)
    x, y = torch.randn(8, 1, 16, 16), torch.arange(8)
    first, last = overfit_one_batch(small_allconvnet(in_channels=1), x, y, steps=50, lr=3e-3)
    assert first > 2.0 and last < 0.05
