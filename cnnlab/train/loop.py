"""The training loop: ``fit`` (one function, every epoch the same five steps), ``evaluate``, History.

One step of ``fit``: move a batch to the device, (optionally) augment it, forward under autocast,
backward through the GradScaler, optimiser step. After each epoch: evaluate, step the schedule,
record the History, write the checkpoint. Under torchrun the model is wrapped in DDP and each
process reads its own shard (see ``cnnlab.train.distributed``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from . import distributed as dist_
from .checkpoint import load_checkpoint, save_checkpoint
from .device import amp_dtype, autocast, get_device, grad_scaler, model_device, placed
from .metrics import topk_correct


@dataclasses.dataclass
class History:
    """Per-epoch record of a run: one list entry per completed epoch (epochs counted from 1).

    ``val_*`` entries are NaN when ``fit`` had no ``val_loader``; ``val_top5_error`` is NaN with
    fewer than 5 classes. Accuracies and errors are fractions in [0, 1].
    """

    epoch: list[int] = dataclasses.field(default_factory=list)
    train_loss: list[float] = dataclasses.field(default_factory=list)
    train_accuracy: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_accuracy: list[float] = dataclasses.field(default_factory=list)
    val_top5_error: list[float] = dataclasses.field(default_factory=list)
    lr: list[float] = dataclasses.field(default_factory=list)
    seconds: list[float] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.epoch)

    def append(self, **row: float) -> None:
        """Add one epoch's numbers (every field must be given)."""
        for f in dataclasses.fields(self):
            getattr(self, f.name).append(row[f.name])

    def to_dict(self) -> dict[str, list]:
        """Plain dict of lists (what the checkpoint stores)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, list] | None) -> "History":
        """Inverse of ``to_dict`` (None gives an empty History)."""
        names = [f.name for f in dataclasses.fields(cls)]
        return cls(**{k: list(d[k]) for k in names}) if d else cls()


def _check_loader(fn: str, name: str, loader: Any) -> None:
    if not isinstance(loader, Iterable) or isinstance(loader, (torch.Tensor, str)):
        raise TypeError(f"{fn}: {name} must be a DataLoader (or an iterable of (x, y) batches), "
                        f"got {type(loader).__name__}")


def _to_device(x: torch.Tensor, y: torch.Tensor, device: torch.device, dtype: torch.dtype):
    x = x.to(device, non_blocking=True)
    if x.is_floating_point() and x.dtype != dtype:
        x = x.to(dtype)                      # e.g. float32 data into a float64 model
    return x, y.to(device, non_blocking=True)


def _param_dtype(model: nn.Module) -> torch.dtype:
    p = next(iter(model.parameters()), None)
    return p.dtype if p is not None else torch.get_default_dtype()


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    val_loader: DataLoader | None = None,
    device: str | torch.device | None = None,
    amp: bool | str = False,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    checkpoint: str | None = None,
    resume: str | None = None,
    progress: bool = True,
    seed: int = 0,
) -> History:
    """Train ``model`` in place for ``epochs`` epochs in total and return the History.

    train_loader yields (x, y) with x: (N, ...) and y: (N,) class indices (the default loss is
    cross-entropy on logits (N, K)). ``scheduler`` is stepped once per epoch (ReduceLROnPlateau gets
    the validation accuracy, or the training accuracy without a val_loader). ``transform`` maps a
    batch x to an augmented batch on the device (see ``cnnlab.train.augment``). ``device``: where to
    train (None: ``get_device()``, the GPU when there is one); the model is moved there and stays
    there. ``amp``: autocast on CUDA only, True or "fp16" for float16 (with a GradScaler), "bf16"
    for bfloat16. ``checkpoint``: path written after every epoch; ``resume``: path
    to continue from (the run then ends exactly where an uninterrupted one would). ``seed`` seeds
    the DistributedSampler's shuffling under torchrun.
    """
    fn = "fit"
    if not isinstance(model, nn.Module):
        raise TypeError(f"{fn}: model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"{fn}: epochs must be an int >= 0, got {epochs!r}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"{fn}: optimizer must be a torch.optim.Optimizer (see make_optimizer), "
                        f"got {type(optimizer).__name__}")
    _check_loader(fn, "train_loader", train_loader)
    if val_loader is not None:
        _check_loader(fn, "val_loader", val_loader)
    amp_dtype(amp)                                  # a bad amp fails before anything runs
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    device = dist_.local_device(get_device(device))
    created_group = dist_.setup(device)
    try:
        return _fit(model, train_loader, epochs, optimizer, scheduler, loss_fn, val_loader,
                    device, amp, transform, checkpoint, resume, progress, seed)
    finally:
        if created_group:
            dist_.teardown()


def _generators(loader: Any, transform: Any) -> dict[str, torch.Generator]:
    """Torch Generators whose state a checkpoint must carry for an exact resume."""
    gens = {}
    for name, owner in (("loader", loader), ("sampler", getattr(loader, "sampler", None)),
                        ("transform", transform)):
        g = getattr(owner, "generator", None)
        if isinstance(g, torch.Generator) and all(g is not h for h in gens.values()):
            gens[name] = g
    return gens


def _fit(model, train_loader, epochs, optimizer, scheduler, loss_fn, val_loader, device, amp,
         transform, checkpoint, resume, progress, seed) -> History:
    from tqdm.auto import tqdm

    model.to(device)
    scaler = grad_scaler(device, amp)
    generators = _generators(train_loader, transform)
    history, start = History(), 0
    if resume is not None:
        ckpt = load_checkpoint(resume, model=model, optimizer=optimizer, scheduler=scheduler,
                               scaler=scaler, generators=generators, map_location=device)
        history, start = History.from_dict(ckpt["history"]), ckpt["epoch"]
    net = dist_.wrap_model(model, device)
    loader = dist_.shard_loader(train_loader, seed=seed) if hasattr(train_loader, "dataset") else train_loader
    dtype, main = _param_dtype(model), dist_.is_main_process()
    for epoch in range(start, epochs):
        t0 = time.perf_counter()
        if isinstance(getattr(loader, "sampler", None), DistributedSampler):
            loader.sampler.set_epoch(epoch)
        net.train()
        total, correct, count = 0.0, 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not (progress and main),
                   leave=True, dynamic_ncols=True)
        for x, y in bar:
            x, y = _to_device(x, y, device, dtype)
            if transform is not None:
                x = transform(x)
            with autocast(device, amp):
                out = net(x)
                loss = loss_fn(out, y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            n = y.shape[0]
            total += loss.item() * n
            count += n
            if out.ndim == 2 and y.ndim == 1:
                correct += (out.argmax(dim=1) == y).sum().item()
            bar.set_postfix(loss=f"{total / count:.4f}", acc=f"{correct / count:.3f}")
        total, correct, count = dist_.all_reduce_sum([total, correct, float(count)], device)
        if count == 0:
            raise ValueError(f"fit: train_loader produced no batches in epoch {epoch + 1}")
        train_loss, train_acc = total / count, correct / count
        val = evaluate(model, val_loader, device=device, loss_fn=loss_fn, amp=amp) if val_loader is not None else {}
        lr = optimizer.param_groups[0]["lr"]
        _step_scheduler(scheduler, val.get("accuracy", train_acc))
        history.append(epoch=epoch + 1, train_loss=train_loss, train_accuracy=train_acc,
                       val_loss=val.get("loss", math.nan), val_accuracy=val.get("accuracy", math.nan),
                       val_top5_error=val.get("top5_error", math.nan), lr=lr,
                       seconds=time.perf_counter() - t0)
        if val:
            bar.set_postfix(loss=f"{train_loss:.4f}", acc=f"{train_acc:.3f}",
                            val_loss=f"{val['loss']:.4f}", val_acc=f"{val['accuracy']:.3f}")
        bar.close()
        if checkpoint is not None and main:
            save_checkpoint(checkpoint, model=model, optimizer=optimizer, scheduler=scheduler,
                            scaler=scaler, epoch=epoch + 1, history=history.to_dict(),
                            generators=generators)
    return history


def _step_scheduler(scheduler: Any, metric: float) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(metric)
    else:
        scheduler.step()


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: DataLoader,
    *,
    device: str | torch.device | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    amp: bool | str = False,
    ten_crop: int | None = None,
) -> dict[str, float]:
    """Loss, accuracy, top-1 and top-5 error of ``model`` over ``loader`` (eval mode, no grad).

    Returns dict(loss, accuracy, top1_error, top5_error); errors and accuracy are fractions in
    [0, 1]; top5_error is NaN with fewer than 5 classes. With ``ten_crop=S`` each image is scored
    by AlexNet's test-time averaging over ten S x S crops (``augment.ten_crop_predict``), and the
    loss is the negative log of the averaged probability. It runs on ``device`` (None: where the
    model is); a model moved there for the evaluation is put back afterwards.
    """
    from .augment import ten_crop_predict

    if not isinstance(model, nn.Module):
        raise TypeError(f"evaluate: model must be a torch.nn.Module, got {type(model).__name__}")
    _check_loader("evaluate", "loader", loader)
    device = model_device(model) if device is None else get_device(device)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    was_training = model.training
    dtype = _param_dtype(model)
    total, top1, top5, count, classes = 0.0, 0.0, 0.0, 0, 0
    with placed(model, device):
        model.eval()
        try:
            for x, y in loader:
                x, y = _to_device(x, y, device, dtype)
                with autocast(device, amp):
                    if ten_crop is None:
                        out = model(x)
                        loss = loss_fn(out, y)
                    else:
                        probs = ten_crop_predict(model, x, ten_crop)
                        out = probs.clamp_min(1e-12).log()
                        loss = nn.functional.nll_loss(out, y)
                out = out.float()
                n, classes = y.shape[0], out.shape[1]
                total += loss.item() * n
                top1 += topk_correct(out, y, 1).sum().item()
                if classes >= 5:
                    top5 += topk_correct(out, y, 5).sum().item()
                count += n
        finally:
            model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: loader produced no batches")
    return {"loss": total / count, "accuracy": top1 / count, "top1_error": 1.0 - top1 / count,
            "top5_error": 1.0 - top5 / count if classes >= 5 else math.nan}


def plot_history(history: History, *, title: str | None = None) -> "matplotlib.figure.Figure":  # noqa: F821
    """Training curves: loss (left) and accuracy (right) per epoch, train and validation.

    Returns a matplotlib Figure (built without pyplot, so it works on any backend and shows
    itself in a notebook as the last expression of a cell).
    """
    from matplotlib.figure import Figure

    if not isinstance(history, History):
        raise TypeError(f"plot_history: history must be a History (from fit), got {type(history).__name__}")
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(history.epoch, getattr(history, f"train_{key}"), "o-", label="train")
        val = getattr(history, f"val_{key}")
        if any(not math.isnan(v) for v in val):
            ax.plot(history.epoch, val, "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig
