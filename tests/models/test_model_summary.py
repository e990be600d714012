"""cnnlab/models/summary.py: per-layer shapes, parameters, activation memory and MACs."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from cnnlab.models import lenet5, summary  # noqa: E402
from cnnlab.models.summary import layer_macs  # noqa: E402
from helpers.models import one_torch_thread  # noqa: E402,F401


def test_conv_and_linear_macs_by_hand():
    # grouped conv: C_out * H' * W' * (C_in / G) * kH * kW
    conv = nn.Conv2d(8, 6, kernel_size=3, stride=2, padding=1, groups=2)
    x = torch.zeros(2, 8, 9, 9)
    assert layer_macs(conv, x, conv(x)) == 2 * 6 * 5 * 5 * (8 // 2) * 3 * 3
    fc = nn.Linear(7, 3)
    assert layer_macs(fc, torch.zeros(4, 7), fc(torch.zeros(4, 7))) == 4 * 7 * 3
    assert layer_macs(nn.ReLU(), x, x) == 0


def test_lenet5_table():
    s = summary(lenet5(), (1, 32, 32))
    assert [r.name for r in s.rows][:3] == ["c1", "act1", "s2"]
    assert s["c1"].output_shape == (1, 6, 28, 28) and s["c1"].params == 156
    assert s["c1"].macs == 6 * 28 * 28 * 25 and s["c1"].activations == 6 * 28 * 28
    assert s["c1"].activation_bytes == 4 * 6 * 28 * 28
    assert s.total_params == sum(r.params for r in s.rows) == 61_706
    assert s.total_macs == 6 * 784 * 25 + 16 * 100 * 150 + 120 * 400 + 120 * 84 + 84 * 10 == 416_520
    assert s["flatten"].shares_input and s["flatten"].activations == 0
    assert s.total_activation_bytes == 4 * s.total_activations


def test_batch_size_scales_activations_and_macs():
    one, four = summary(lenet5(), (1, 32, 32)), summary(lenet5(), (1, 32, 32), batch_size=4)
    assert four.total_activations == 4 * one.total_activations and four.total_macs == 4 * one.total_macs
    assert four.total_params == one.total_params and four.input_shape == (4, 1, 32, 32)
    assert summary(lenet5(), (4, 1, 32, 32)).total_macs == four.total_macs   # a 4-tuple includes the batch


def test_in_place_relu_is_shared_but_out_of_place_is_not():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True), nn.ReLU())
    s = summary(net, (1, 5, 5))
    assert [r.activations for r in s.rows] == [18, 0, 18]


def test_mode_is_restored_and_no_gradients_are_left():
    model = lenet5().train()
    summary(model, (1, 32, 32))
    assert model.training and all(p.grad is None for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())


def test_str_is_a_table_with_totals():
    text = str(summary(lenet5(), (1, 32, 32)))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["Layer", "Type", "Output"]
    assert "1x6x28x28" in text and "61,706" in text and "416,520" in text
    assert "Total params" in text and "MACs" in text and "MB" in text
    assert lines[-1] == "MACs: 416,520" and "(0.000 G)" not in text and "(0.06 M)" not in text


def test_str_writes_large_totals_in_m_and_g():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.Flatten(), nn.Linear(64 * 100 * 100, 10))
    lines = str(summary(model, (3, 100, 100))).splitlines()   # 6,400,010 + 1,792 params, 23,680,000 MACs
    assert lines[-1] == "MACs: 23,680,000 (23.68 M)"
    assert any(line.startswith("Total params: 6,401,802 (6.40 M),") for line in lines)


def test_meta_models_cost_nothing():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.Flatten(), nn.Linear(64 * 100 * 100, 10))
    s = summary(model, (3, 100, 100))
    assert s.total_macs == 64 * 100 * 100 * 27 + 640_000 * 10


def test_bad_input_size():
    with pytest.raises(ValueError, match="input_size must be positive ints without the batch"):
        summary(lenet5(), (1, 0, 32))
