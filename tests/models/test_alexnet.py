"""cnnlab/models/alexnet.py: AlexNet (with the notes' numbers), ZFNet, small_alexnet."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.models import alexnet, small_alexnet, summary, zfnet  # noqa: E402
from helpers.models import n_params, one_torch_thread, overfit_one_batch  # noqa: E402,F401


@pytest.fixture(scope="module")
def alexnet_summary():
    with torch.device("meta"):
        return summary(alexnet(), (3, 227, 227))


@pytest.mark.parametrize("groups, count", [(1, 62_378_344), (2, 60_965_224)])
def test_parameter_counts(groups, count):
    with torch.device("meta"):
        assert n_params(alexnet(groups=groups)) == count
        assert n_params(alexnet(groups=groups, lrn=True)) == count  # LRN has no parameters


def test_groups_split_conv2_conv4_conv5_only():
    with torch.device("meta"):
        model = alexnet(groups=2)
    assert [getattr(model.features, f"conv{i}").groups for i in range(1, 6)] == [1, 2, 1, 2, 2]


def test_notes_conv1_and_pool1(alexnet_summary):
    conv1, pool1 = alexnet_summary["features.conv1"], alexnet_summary["features.pool1"]
    assert conv1.output_shape == (1, 96, 55, 55)            # (227 - 11) / 4 + 1 = 55
    assert conv1.params == 11 * 11 * 3 * 96 + 96            # the notes' "(11*11*3)*96 = 35K" plus 96 biases
    assert round((conv1.params - 96) / 1e3) == 35
    assert pool1.output_shape == (1, 96, 27, 27) and pool1.params == 0   # (55 - 3) / 2 + 1 = 27


def test_notes_fully_connected_parameters(alexnet_summary):
    fc = [alexnet_summary[f"classifier.fc{i}"].params for i in (6, 7, 8)]
    assert fc == [9216 * 4096 + 4096, 4096 * 4096 + 4096, 4096 * 1000 + 1000]
    # the notes round: FC6 38M, FC7 17M, FC8 4M, "~59M params in FC layers", "AlexNet: ~62M parameters"
    assert [round(p / 1e6) for p in fc] == [38, 17, 4]
    assert round(sum(fc) / 1e6) == 59
    assert round(alexnet_summary.total_params / 1e6) == 62
    assert alexnet_summary["features.pool3"].output_shape == (1, 256, 6, 6)


def test_notes_neuron_count(alexnet_summary):
    # "650K neurons, 60 Mln weights": the outputs of the five convolutions and three FC layers
    neurons = sum(r.activations for r in alexnet_summary.rows_of_type("Conv2d", "Linear"))
    assert neurons == 290_400 + 186_624 + 64_896 + 64_896 + 43_264 + 4096 + 4096 + 1000 == 659_272
    assert round(neurons, -4) == 660_000     # the paper and the notes round down to 650K


def test_lrn_layers_sit_after_the_first_two_pools():
    with torch.device("meta"):
        names = [name for name, _ in alexnet(lrn=True).features.named_children()]
    assert names[:3] == ["conv1", "relu1", "pool1"] and names[3] == "norm1"
    assert names.index("norm2") == names.index("pool2") + 1


def test_zfnet_first_layer_and_map_sizes():
    with torch.device("meta"):
        s = summary(zfnet(), (3, 224, 224))
    assert s["features.conv1"].output_shape == (1, 96, 110, 110)   # 7x7 stride 2
    sides = [s[f"features.{n}"].output_shape[-1] for n in ("pool1", "conv2", "pool2", "conv5", "pool3")]
    assert sides == [55, 26, 13, 13, 6]


def test_small_alexnet_overfits_one_batch():
    torch.manual_seed(0)
    x, y = torch.randn(8, 1, 28, 28), torch.arange(8)
    first, last = overfit_one_batch(small_alexnet(in_channels=1, input_size=28, dropout=0.0), x, y, steps=50)
    assert first > 2.0 and last < 0.05
