"""Optimiser and learning-rate schedule factories (thin wrappers over torch.optim).

The defaults are AlexNet's recipe from the notes: SGD, lr 0.01, momentum 0.9, weight decay 5e-4,
learning rate divided by 10 when the validation accuracy plateaus (or every ``step_size`` epochs).
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = ("none", "step", "multistep", "plateau", "cosine")


def make_optimizer(
    name: str,
    params: Iterable[torch.nn.Parameter] | Iterable[dict[str, Any]],
    *,
    lr: float | None = None,
    momentum: float = 0.9,
    weight_decay: float | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    nesterov: bool = False,
) -> torch.optim.Optimizer:
    """A torch optimiser by name: "sgd" (with momentum), "adam" or "adamw".

    ``params`` is ``model.parameters()`` or a list of parameter groups (see ``param_groups``).
    Defaults: sgd lr=0.01, momentum=0.9, weight_decay=5e-4 (AlexNet); adam lr=1e-3, weight_decay=0;
    adamw lr=1e-3, weight_decay=0.01.
    """
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: name={name!r} is not one of {', '.join(OPTIMIZERS)}")
    if lr is not None and not lr > 0:
        raise ValueError(f"make_optimizer: lr must be positive, got {lr}")
    if key == "sgd":
        return torch.optim.SGD(params, lr=0.01 if lr is None else lr, momentum=momentum,
                               weight_decay=5e-4 if weight_decay is None else weight_decay,
                               nesterov=nesterov)
    cls = torch.optim.Adam if key == "adam" else torch.optim.AdamW
    default_wd = 0.0 if key == "adam" else 0.01
    return cls(params, lr=1e-3 if lr is None else lr, betas=betas,
               weight_decay=default_wd if weight_decay is None else weight_decay)


def make_scheduler(
    name: str | None,
    optimizer: torch.optim.Optimizer,
    *,
    step_size: int = 10,
    milestones: Iterable[int] = (),
    gamma: float = 0.1,
    patience: int = 2,
    epochs: int | None = None,
) -> Any:
    """A per-epoch learning-rate schedule by name, or None for "none".

    "step": lr *= gamma every ``step_size`` epochs; "multistep": at each of ``milestones``;
    "plateau": lr *= gamma when the monitored validation accuracy stops rising for ``patience``
    epochs (``fit`` passes it the accuracy); "cosine": cosine annealing over ``epochs``.
    """
    key = "none" if name is None else str(name).lower()
    if key not in SCHEDULERS:
        raise ValueError(f"make_scheduler: name={name!r} is not one of {', '.join(SCHEDULERS)}")
    sched = torch.optim.lr_scheduler
    if key == "none":
        return None
    if key == "step":
        return sched.StepLR(optimizer, step_size=step_size, gamma=gamma)
    if key == "multistep":
        return sched.MultiStepLR(optimizer, milestones=list(milestones), gamma=gamma)
    if key == "plateau":
        return sched.ReduceLROnPlateau(optimizer, mode="max", factor=gamma, patience=patience)
    if epochs is None or epochs < 1:
        raise ValueError(f"make_scheduler: 'cosine' needs epochs >= 1, got epochs={epochs}")
    return sched.CosineAnnealingLR(optimizer, T_max=epochs)
