"""cnnlab/models/googlenet.py: inception modules (the notes' operation counts) and GoogLeNet."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.models import Inception, InceptionNaive, googlenet, small_googlenet, summary  # noqa: E402
from cnnlab.models.googlenet import GOOGLENET_CFGS  # noqa: E402
from helpers.models import n_params, one_torch_thread, overfit_one_batch  # noqa: E402,F401


def test_naive_inception_matches_the_notes_example():
    # 28x28x256 input; 1x1 128, 3x3 192, 5x5 96 and a 3x3 pool: 28x28x(128+192+96+256) = 28x28x672
    with torch.device("meta"):
        s = summary(InceptionNaive(256, 128, 192, 96), (256, 28, 28))
    assert s.rows[-1].output_shape == (1, 256, 28, 28)      # the pool keeps all 256 channels
    assert InceptionNaive(256, 128, 192, 96)(torch.zeros(1, 256, 28, 28)).shape == (1, 672, 28, 28)
    expected = 28 * 28 * (128 * 1 * 1 * 256 + 192 * 3 * 3 * 256 + 96 * 5 * 5 * 256)
    assert s.total_macs == expected == 854_196_224                # the notes' "854M ops"


def test_inception_with_reductions_is_cheaper():
    # The notes' bottleneck example: 1x1 64 before the 3x3 and 5x5, 1x1 64 after the pool.
    with torch.device("meta"):
        s = summary(Inception(256, 128, 64, 192, 64, 96, 64), (256, 28, 28))
    expected = 28 * 28 * (64 * 256 + 64 * 256 + 128 * 256 + 192 * 9 * 64 + 96 * 25 * 64 + 64 * 256)
    # The notes print "353M ops" (cs231n: 358M) for these six terms, whose sum is 271M (the notes'
    # own 5x5 term reads "x 264", a typo for 64). We assert the exact sum.
    assert s.total_macs == expected == 271_351_808
    assert Inception(256, 128, 64, 192, 64, 96, 64).out_channels == 128 + 192 + 96 + 64


def test_googlenet_widths_and_parameters():
    with torch.device("meta"):
        model = googlenet()
        s = summary(model, (3, 224, 224))
        assert n_params(googlenet(aux_logits=True)) > n_params(model)
    # the paper's 22-layer net: about 7M parameters ("only 5 million" in the notes, "12x less than AlexNet")
    assert n_params(model) == 6_998_552
    assert round(62_378_344 / n_params(model)) == 9
    assert model.inception3a.out_channels == 256 and model.inception5b.out_channels == 1024
    assert s["inception4e.branch4.1.conv"].output_shape == (1, 128, 14, 14)
    assert s["avgpool"].output_shape == (1, 1024, 1, 1)


# The shapes written in GoogLeNet.forward's comments (224 x 224 input), block by block.
PAPER_SHAPES = {"stem": (192, 28), "inception3a": (256, 28), "inception3b": (480, 28), "maxpool3": (480, 14),
                "inception4a": (512, 14), "inception4b": (512, 14), "inception4c": (512, 14),
                "inception4d": (528, 14), "inception4e": (832, 14), "maxpool4": (832, 7),
                "inception5a": (832, 7), "inception5b": (1024, 7)}


def test_blocks_are_named_attributes_with_the_papers_shapes():
    with torch.device("meta"):
        model = googlenet(aux_logits=True).eval()
    shapes = {}
    for name in PAPER_SHAPES:
        assert name in vars(model)["_modules"], f"{name} is not an attribute of GoogLeNet"
        getattr(model, name).register_forward_hook(lambda m, i, o, name=name: shapes.update({name: o.shape}))
    model(torch.zeros(1, 3, 224, 224, device="meta"))
    for name, (channels, side) in PAPER_SHAPES.items():
        assert tuple(shapes[name]) == (1, channels, side, side), name
    for name, widths in GOOGLENET_CFGS.items():                      # each block built from its row
        block = getattr(model, name)
        assert block.out_channels == widths[0] + widths[2] + widths[4] + widths[5]
        assert block.branch2[0].conv.out_channels == widths[1] and block.branch3[0].conv.out_channels == widths[3]
    # the auxiliary heads take the widths of the blocks they sit on, from the table
    assert model.aux1.conv.conv.in_channels == model.inception4a.out_channels == 512
    assert model.aux2.conv.conv.in_channels == model.inception4d.out_channels == 528


@pytest.mark.parametrize("divisor", [2, 4, 8])
def test_width_divisor_keeps_the_blocks_consistent(divisor):
    model = small_googlenet(width_divisor=divisor, aux_logits=True).train()
    out = model(torch.randn(2, 3, 16, 16))
    assert out.logits.shape == out.aux1.shape == out.aux2.shape == (2, 10)


@pytest.mark.slow
def test_small_googlenet_overfits_one_batch():
    torch.manual_seed(0)
    x, y = torch.randn(4, 1, 8, 8), torch.arange(4)
    first, last = overfit_one_batch(small_googlenet(in_channels=1, dropout=0.0), x, y, steps=40, lr=3e-3)
    assert first > 1.0 and last < 0.05
