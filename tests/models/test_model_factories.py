"""Every factory of cnnlab.models: output shapes, gradients reaching the input, clear errors.

The ImageNet-size nets run on the meta device (shapes only, no memory, no arithmetic); the small
variants run for real on tiny batches.
"""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

import cnnlab.models as M  # noqa: E402
from helpers.models import one_torch_thread  # noqa: E402,F401  (autouse fixture)

# (factory, kwargs, input shape without the batch, expected number of outputs)
BIG = [
    (M.alexnet, {}, (3, 227, 227), 1000),
    (M.alexnet, {"groups": 2, "lrn": True, "num_classes": 7}, (3, 227, 227), 7),
    (M.zfnet, {"in_channels": 1}, (1, 224, 224), 1000),
    (M.vgg11, {}, (3, 224, 224), 1000),
    (M.vgg13, {"batch_norm": True}, (3, 224, 224), 1000),
    (M.vgg16, {"num_classes": 5}, (3, 224, 224), 5),
    (M.vgg19, {}, (3, 224, 224), 1000),
    (M.googlenet, {}, (3, 224, 224), 1000),
    (M.resnet18, {"in_channels": 1}, (1, 224, 224), 1000),
    (M.resnet34, {}, (3, 224, 224), 1000),
    (M.resnet50, {}, (3, 224, 224), 1000),
    (M.resnet101, {}, (3, 160, 160), 1000),
    (M.resnet152, {"num_classes": 3}, (3, 64, 64), 3),
    (M.plain18, {}, (3, 224, 224), 1000),
    (M.plain34, {}, (3, 224, 224), 1000),
]

SMALL = [
    (M.lenet5, {}, (1, 32, 32), 10),
    (M.lenet5, {"variant": "modern", "padding": 2, "in_channels": 3, "num_classes": 4}, (3, 28, 28), 4),
    (M.small_alexnet, {}, (3, 32, 32), 10),
    (M.small_alexnet, {"in_channels": 1, "input_size": 28, "groups": 2, "lrn": True}, (1, 28, 28), 10),
    (M.small_vgg, {"batch_norm": True}, (3, 32, 32), 10),
    (M.small_vgg, {"in_channels": 1, "input_size": 28}, (1, 28, 28), 10),
    (M.small_googlenet, {"in_channels": 1}, (1, 28, 28), 10),
    (M.small_resnet18, {}, (3, 32, 32), 10),
    (M.small_plain18, {"in_channels": 1, "num_classes": 2}, (1, 28, 28), 2),
    (M.allconvnet, {}, (3, 32, 32), 10),
    (M.small_allconvnet, {"in_channels": 1}, (1, 28, 28), 10),
]

ALL_FACTORIES = sorted({f for f, *_ in BIG + SMALL}, key=lambda f: f.__name__)


def _id(case):
    return case[0].__name__ + "".join(f"-{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("case", BIG, ids=_id)
def test_imagenet_nets_output_shape_on_meta(case):
    factory, kwargs, shape, classes = case
    with torch.device("meta"):
        model = factory(**kwargs).eval()
        out = model(torch.empty(2, *shape))
    assert out.shape == (2, classes)


@pytest.mark.parametrize("case", SMALL, ids=_id)
def test_small_nets_output_shape_on_meta(case):
    factory, kwargs, shape, classes = case
    with torch.device("meta"):
        assert factory(**kwargs)(torch.empty(3, *shape)).shape == (3, classes)


# Nets without fully connected layers take any size: their gradient check runs on 12x12 images.
FLEXIBLE = (M.small_googlenet, M.small_resnet18, M.small_plain18, M.allconvnet, M.small_allconvnet)


@pytest.mark.parametrize("case", SMALL, ids=_id)
def test_small_nets_input_gradient(case):
    factory, kwargs, shape, classes = case
    torch.manual_seed(0)
    model = factory(**kwargs)
    x = torch.randn(2, shape[0], *((12, 12) if factory in FLEXIBLE else shape[1:]), requires_grad=True)
    out = model(x)
    assert out.shape == (2, classes)
    out.square().sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0  # the gradient reaches the input
    assert all(p.grad is not None for p in model.parameters())


def test_googlenet_aux_logits_only_in_training_mode():
    with torch.device("meta"):
        model = M.googlenet(aux_logits=True, num_classes=10)
        outs = model.train()(torch.empty(2, 3, 224, 224))
        assert isinstance(outs, M.GoogLeNetOutputs)
        assert [o.shape for o in outs] == [(2, 10)] * 3
        assert model.eval()(torch.empty(2, 3, 224, 224)).shape == (2, 10)


@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("num_classes", [0, -3])
def test_num_classes_below_one_is_a_clear_error(factory, num_classes):
    with torch.device("meta"), pytest.raises(ValueError, match="num_classes must be >= 1"):
        factory(num_classes=num_classes)


@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_non_integer_sizes_are_a_type_error(factory):
    with torch.device("meta"), pytest.raises(TypeError, match="in_channels must be an int"):
        factory(in_channels=3.0)


@pytest.mark.parametrize("case", BIG[::4] + SMALL[::3], ids=_id)
def test_wrong_number_of_input_channels_is_a_clear_error(case):
    factory, kwargs, shape, _ = case
    wrong = (shape[0] + 1, *shape[1:])
    with torch.device("meta"):
        model = factory(**kwargs).eval()
        message = rf"x has {wrong[0]} channels but the model expects in_channels={shape[0]}"
        with pytest.raises(ValueError, match=message):
            model(torch.empty(1, *wrong))
        with pytest.raises(ValueError, match="expected x of shape"):
            model(torch.empty(*shape))  # no batch dimension


def test_fc_headed_nets_name_the_input_size_they_need():
    with pytest.raises(ValueError, match="lenet5|LeNet5: expected 32x32 inputs"):
        M.lenet5()(torch.zeros(1, 1, 28, 28))
    with torch.device("meta"), pytest.raises(ValueError, match="vgg16: expected 224x224 inputs"):
        M.vgg16()(torch.empty(1, 3, 227, 227))


def test_bad_options_are_clear_errors():
    with pytest.raises(ValueError, match="variant must be one of"):
        M.lenet5(variant="1989")
    with pytest.raises(ValueError, match="groups must be 1 or 2"):
        M.alexnet(groups=3)
    with pytest.raises(ValueError, match="depth must be one of"):
        M.resnet(20)


def test_import_cnnlab_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, cnnlab, cnnlab.functional; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_factories_are_keyword_only():
    with pytest.raises(TypeError):
        M.lenet5(10)  # type: ignore[misc]
