"""Tests for cnnlab/arithmetic.py: output sizes, receptive fields, parameter and MAC counts."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.arithmetic import (conv_macs, conv_output_size, conv_params, depthwise_separable_macs,
                               depthwise_separable_params, fully_connected_params, inception_macs,
                               locally_connected_params, receptive_field, same_padding,
                               shared_weight_params)


@pytest.mark.parametrize("n, k, s, p, expected", [
    (6, 3, 1, 0, 4),        # the notes' 6x6 input, 3x3 kernel
    (8, 3, 1, 0, 6),        # "for N = 8, K = 3, S = 1, output size is 6"
    (7, 3, 2, 0, 3),        # the 7x7 input at stride 2
    (5, 3, 1, 1, 5),        # zero padding (K - 1)/2 keeps the size
    (227, 11, 4, 0, 55),    # (227 - 11)/4 + 1
    (55, 3, 2, 0, 27),      # (55 - 3)/2 + 1
    (28, 3, 1, 1, 28),
])
def test_conv_output_size_notes(n, k, s, p, expected):
    assert conv_output_size(n, k, stride=s, padding=p) == expected


def test_conv_output_size_7x7_filter3_stride3_is_not_an_integer():
    with pytest.raises(ValueError, match=r"2\.333 is not an integer") as info:
        conv_output_size(7, 3, stride=3)
    assert "(7 - 3 + 2*0)/3 + 1" in str(info.value)


def test_conv_output_size_dilation():
    # a 3x3 kernel with dilation 2 covers 5x5 inputs
    assert conv_output_size(7, 3, dilation=2) == 3
    assert conv_output_size(7, 3, dilation=2, padding=2) == 7
    assert conv_output_size(9, 3, dilation=4) == 1


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_output_size_agrees_with_torch_when_exact(n, k, s, p, d):
    torch = pytest.importorskip("torch")
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0 or span % s:
        with pytest.raises(ValueError):
            conv_output_size(n, k, stride=s, padding=p, dilation=d)
        return
    conv = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    out = conv(torch.zeros(1, 1, n, n))
    assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == out.shape[-1]


def test_conv_output_size_kernel_larger_than_input():
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(2, 3)


@pytest.mark.parametrize("kwargs, name", [
    (dict(n=0, kernel_size=3), "n"), (dict(n=5, kernel_size=0), "kernel_size"),
    (dict(n=5, kernel_size=3, stride=0), "stride"), (dict(n=5, kernel_size=3, padding=-1), "padding"),
    (dict(n=5, kernel_size=3, dilation=0), "dilation"),
])
def test_conv_output_size_bad_values(kwargs, name):
    n, k = kwargs.pop("n"), kwargs.pop("kernel_size")
    with pytest.raises(ValueError, match=f"conv_output_size: {name}"):
        conv_output_size(n, k, **kwargs)


def test_conv_output_size_bad_types():
    with pytest.raises(TypeError, match="conv_output_size: n must be an int, got float"):
        conv_output_size(7.0, 3)
    with pytest.raises(TypeError, match="stride must be an int, got bool"):
        conv_output_size(7, 3, stride=True)


def test_same_padding():
    assert same_padding(3) == 1 and same_padding(5) == 2 and same_padding(3, dilation=2) == 2
    with pytest.raises(ValueError, match="kernel_size=4"):
        same_padding(4)
    with pytest.raises(TypeError, match="same_padding: kernel_size"):
        same_padding("3")


def test_receptive_field_vgg_stacks():
    assert receptive_field([(3, 1)]) == 3
    assert receptive_field([(3, 1)] * 2) == 5      # two 3x3 see one 5x5
    assert receptive_field([(3, 1)] * 3) == 7      # three 3x3 see one 7x7 (VGG)


def test_receptive_field_with_strides_and_dilation():
    # conv 3x3 s1, pool 2x2 s2, conv 3x3 s1: 1 + 2 + 1*1 + 2*2 = 8
    assert receptive_field([(3, 1), (2, 2), (3, 1)]) == 8
    # AlexNet's first layers: 11/4, pool 3/2, 5/1: 11 + 2*4 + 4*8 = 51
    assert receptive_field([(11, 4), (3, 2), (5, 1)]) == 51
    # dilated 3x3 (d = 2) sees 5x5; stacking dilations 1, 2, 4 gives 15 (WaveNet-style growth)
    assert receptive_field([(3, 1, 2)]) == 5
    assert receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == 15
    assert receptive_field([]) == 1


def test_receptive_field_matches_gradient_support():
    """The receptive field is where d(output centre)/d(input) is non-zero (checked with torch)."""
    torch = pytest.importorskip("torch")
    layers = [(3, 1), (2, 2), (3, 1), (3, 2, 2)]
    x = torch.zeros(1, 1, 64, 64, requires_grad=True)
    h = x
    for k, s, *d in layers:
        conv = torch.nn.Conv2d(1, 1, k, stride=s, dilation=d[0] if d else 1, bias=False)
        torch.nn.init.constant_(conv.weight, 1.0)
        h = conv(h)
    h[0, 0, h.shape[2] // 2, h.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    assert int(rows.max() - rows.min() + 1) == receptive_field(layers)


def test_receptive_field_bad_input():
    with pytest.raises(ValueError, match=r"layers\[1\] must be"):
        receptive_field([(3, 1), (3,)])
    with pytest.raises(TypeError, match="receptive_field: layers must be a sequence"):
        receptive_field(3)
    with pytest.raises(ValueError, match=r"layers\[0\] stride must be >= 1"):
        receptive_field([(3, 0)])


def test_conv_params_notes():
    assert conv_params(3, 100, 3) == 2800                     # 100 filters of 3x3x3 + 1
    assert conv_params(3, 96, 11, bias=False) == 34848        # AlexNet conv1, "35K"
    assert conv_params(64, 64, 3, bias=False) == 36864        # VGG's (3*3*64)*64
    assert conv_params(8, 16, (3, 5), groups=4) == 16 * 2 * 15 + 16


def test_conv_params_matches_torch():
    torch = pytest.importorskip("torch")
    for c_in, c_out, k, g, bias in [(3, 6, 3, 1, True), (4, 8, (3, 5), 2, False), (6, 6, 3, 6, True)]:
        m = torch.nn.Conv2d(c_in, c_out, k, groups=g, bias=bias)
        assert conv_params(c_in, c_out, k, groups=g, bias=bias) == sum(p.numel() for p in m.parameters())


def test_conv_params_and_macs_bad_input():
    with pytest.raises(ValueError, match="conv_params: groups=2 must divide c_in=3"):
        conv_params(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="conv_params: kernel_size must be an int or a pair"):
        conv_params(3, 4, (3, 3, 3))
    with pytest.raises(TypeError, match="conv_macs: out_h must be an int"):
        conv_macs(3, 4, 3, 2.5, 2)
    with pytest.raises(ValueError, match="conv_macs: c_out must be >= 1"):
        conv_macs(3, 0, 3, 2, 2)


def test_depthwise_separable_multiplications_notes():
    # 12x12x3 input, 256 5x5 kernels, 8x8 output; the notes' printed counts live in cnnlab.notes
    from cnnlab.notes.ch07_convolution import DEPTHWISE, NOTES_DEPTHWISE
    c_in, c_out, k, h, w = DEPTHWISE
    assert conv_macs(c_in, c_out, k, h, w) == NOTES_DEPTHWISE["standard"] == c_out * c_in * k * k * h * w
    assert conv_macs(c_in, c_in, k, h, w, groups=c_in) == NOTES_DEPTHWISE["depthwise"] == c_in * k * k * h * w
    assert conv_macs(c_in, c_out, 1, h, w) == NOTES_DEPTHWISE["pointwise"] == c_out * c_in * h * w
    assert depthwise_separable_macs(c_in, c_out, k, h, w) == NOTES_DEPTHWISE["separable"]


def test_depthwise_separable_params_matches_torch():
    torch = pytest.importorskip("torch")
    for c_in, c_out, k, m in [(3, 256, 5, 1), (4, 6, 3, 2)]:
        depth = torch.nn.Conv2d(c_in, c_in * m, k, groups=c_in)
        point = torch.nn.Conv2d(c_in * m, c_out, 1)
        n = sum(p.numel() for p in [*depth.parameters(), *point.parameters()])
        assert depthwise_separable_params(c_in, c_out, k, multiplier=m) == n
    assert depthwise_separable_params(3, 256, 5, bias=False) == 3 * 25 + 256 * 3


def test_depthwise_separable_bad_input():
    with pytest.raises(ValueError, match="depthwise_separable_macs: multiplier must be >= 1"):
        depthwise_separable_macs(3, 8, 3, 4, 4, multiplier=0)
    with pytest.raises(TypeError, match="depthwise_separable_params: multiplier must be an int"):
        depthwise_separable_params(3, 8, 3, multiplier=1.5)


def test_inception_macs_naive_notes():
    # 28x28x256 input; 1x1 128, 3x3 192, 5x5 96; the notes print the total rounded to millions
    from cnnlab.notes.ch10_architectures import NOTES_INCEPTION
    total = inception_macs(256, 28, 28, ch1x1=128, ch3x3=192, ch5x5=96)
    assert total == 28 * 28 * (128 * 256 + 192 * 9 * 256 + 96 * 25 * 256) == 854_196_224
    assert f"{total / 1e6:.0f}M" == NOTES_INCEPTION["naive"]


def test_inception_macs_bottleneck_exact_not_the_notes_353M():
    # The notes list the six convs (with a typo, 264 input channels for 64) and print a total that
    # matches neither (cnnlab.notes.ch10_architectures.ERRATA); the listed convs with 64 sum to this.
    total = inception_macs(256, 28, 28, ch1x1=128, ch3x3red=64, ch3x3=192, ch5x5red=64, ch5x5=96,
                           pool_proj=64)
    assert total == 28 * 28 * (64 * 256 * 3 + 128 * 256 + 192 * 9 * 64 + 96 * 25 * 64) == 271_351_808


def test_inception_macs_bad_input():
    with pytest.raises(ValueError, match="inception_macs: ch3x3red must be >= 1"):
        inception_macs(256, 28, 28, ch1x1=1, ch3x3=1, ch5x5=1, ch3x3red=0)
    with pytest.raises(TypeError, match="inception_macs: c_in must be an int"):
        inception_macs(None, 28, 28, ch1x1=1, ch3x3=1, ch5x5=1)


def test_fully_vs_locally_connected_vs_shared_notes():
    assert fully_connected_params(32 ** 2, 32 ** 2) == 1_049_600             # "~1M"
    assert locally_connected_params(1, 1, 3, 32, 32) == 30 ** 2 * (3 ** 2 + 1) == 9_000
    assert locally_connected_params(3, 1, 3, 32, 32) == 30 ** 2 * (3 * 3 ** 2 + 1) == 25_200   # "~25k"
    assert shared_weight_params(3, 1, 3) == 28
    assert shared_weight_params(3, 4, 3) == 112
    assert fully_connected_params(4, 3, bias=False) == 12


def test_param_counts_bad_input():
    with pytest.raises(ValueError, match="fully_connected_params: in_features must be >= 1"):
        fully_connected_params(0, 3)
    with pytest.raises(TypeError, match="locally_connected_params: in_h must be an int"):
        locally_connected_params(1, 1, 3, "32", 32)
    with pytest.raises(ValueError, match="not an integer"):
        locally_connected_params(1, 1, 3, 8, 8, stride=2)
    with pytest.raises(TypeError, match="shared_weight_params|conv_params"):
        shared_weight_params(3, 1, None)


def test_small_filter_stacks_notes():
    """Three 3x3 convs see 7x7 with 3 (3^2 C^2) = 27 C^2 weights vs 7^2 C^2 = 49 C^2 for one 7x7;
    two 3x3 see 5x5 with 18 C^2 vs 25 C^2."""
    c = 64
    assert receptive_field([(3, 1)] * 3) == receptive_field([(7, 1)]) == 7
    assert 3 * conv_params(c, c, 3, bias=False) == 27 * c * c < conv_params(c, c, 7, bias=False) == 49 * c * c
    assert receptive_field([(3, 1)] * 2) == receptive_field([(5, 1)]) == 5
    assert 2 * conv_params(c, c, 3, bias=False) == 18 * c * c < conv_params(c, c, 5, bias=False) == 25 * c * c


def test_conv_macs_alexnet_conv1_notes():
    # notes: 11*11*3*96 = 34848 weights, times ((227 - 11)/4 + 1)^2 = 55^2 positions = 105,415,200
    # (they write "(227 - 11/4) + 1", a misplaced bracket; the product they print is right)
    assert conv_output_size(227, 11, stride=4) == 55
    assert conv_macs(3, 96, 11, 55, 55) == 34848 * 55 ** 2 == 105_415_200
