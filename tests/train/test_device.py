"""cnnlab/train/device.py: get_device, seed_everything, the CUDA-only mixed precision switches, placed."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.train import (amp_dtype, amp_enabled, autocast, get_device, grad_scaler, model_device,  # noqa: E402
                          placed, seed_everything)


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
        return random.random(), torch.rand(3).tolist()

    g1 = seed_everything(7)
    a = draw() + (torch.rand(2, generator=g1).tolist(),)
    g2 = seed_everything(7)
    b = draw() + (torch.rand(2, generator=g2).tolist(),)
    assert a == b
    state = np.random.get_state()[1].copy()
    seed_everything(8)                                    # the style guide: no np.random.seed
    assert np.array_equal(np.random.get_state()[1], state)
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


@pytest.mark.parametrize("amp, dtype", [(False, None), (None, None), (True, torch.float16), ("fp16", torch.float16),
                                        ("bf16", torch.bfloat16), ("bfloat16", torch.bfloat16)])
def test_amp_dtype(amp, dtype):
    assert amp_dtype(amp) == dtype


def test_amp_dtype_bad_value():
    with pytest.raises(ValueError, match="amp must be False, True, 'fp16' or 'bf16', got 'int8'"):
        amp_dtype("int8")


class _Recording(torch.nn.Linear):
    """A Linear that records where it is asked to move (CPU-only machines have no second real device)."""

    def __init__(self):
        super().__init__(2, 2)
        self.moves = []

    def to(self, *args, **kwargs):
        self.moves.append(torch.device(args[0]))
        return self


def test_model_device_and_placed_put_the_model_back():
    assert model_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")              # no parameters
    assert model_device(torch.nn.Linear(2, 2, device="meta")).type == "meta"
    model = _Recording()
    with placed(model, torch.device("meta")) as m:
        assert m is model and model.moves == [torch.device("meta")]
    assert model.moves == [torch.device("meta"), torch.device("cpu")]        # back where it was
    with pytest.raises(RuntimeError, match="inside"):
        with placed(model, torch.device("meta")):
            raise RuntimeError("inside")
    assert model.moves[-1] == torch.device("cpu")                            # back even after an error
    still = _Recording()
    with placed(still, torch.device("cpu")):
        pass
    assert still.moves == []                                                 # already there: nothing moves
