"""cnnlab/train/loop.py: fit / evaluate / History and exact resume, on a tiny model and tiny data.

The checkpoint file and the optimiser factories have their own tests (test_checkpoint.py, test_optim.py)."""

import math

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from cnnlab.train import (History, evaluate, fit, make_optimizer, make_scheduler, plot_history,  # noqa: E402
                          seed_everything)


def problem(n=96, d=8, k=6, seed=0):
    """Linearly separable-ish blobs: x (n, d), y (n,) in 0..k-1."""
    g = torch.Generator().manual_seed(seed)
    centres = 3 * torch.randn(k, d, generator=g)
    y = torch.arange(n) % k
    x = centres[y] + torch.randn(n, d, generator=g)
    return x, y


def tiny_model(d=8, k=6):
    return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, k))


def loaders(batch_size=16, seed=1):
    x, y = problem()
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    test = DataLoader(TensorDataset(*problem(48, seed=0)), batch_size=32)
    return train, test


def run(epochs, *, checkpoint=None, resume=None, optimizer="sgd", scheduler="step"):
    seed_everything(0)
    model = tiny_model()
    train, test = loaders()
    opt = make_optimizer(optimizer, model.parameters(), lr=0.05)
    sched = make_scheduler(scheduler, opt, step_size=1, gamma=0.5)
    hist = fit(model, train, epochs=epochs, optimizer=opt, scheduler=sched, val_loader=test,
               device="cpu", progress=False, checkpoint=checkpoint, resume=resume)
    return model, hist


def test_fit_returns_history_and_learns():
    model, hist = run(4)
    assert isinstance(hist, History) and len(hist) == 4 and hist.epoch == [1, 2, 3, 4]
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.val_accuracy[-1] > 0.8
    assert hist.lr == [0.05, 0.025, 0.0125, 0.00625]                 # step decay, gamma 0.5
    assert all(math.isfinite(v) for v in hist.val_top5_error)


def test_same_seed_gives_identical_losses():
    _, a = run(2)
    _, b = run(2)
    assert a.train_loss == b.train_loss and a.val_loss == b.val_loss


def test_resume_ends_where_an_uninterrupted_run_does(tmp_path):
    straight, hist = run(4)
    path = tmp_path / "ckpt.pt"
    run(2, checkpoint=path)
    resumed, hist2 = run(4, resume=path)
    assert hist2.train_loss == hist.train_loss                       # history carried over, bit-exact
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_evaluate_and_plot(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    model, hist = run(1)
    _, test = loaders()
    res = evaluate(model, test, device="cpu")
    assert set(res) == {"loss", "accuracy", "top1_error", "top5_error"}
    assert res["top1_error"] == pytest.approx(1 - res["accuracy"])
    assert 0 <= res["top5_error"] <= res["top1_error"]
    assert res["loss"] == pytest.approx(hist.val_loss[-1])
    fig = plot_history(hist, title="tiny")
    assert len(fig.axes) == 2 and fig.axes[0].get_ylabel() == "loss"
    fig.savefig(tmp_path / "h.png")
    assert History.from_dict(hist.to_dict()) == hist


def test_plateau_scheduler_and_float64_model():
    seed_everything(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 6)).double()  # float32 data is cast
    train, _ = loaders()
    opt = make_optimizer("sgd", model.parameters(), lr=1e-6)
    sched = make_scheduler("plateau", opt, patience=0)
    hist = fit(model, train, epochs=3, optimizer=opt, scheduler=sched, progress=False, device="cpu")
    assert hist.lr[-1] < hist.lr[0]                                  # no progress -> lr / 10
    assert math.isnan(hist.val_accuracy[0])


def test_fit_bad_input():
    model = tiny_model()
    train, _ = loaders()
    opt = make_optimizer("sgd", model.parameters())
    with pytest.raises(ValueError, match="epochs"):
        fit(model, train, epochs=-1, optimizer=opt)
    with pytest.raises(TypeError, match="optimizer"):
        fit(model, train, epochs=1, optimizer="sgd")
    with pytest.raises(TypeError, match="train_loader"):
        fit(model, torch.zeros(3), epochs=1, optimizer=opt)
    with pytest.raises(TypeError, match="model"):
        fit("lenet5", train, epochs=1, optimizer=opt)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, [], epochs=1, optimizer=opt, progress=False, device="cpu")
