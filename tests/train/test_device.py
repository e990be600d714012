"""get_device, seed_everything and the CUDA-only mixed precision switches."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.train import amp_enabled, autocast, get_device, grad_scaler, seed_everything  # noqa: E402


def test_get_device_explicit_and_env(monkeypatch):
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")).type == "cpu"
    monkeypatch.setenv("CNNLAB_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.delenv("CNNLAB_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert get_device().type == expected


def test_get_device_bad_input(monkeypatch):
    with pytest.raises(ValueError, match="prefer='tpu'"):
        get_device("tpu")
    with pytest.raises(TypeError, match="prefer"):
        get_device(3)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            get_device("cuda")
        monkeypatch.setenv("CNNLAB_DEVICE", "cuda")
        with pytest.raises(ValueError, match="cuda"):
            get_device()


def test_seed_everything_repeats_all_generators():
    import random

    import numpy as np

    def draw():
        return random.random(), float(np.random.rand()), torch.rand(3).tolist()

    g1 = seed_everything(7)
    a = draw() + (torch.rand(2, generator=g1).tolist(),)
    g2 = seed_everything(7)
    b = draw() + (torch.rand(2, generator=g2).tolist(),)
    assert a == b
    with pytest.raises(TypeError, match="seed"):
        seed_everything(1.5)


def test_amp_is_a_no_op_on_cpu():
    cpu = torch.device("cpu")
    assert not amp_enabled(cpu, True)
    with autocast(cpu, True):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32
    scaler = grad_scaler(cpu, True)
    assert not scaler.is_enabled()
    loss = torch.tensor(3.0, requires_grad=True)
    assert scaler.scale(loss) is loss
