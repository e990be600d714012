"""Helpers shared by the tests of cnnlab.models (imported as ``from helpers.models import ...``)."""

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from helpers.tolerances import TORCH_TOL  # noqa: E402  (float64 parity with torch)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One torch thread: the models here are tiny, and extra threads only contend on a busy CI box."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def n_params(model: "torch.nn.Module") -> int:
    """Number of parameters (each shared tensor once)."""
    return sum(p.numel() for p in model.parameters())


def overfit_one_batch(model: "torch.nn.Module", x: "torch.Tensor", y: "torch.Tensor", *, steps: int = 50,
                      lr: float = 1e-3) -> tuple[float, float]:
    """Train on the single batch (x, y) with Adam; return (first loss, last loss)."""
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses[0], losses[-1]


def fit_reconstruction(model: "torch.nn.Module", x: "torch.Tensor", *, steps: int = 200, lr: float = 1e-2) -> float:
    """Train an autoencoder to reproduce x (Adam, MSE) and return the last loss."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.mse_loss(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()
