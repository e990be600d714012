"""cnnlab/train/optim.py: optimiser and schedule factories (defaults from the notes' AlexNet recipe)."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from cnnlab.train import make_optimizer, make_scheduler, param_groups  # noqa: E402


def tiny_model(d=8, k=6):
    return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, k))


def test_optimizer_factory_defaults_and_errors():
    params = list(tiny_model().parameters())
    sgd = make_optimizer("SGD", params)
    assert isinstance(sgd, torch.optim.SGD)
    g = sgd.param_groups[0]
    assert (g["lr"], g["momentum"], g["weight_decay"]) == (0.01, 0.9, 5e-4)    # AlexNet's recipe
    adam = make_optimizer("adam", params)
    assert isinstance(adam, torch.optim.Adam) and adam.param_groups[0]["lr"] == 1e-3
    with pytest.raises(ValueError, match="name='rmsprop'"):
        make_optimizer("rmsprop", params)
    with pytest.raises(ValueError, match="lr"):
        make_optimizer("sgd", params, lr=-1.0)
    with pytest.raises(ValueError, match="name='warmup'"):
        make_scheduler("warmup", sgd)
    assert make_scheduler(None, sgd) is None


def test_adamw_and_explicit_values():
    params = list(tiny_model().parameters())
    adamw = make_optimizer("adamw", params, lr=3e-4, betas=(0.8, 0.9))
    g = adamw.param_groups[0]
    assert isinstance(adamw, torch.optim.AdamW) and (g["lr"], g["betas"], g["weight_decay"]) == (3e-4, (0.8, 0.9), 0.01)
    sgd = make_optimizer("sgd", params, lr=0.1, momentum=0.0, weight_decay=0.0, nesterov=False)
    assert (sgd.param_groups[0]["momentum"], sgd.param_groups[0]["weight_decay"]) == (0.0, 0.0)


def test_parameter_groups_keep_their_rates():
    model = tiny_model()
    opt = make_optimizer("sgd", param_groups(model, {"3": 1e-2}, default_lr=1e-3))
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 1e-3]


@pytest.mark.parametrize("name, steps, expected", [
    ("step", 4, 0.1 * 0.1 ** 2),          # step_size=2: divided by 10 after epochs 2 and 4
    ("multistep", 4, 0.1 * 0.1),          # milestones=(3,)
    ("cosine", 4, 0.0),                   # cosine annealing to 0 over epochs=4
])
def test_schedules(name, steps, expected):
    opt = make_optimizer("sgd", tiny_model().parameters(), lr=0.1)
    sched = make_scheduler(name, opt, step_size=2, milestones=(3,), epochs=4)
    for _ in range(steps):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(expected, abs=1e-12)


def test_plateau_divides_by_ten_when_accuracy_stalls():
    opt = make_optimizer("sgd", tiny_model().parameters(), lr=0.1)
    sched = make_scheduler("plateau", opt, patience=1)
    for accuracy in (0.5, 0.5, 0.5):
        sched.step(accuracy)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_cosine_needs_epochs():
    opt = make_optimizer("sgd", tiny_model().parameters())
    with pytest.raises(ValueError, match="make_scheduler: 'cosine' needs epochs >= 1, got epochs=None"):
        make_scheduler("cosine", opt)
