"""cnnlab/train/checkpoint.py: what a checkpoint holds, that it restores every RNG, and bad input."""

import random

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from cnnlab.train import (Augment, grad_scaler, load_checkpoint, make_optimizer, make_scheduler,  # noqa: E402
                          rng_state, save_checkpoint, set_rng_state)


def tiny_model(d=8, k=6):
    return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, k))


def test_checkpoint_round_trip_with_augment_generator(tmp_path):
    model = tiny_model()
    opt = make_optimizer("adam", model.parameters())
    sched = make_scheduler("plateau", opt)
    aug = Augment(flip=False, seed=5)
    torch.rand(3, generator=aug.generator)
    path = save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, scheduler=sched, epoch=3,
                           history={"epoch": [1, 2, 3]}, generators={"transform": aug.generator})
    expected = torch.rand(4, generator=aug.generator)
    other = tiny_model()
    opt2 = make_optimizer("adam", other.parameters())
    ckpt = load_checkpoint(path, model=other, optimizer=opt2, generators={"transform": aug.generator})
    assert ckpt["epoch"] == 3 and ckpt["history"]["epoch"] == [1, 2, 3]
    assert torch.equal(torch.rand(4, generator=aug.generator), expected)
    for a, b in zip(model.parameters(), other.parameters()):
        assert torch.equal(a, b)
    with pytest.raises(FileNotFoundError, match="path="):
        load_checkpoint(tmp_path / "missing.pt", model=other)


def test_rng_state_restores_python_numpy_torch_and_named_generators():
    g = torch.Generator().manual_seed(3)
    state = rng_state({"g": g})
    first = (random.random(), np.random.rand(), torch.rand(2).tolist(), torch.rand(2, generator=g).tolist())
    set_rng_state(state, {"g": g})
    again = (random.random(), np.random.rand(), torch.rand(2).tolist(), torch.rand(2, generator=g).tolist())
    assert first == again


def test_the_file_loads_with_weights_only_and_holds_no_code(tmp_path):
    model = tiny_model()
    opt = make_optimizer("sgd", model.parameters())
    path = save_checkpoint(tmp_path / "sub" / "c.pt", model=model, optimizer=opt, epoch=2, extra={"note": "x"})
    assert path.parent.is_dir() and not (tmp_path / "sub" / "c.pt.tmp").exists()       # written atomically
    raw = torch.load(path, weights_only=True)                                            # no pickled code
    assert raw["format"] == "cnnlab-checkpoint-1" and raw["epoch"] == 2 and raw["extra"] == {"note": "x"}
    assert raw["scheduler"] is None and raw["scaler"] is None                             # disabled scaler: None
    assert set(raw["model"]) == set(model.state_dict())


def test_ddp_wrapped_model_saves_the_bare_weights(tmp_path):
    class Wrapper(nn.Module):                # what DistributedDataParallel looks like from outside
        def __init__(self, module):
            super().__init__()
            self.module = module

    model = tiny_model()
    path = save_checkpoint(tmp_path / "c.pt", model=Wrapper(model))
    assert set(torch.load(path, weights_only=True)["model"]) == set(model.state_dict())
    other = Wrapper(tiny_model())
    load_checkpoint(path, model=other)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), other.module.parameters()))


def test_restore_rng_false_leaves_the_generators_alone(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", model=tiny_model())
    other = tiny_model()
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    load_checkpoint(path, model=other, restore_rng=False)
    assert torch.equal(torch.rand(3), expected)
    load_checkpoint(path, model=other)                       # restore_rng=True: the saved state is back
    assert not torch.equal(torch.rand(3), expected)


def test_not_a_checkpoint(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a cnnlab checkpoint"):
        load_checkpoint(tmp_path / "other.pt", model=tiny_model())
    assert grad_scaler(torch.device("cpu"), True).state_dict() == {}                    # nothing to save on CPU
