"""Tests for cnnlab/notes/ch10_architectures.py: LeNet-5, VGG16 and inception counts."""

import pytest

from cnnlab.notes import ch10_architectures as ch10


def test_lenet5_paper_has_60000_trainable_parameters_and_the_simplified_one_61706():
    paper, full = ch10.lenet5_params(), ch10.lenet5_params(c3="full")
    assert paper["C3"] == 1516                     # LeCun et al. 1998: "C3 has 1,516 trainable parameters"
    assert sum(paper.values()) == 60_000
    assert sum(full.values()) == 61_706
    assert ch10.LENET5_C3_TABLE.sum(axis=0).tolist() == [3] * 6 + [4] * 9 + [6]


def test_lenet5_params_bad_input():
    with pytest.raises(ValueError, match="lenet5_params: c3 must be"):
        ch10.lenet5_params(c3="partial")


def test_inception_naive_matches_the_notes_and_bottleneck_does_not():
    ex = ch10.inception_example()
    assert ex == {"naive": 854_196_224, "bottleneck": 271_351_808}
    assert f"{ex['naive'] / 1e6:.0f}M" == ch10.NOTES_INCEPTION["naive"]
    assert f"{ex['bottleneck'] / 1e6:.0f}M" != ch10.NOTES_INCEPTION["bottleneck"]


def test_vgg16_forward_values_sum_of_the_layer_outputs():
    # 224^2 * 64 twice, 112^2 * 64 (pool), 112^2 * 128 twice, ... as the notes' table lists them
    assert ch10.vgg16_forward_values() == 15_237_608
    assert ch10.vgg16_forward_values() < 0.7 * float(ch10.NOTES_VGG16["values"][:-1]) * 1e6


@pytest.mark.torch
def test_vgg16_forward_values_agree_with_the_model_summary():
    torch = pytest.importorskip("torch")
    from cnnlab import models as M
    with torch.device("meta"):
        model = M.vgg16()
    s = M.summary(model, (3, 224, 224))
    assert s.total_activations + s.input_values == ch10.vgg16_forward_values()


@pytest.mark.torch
def test_lenet5_full_count_is_the_model_in_cnnlab_models():
    pytest.importorskip("torch")
    from cnnlab import models as M
    assert M.summary(M.lenet5(), (1, 32, 32)).total_params == sum(ch10.lenet5_params(c3="full").values())


def test_ilsvrc_ensembles_and_single_networks():
    for name, (single, ensemble, size) in ch10.ILSVRC_TOP5.items():
        assert size > 1
        assert single != ensemble


def test_resnet_and_vgg16_params_match_the_torch_models():
    torch = pytest.importorskip("torch")
    import cnnlab.models as M
    from cnnlab.models.summary import count_parameters
    with torch.device("meta"):
        for depth in (18, 34, 50, 101, 152):
            assert ch10.resnet_params(depth) == count_parameters(M.resnet(depth))
        assert ch10.vgg16_params() == count_parameters(M.vgg16())


def test_resnet_params_by_hand_and_bad_input():
    # ResNet-18: torchvision's documented 11,689,512; VGG16: the notes' "138M"
    assert ch10.resnet_params(18) == 11_689_512
    assert f"{ch10.vgg16_params() / 1e6:.0f}M" == ch10.NOTES_VGG16["params"]
    with pytest.raises(ValueError, match="resnet_params: depth must be"):
        ch10.resnet_params(20)
