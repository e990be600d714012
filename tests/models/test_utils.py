"""cnnlab/models/_utils.py: the hooked forward pass that summary and diagram trace models with."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from cnnlab.models._utils import run_hooked  # noqa: E402

pytestmark = pytest.mark.torch


def test_hooks_see_the_pass_in_the_asked_mode_and_are_removed():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.ReLU())
    seen = []
    hook = lambda module, inputs, output: seen.append((type(module).__name__, module.training,  # noqa: E731
                                                       output.requires_grad))
    model.train()
    run_hooked(model, torch.ones(2, 3), [(model[0], hook), (model[1], hook)])
    assert seen == [("Linear", False, False), ("Dropout", False, False)]     # eval, no gradients
    assert model.training and not model[0]._forward_hooks                    # mode and hooks restored
    seen.clear()
    model.eval()
    run_hooked(model, torch.ones(2, 3), [(model[1], hook)], training=True)
    assert seen == [("Dropout", True, False)] and not model.training


def test_a_failing_pass_still_restores_the_model():
    model = nn.Sequential(nn.Linear(3, 4))
    model.train()
    with pytest.raises(RuntimeError):
        run_hooked(model, torch.ones(2, 5), [(model[0], lambda *args: None)])   # wrong width
    assert model.training and not model[0]._forward_hooks
