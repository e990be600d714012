"""cnnlab/models/resnet.py: ResNet-18..152 (torchvision's counts), plain twins, small variants."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.models import (BasicBlock, Bottleneck, plain18, plain34, resnet, resnet18, resnet34,  # noqa: E402
                           resnet50, resnet101, resnet152, small_plain18, small_resnet18)
from helpers.models import n_params, one_torch_thread, overfit_one_batch  # noqa: E402,F401


@pytest.mark.parametrize("factory, count", [
    (resnet18, 11_689_512), (resnet34, 21_797_672), (resnet50, 25_557_032), (resnet101, 44_549_160),
    (resnet152, 60_192_808)])
def test_parameter_counts_match_torchvision(factory, count):
    with torch.device("meta"):
        assert n_params(factory()) == count


def test_plain_twins_lack_only_the_projection_shortcuts():
    # the three 1x1 projections (conv + batch norm) of ResNet-18/34: 8,448 + 33,280 + 132,096
    with torch.device("meta"):
        assert n_params(plain18()) == 11_689_512 - 173_824 == 11_515_688
        assert n_params(plain34()) == 21_797_672 - 173_824
        assert n_params(resnet(50, skip=False)) < 25_557_032
        assert all(b.downsample is None for b in plain18().modules() if isinstance(b, BasicBlock))


def test_block_is_identity_plus_residual():
    torch.manual_seed(0)
    block = BasicBlock(4, 4).eval()
    plain = BasicBlock(4, 4, skip=False).eval()
    plain.load_state_dict(block.state_dict())
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        residual = plain.bn2(plain.conv2(plain.relu(plain.bn1(plain.conv1(x)))))
        assert torch.allclose(block(x), torch.relu(residual + x))
        assert torch.allclose(plain(x), torch.relu(residual))


def test_bottleneck_expands_four_times_and_downsamples():
    with torch.device("meta"):
        model = resnet50()
        assert isinstance(model.layer1[0], Bottleneck) and model.layer4[-1].conv3.out_channels == 2048
        x = torch.empty(1, 3, 224, 224)
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        assert x.shape == (1, 64, 56, 56)
        assert model.layer2(model.layer1(x)).shape == (1, 512, 28, 28)


def test_zero_init_residual_makes_blocks_start_as_identity():
    model = resnet(18, zero_init_residual=True, small=True, width=4, num_classes=2)
    assert all(b.bn2.weight.abs().sum() == 0 for layer in (model.layer1, model.layer4) for b in layer)


def test_small_variants():
    assert 500_000 < n_params(small_resnet18()) < 1_000_000
    assert n_params(small_plain18()) < n_params(small_resnet18())
    assert small_resnet18().maxpool is None and small_resnet18().conv1.kernel_size == (3, 3)


def test_small_resnet18_overfits_one_batch():
    torch.manual_seed(0)
    x, y = torch.randn(8, 1, 16, 16), torch.arange(8)
    first, last = overfit_one_batch(small_resnet18(in_channels=1, width=8), x, y, steps=50)
    assert first > 2.0 and last < 0.05


def test_one_conv3x3_helper_serves_resnet_and_vgg():
    import importlib

    # (cnnlab.models.resnet is also the factory function, so the modules are fetched by name)
    conv, resnet_module, vgg_module = (importlib.import_module(f"cnnlab.models.{m}") for m in ("_conv", "resnet", "vgg"))

    assert resnet_module.conv3x3 is conv.conv3x3 is vgg_module.conv3x3
    c = conv.conv3x3(4, 8, stride=2)
    assert (c.kernel_size, c.stride, c.padding, c.bias) == ((3, 3), (2, 2), (1, 1), None)
    assert conv.conv3x3(4, 8, bias=True).bias.shape == (8,)


def test_blocks_name_their_widths():
    from cnnlab.models import Bottleneck

    block = Bottleneck(256, 64, stride=2)
    assert (block.conv1.out_channels, block.conv2.stride, block.conv3.out_channels) == (64, (2, 2), 256)
    assert block.bn3.num_features == 64 * Bottleneck.expansion
