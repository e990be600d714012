"""cnnlab/models/diagram.py: tracing a model into units and drawing its diagram."""

import inspect

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import cnnlab.models as M  # noqa: E402
from cnnlab.models.diagram import draw, kind_of, trace  # noqa: E402
from cnnlab.models.summary import count_parameters  # noqa: E402
from helpers.models import one_torch_thread  # noqa: E402,F401  (autouse fixture)

# Every factory of cnnlab.models that builds an image classifier, with an input it takes.
INPUTS = {"alexnet": (3, 227, 227), "lenet5": (1, 32, 32)}
CLASSIFIERS = sorted(name for name, f in vars(M).items()
                     if inspect.isfunction(f) and name in M.__all__ and name[0].islower()
                     and name not in ("summary", "layer_macs", "corrupt", "resnet"))


def _input(name):
    if name in INPUTS:
        return INPUTS[name]
    return (3, 32, 32) if name.startswith("small") or name.startswith("allconv") else (3, 224, 224)


def test_every_image_factory_is_covered():
    assert {"lenet5", "alexnet", "zfnet", "vgg16", "googlenet", "resnet18", "resnet50", "small_resnet18",
            "allconvnet"} <= set(CLASSIFIERS)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_parameters_add_up_and_drawing_works(name):
    with torch.device("meta"):
        model = getattr(M, name)()
    units = trace(model, _input(name))
    assert sum(u.params for u in units) == count_parameters(model)
    fig = draw(units, input_size=_input(name), rows=2)
    fig.canvas.draw()  # renders on Agg
    plt.close(fig)


def test_googlenet_aux_branches_in_training_mode():
    with torch.device("meta"):
        model = M.googlenet(aux_logits=True)
    units = trace(model, (3, 224, 224), training=True)
    assert sum(u.params for u in units) == count_parameters(model)
    aux = [u for u in units if u.branch]
    assert [u.name for u in aux] == ["aux1", "aux2"] and all(u.kind == "aux classifier" for u in aux)
    assert [units[u.source].name for u in aux] == ["inception4a", "inception4d"]
    assert model.training  # the mode is restored
    assert not any(u.branch for u in trace(model.eval(), (3, 224, 224)))  # no aux at test time
    plt.close(draw(units, input_size=(3, 224, 224)))


def _real_outputs(model, units, x):
    """Output shapes of the traced units' modules in a real forward pass on x (an independent hook)."""
    modules = dict(model.named_modules())
    shapes = []
    handles = [modules[u.name].register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:])))
               for u in {u.name: u for u in units}.values()]
    with torch.no_grad():
        out = model(x)
    for h in handles:
        h.remove()
    return shapes, out


@pytest.mark.parametrize("factory,shape", [(M.small_resnet18, (3, 32, 32)), (M.small_googlenet, (1, 28, 28)),
                                           (M.small_vgg, (3, 32, 32)), (M.small_alexnet, (3, 32, 32))])
def test_shapes_on_meta_equal_a_real_forward(factory, shape):
    torch.manual_seed(0)
    model = factory(in_channels=shape[0]).eval()
    units = trace(model, shape)                       # runs on zeros of the model's device (CPU)
    with torch.device("meta"):
        meta_units = trace(factory(in_channels=shape[0]), shape)
    real, out = _real_outputs(model, units, torch.randn(2, *shape))
    assert [u.shape for u in units] == [u.shape for u in meta_units] == real
    assert units[-1].shape == tuple(out.shape[1:])


def test_resnet50_stage_shapes_match_manual_calls():
    torch.manual_seed(0)
    model = M.resnet(50, width=8, small=True, num_classes=3).eval()   # ResNet-50's layout, narrow
    units = trace(model, (3, 32, 32))
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        x = model.relu(model.bn1(model.conv1(x)))
        stages = [x := getattr(model, f"layer{k}")(x) for k in range(1, 5)]
    last_of = {f"layer{k}": [u for u in units if u.name.startswith(f"layer{k}.")][-1] for k in range(1, 5)}
    assert [last_of[f"layer{k}"].shape for k in range(1, 5)] == [tuple(s.shape[1:]) for s in stages]
    assert [u.kind for u in units if u.name.startswith("layer")].count("bottleneck/2") == 3


def test_lenet5_units_are_the_papers_layers():
    units = [u for u in trace(M.lenet5(variant="paper"), (1, 32, 32)) if u.kind != "tanh"]
    assert [(u.name, u.shape) for u in units] == [
        ("c1", (6, 28, 28)), ("s2", (6, 14, 14)), ("c3", (16, 10, 10)), ("s4", (16, 5, 5)),
        ("c5", (120, 1, 1)), ("flatten", (120,)), ("f6", (84,)), ("output", (10,))]
    assert [u.kind for u in units][:4] == ["conv 5x5", "subsample 2x2", "conv 5x5 partial", "subsample 2x2"]
    assert units[2].params == 60 * 25 + 16


def test_kinds_name_window_and_stride():
    assert kind_of(torch.nn.Conv2d(3, 8, 7, stride=2)) == "conv 7x7/2"
    assert kind_of(torch.nn.MaxPool2d(3, stride=2)) == "max pool 3x3/2"
    assert kind_of(torch.nn.AvgPool2d(2)) == "avg pool 2x2/2"
    assert kind_of(torch.nn.AdaptiveAvgPool2d(1)) == "global avg pool"


def test_bad_input():
    with pytest.raises(ValueError, match="trace: input_size"):
        trace(M.lenet5(), (1, 0, 32))
    units = trace(M.lenet5(), (1, 32, 32))
    with pytest.raises(ValueError, match="draw: rows"):
        draw(units, rows=0)
    with pytest.raises(ValueError, match="draw: no unit"):
        draw(units, hide=[u.kind for u in units])
