"""Transfer learning, the notes' three options: cut a trained network at some layer, freeze its
weights or give them their own (smaller) learning rate, and put a new head on top, which may be a
new linear layer or a linear SVM trained on the extracted features.

Parameter names are matched by prefix at a dot boundary: "fc" matches "fc.weight" and "fc.bias"
but not "fc2.weight"; "features.0" matches the first layer of a Sequential called features.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import torch
from torch import nn


def _names(fn: str, arg: str, names: str | Iterable[str] | None) -> tuple[str, ...]:
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    names = tuple(names)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{fn}: {arg} must be a name or a list of names, got {names!r}")
    return names


def _matches(name: str, prefix: str) -> bool:
    return prefix == "" or name == prefix or name.startswith(prefix + ".")


def _check_prefixes(fn: str, arg: str, model: nn.Module, prefixes: tuple[str, ...]) -> None:
    names = [n for n, _ in model.named_parameters()]
    for p in prefixes:
        if not any(_matches(n, p) for n in names):
            raise ValueError(f"{fn}: {arg} names {p!r}, which matches no parameter of the model "
                             f"(parameters: {', '.join(names[:6])}{', ...' if len(names) > 6 else ''})")


def freeze(model: nn.Module, *, except_: str | Iterable[str] | None = None, **kwargs: Any) -> nn.Module:
    """Stop gradients (requires_grad=False) for every parameter except those under ``except_``.

    ``except_`` (also accepted as ``**{"except": ...}``) is a name or list of names, e.g.
    ``freeze(model, except_="fc")`` to train only the head. Returns the model, changed in place.
    BatchNorm running statistics still update in train mode; call ``.eval()`` on those layers
    to fix them too.
    """
    if kwargs.keys() - {"except"}:
        raise TypeError(f"freeze: unexpected keyword arguments {sorted(kwargs.keys() - {'except'})}")
    keep = _names("freeze", "except_", kwargs.get("except", except_))
    _check_prefixes("freeze", "except_", model, keep)
    for name, p in model.named_parameters():
        p.requires_grad_(any(_matches(name, k) for k in keep))
    return model


def unfreeze(model: nn.Module) -> nn.Module:
    """Make every parameter trainable again. Returns the model."""
    for p in model.parameters():
        p.requires_grad_(True)
    return model


def find_head(model: nn.Module) -> str:
    """Dotted name of the model's classifier head: its last nn.Linear (in module order)."""
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last = name
    if last is None:
        raise ValueError(f"find_head: {type(model).__name__} has no nn.Linear layer to serve as the head")
    return last


def replace_head(model: nn.Module, num_classes: int, *, head: str | None = None) -> nn.Module:
    """Swap the head (the last nn.Linear, or the module named ``head``) for a fresh
    nn.Linear(in_features, num_classes) with the same dtype and device. Returns the model.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"replace_head: num_classes must be a positive int, got {num_classes!r}")
    name = head if head is not None else find_head(model)
    old = model.get_submodule(name)
    if not isinstance(old, nn.Linear):
        raise ValueError(f"replace_head: head={name!r} is a {type(old).__name__}, not an nn.Linear")
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None,
                    device=old.weight.device, dtype=old.weight.dtype)
    parent_name, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, attr, new)
    return model


def param_groups(model: nn.Module, lrs: Mapping[str, float], *, default_lr: float | None = None,
                 trainable_only: bool = True) -> list[dict[str, Any]]:
    """Parameter groups with their own learning rates, for ``make_optimizer``/torch.optim.

    ``lrs`` maps a name prefix to a learning rate, e.g. ``{"fc": 1e-2, "layer4": 1e-3}``; a parameter
    goes to the first prefix it matches. The rest form a last group with ``default_lr`` (left out
    when ``default_lr`` is None, i.e. those parameters are not optimised). Frozen parameters are
    skipped when ``trainable_only``.
    """
    prefixes = tuple(lrs)
    _check_prefixes("param_groups", "lrs", model, prefixes)
    groups: dict[str, list[nn.Parameter]] = {p: [] for p in prefixes}
    rest: list[nn.Parameter] = []
    for name, p in model.named_parameters():
        if trainable_only and not p.requires_grad:
            continue
        key = next((k for k in prefixes if _matches(name, k)), None)
        (groups[key] if key is not None else rest).append(p)
    out = [{"params": ps, "lr": float(lrs[k]), "name": k} for k, ps in groups.items() if ps]
    if default_lr is not None and rest:
        out.append({"params": rest, "lr": float(default_lr), "name": "default"})
    if not out:
        raise ValueError("param_groups: no trainable parameter matched; nothing to optimise")
    return out


@torch.no_grad()
def extract_features(model: nn.Module, loader: Iterable, *, layer: str | None = None,
                     device: str | torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Features of every sample in ``loader``: the input to the head (default) or the output of ``layer``.

    Returns (features (N, D) float32 on the CPU, flattened per sample, and labels (N,)). The model
    runs in eval mode on ``device`` (None: where it is); its mode and place are restored afterwards.
    """
    from .device import get_device, model_device, placed

    device = model_device(model) if device is None else get_device(device)
    name = layer if layer is not None else find_head(model)
    try:
        module = model.get_submodule(name)
    except AttributeError:
        raise ValueError(f"extract_features: layer={name!r} is not a submodule of the model") from None
    captured: list[torch.Tensor] = []

    def hook(_m, inputs, output):
        captured.append((inputs[0] if layer is None else output).detach().flatten(1).float().cpu())

    handle = module.register_forward_hook(hook)
    was_training = model.training
    dtype = next(model.parameters()).dtype
    feats, labels = [], []
    with placed(model, device):
        model.eval()
        try:
            for x, y in loader:
                captured.clear()
                model(x.to(device, dtype))
                feats.append(captured[-1])
                labels.append(y.cpu())
        finally:
            handle.remove()
            model.train(was_training)
    return torch.cat(feats), torch.cat(labels)


def linear_svm(features: torch.Tensor, labels: torch.Tensor, *, C: float = 1.0, seed: int = 0) -> Any:
    """A linear SVM head (sklearn LinearSVC after feature standardisation) fitted on features (N, D).

    Returns the fitted sklearn pipeline: ``.predict(f)``, ``.score(f, y)`` take numpy arrays or tensors.
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    f = features.detach().cpu().numpy() if isinstance(features, torch.Tensor) else features
    y = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else labels
    if f.ndim != 2 or y.ndim != 1 or f.shape[0] != y.shape[0]:
        raise ValueError(f"linear_svm: features must be (N, D) and labels (N,), got {f.shape} and {y.shape}")
    svm = make_pipeline(StandardScaler(), LinearSVC(C=C, random_state=seed, max_iter=5000))
    return svm.fit(f, y)
