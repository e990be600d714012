"""The CUDA suite's CPU-side checks: every tensor cnnlab creates is made on its inputs' device.

Two tools make a CPU-only machine see what would break on a GPU (tests/helpers/devices.py):
torch's ``meta`` device, a second device every CPU has (shapes only, no values), and
``DeviceChecker``, which flags a factory call from cnnlab without ``device=`` and a CPU generator
asked to draw on another device (what CUDA refuses). Code that needs values runs on the CPU under
the checker. Imports only torch, numpy and pytest (no hypothesis, no nbformat).
"""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import cnnlab.models as M  # noqa: E402
from cnnlab.train import (Augment, evaluate, extract_features, fit, make_optimizer, pca_color_augment,  # noqa: E402
                          pretrain_stacked_encoder, random_crop, random_horizontal_flip)
from helpers.devices import SMALL_MODELS as MODELS, DeviceChecker  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
META = torch.device("meta")

def _outputs(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_build_and_run_on_another_device(name):
    """Built on the CPU under the checker, moved to meta, run in training mode: every output on meta."""
    factory, shape = MODELS[name]
    with DeviceChecker() as check:
        model = factory()
    model = model.to(META).train()
    with DeviceChecker() as check_forward:
        outs = _outputs(model(torch.rand(shape).to(META)))
    assert not check.problems + check_forward.problems, check.problems + check_forward.problems
    assert outs and all(o.device == META for o in outs)


def test_the_checker_catches_a_factory_without_device():
    """The check can fail: a model whose forward adds torch.randn(shape) without device= is reported."""
    import types

    code = compile("def forward(self, x):\n    return x + torch.randn(x.shape)\n",
                   str(Path(M.__file__).with_name("fake_noisy.py")), "exec")    # as if it were cnnlab code
    scope = {"torch": torch}
    exec(code, scope)
    model = torch.nn.Identity()
    model.forward = types.MethodType(scope["forward"], model)
    with DeviceChecker() as check:
        model(torch.rand(2, 3))
    assert check.problems == ["cnnlab/models/fake_noisy.py:2: torch.randn without device="]


@pytest.mark.parametrize("noise", ["masking", "salt_and_pepper", "gaussian"])
def test_corrupt_draws_with_a_cpu_generator_for_any_device(noise):
    """The autoencoders' noise: a CPU generator never draws on x's device (CUDA would refuse), the
    draws are moved, and the same seed gives the same noise as on the CPU."""
    x = torch.rand(4, 10)
    with DeviceChecker() as check:
        out = M.corrupt(x.to(META), noise=noise, generator=torch.Generator().manual_seed(0))
        dae = M.DenoisingAutoencoder(10, (4,), noise=noise).to(META).train()
        rec = dae(x.to(META), generator=torch.Generator().manual_seed(0))
    assert not check.problems, check.problems
    assert out.device == META and rec.device == META


def test_augmentations_on_another_device():
    x = torch.rand(3, 3, 8, 8)
    eig = (torch.ones(3), torch.eye(3))
    with DeviceChecker() as check:
        g = torch.Generator().manual_seed(0)
        outs = [random_crop(x.to(META), 6, padding=1, generator=g),
                random_horizontal_flip(x.to(META), generator=g),
                pca_color_augment(x.to(META), eigvals=eig[0].to(META), eigvecs=eig[1].to(META), generator=g),
                Augment(crop=8, padding=2)(x.to(META))]
    assert not check.problems, check.problems
    assert all(o.device == META for o in outs)


def test_pretraining_creates_everything_on_the_data_device():
    x = torch.rand(40, 12, generator=torch.Generator().manual_seed(0))
    with DeviceChecker() as check:
        encoder, history = pretrain_stacked_encoder(x, [6, 3], epochs=2, batch_size=16, noise="gaussian",
                                                    noise_level=0.1, generator=torch.Generator().manual_seed(0))
    assert not check.problems, check.problems
    assert len(history) == 2 and all(p.device == x.device for p in encoder.parameters())


def _problem(n=32):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=8)


def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 6 * 6, 2))


def test_fit_and_evaluate_create_nothing_off_device():
    model, loader = _net(), _problem()
    with DeviceChecker() as check:
        fit(model, loader, epochs=1, optimizer=make_optimizer("sgd", model.parameters()), val_loader=loader,
            device="cpu", progress=False, transform=Augment(crop=8, padding=1))
        evaluate(model, loader)
        extract_features(model, loader)
    assert not check.problems, check.problems


class _Recording(torch.nn.Sequential):
    """A model that records the devices it is moved to (the only real device here is the CPU)."""

    def to(self, *args, **kwargs):
        self.moves = getattr(self, "moves", []) + [torch.device(args[0])]
        return super().to(*args, **kwargs)


@pytest.mark.parametrize("use", ["evaluate", "extract_features"])
def test_using_a_model_never_moves_it(use):
    """device=None means where the model already is: nothing is moved in place behind the caller's back."""
    model = _Recording(*_net())
    fn = evaluate if use == "evaluate" else extract_features
    fn(model, _problem())
    assert getattr(model, "moves", []) == []
    fn(model, _problem(), device="cpu")                          # asked for, and already there
    assert getattr(model, "moves", []) == []


# ----------------------------------------------------------------------------------------------- labs

def _solution_functions(lab):
    """The lab solution's import cell and its answers (the cells marked as solutions), executed."""
    nb = json.loads((REPO / "solutions" / lab / f"{lab}.ipynb").read_text())
    scope = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and (meta.get("solution") or meta.get("grade_id", "").endswith("_imports")):
            exec(compile(source, f"{lab}:{meta.get('grade_id')}", "exec"), scope)
    return scope


@pytest.mark.parametrize("lab, names", [("lab1", ["train"]), ("lab2", ["train_denoiser", "fine_tune"])])
def test_lab_training_functions_take_a_device(lab, names):
    import inspect

    scope = _solution_functions(lab)
    for name in names:
        assert "device" in inspect.signature(scope[name]).parameters, f"{lab}.{name} has no device argument"


def test_lab2_add_noise_moves_cpu_draws_to_the_input_device():
    scope = _solution_functions("lab2")
    x = torch.rand(2, 6)
    with DeviceChecker():
        out = scope["add_noise"](x.to(META), 0.3, torch.Generator().manual_seed(0))
    assert out.device == META


def test_lab1_lenet_takes_28x28_digits_with_padding():
    scope = _solution_functions("lab1")
    assert scope["LeNet5"](padding=2)(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    assert scope["LeNet5"]()(torch.rand(2, 1, 32, 32)).shape == (2, 10)
