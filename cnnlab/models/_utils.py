"""Checks, weight initialisation, hooked forward passes and the random-draw device shared by every
model family (private).

``draw_device`` also serves ``cnnlab.train`` (augmentation, pretraining): one rule for where noise is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn


def check_factory_args(name: str, *, num_classes: int, in_channels: int) -> None:
    """Raise ValueError unless ``num_classes`` and ``in_channels`` are positive integers."""
    for arg, value in (("num_classes", num_classes), ("in_channels", in_channels)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}: {arg} must be an int, got {type(value).__name__} ({value!r})")
        if value < 1:
            raise ValueError(f"{name}: {arg} must be >= 1, got {value}")


def check_input(name: str, x: torch.Tensor, *, in_channels: int, size: tuple[int, int] | None = None) -> None:
    """Raise ValueError unless x is an image batch (N, in_channels, H, W) (of spatial ``size`` if given)."""
    if x.dim() != 4:
        raise ValueError(f"{name}: expected x of shape (N, {in_channels}, H, W), got x.shape={tuple(x.shape)}")
    if x.shape[1] != in_channels:
        raise ValueError(
            f"{name}: x has {x.shape[1]} channels but the model expects in_channels={in_channels} "
            f"(x.shape={tuple(x.shape)})"
        )
    if size is not None and tuple(x.shape[-2:]) != tuple(size):
        raise ValueError(
            f"{name}: expected {size[0]}x{size[1]} inputs, got x.shape={tuple(x.shape)}"
        )


def init_weights(model: nn.Module, *, linear_std: float | None = 0.01) -> None:
    """torchvision's initialisation, written out.

    Convolutions (and transposed ones): He normal (fan_out, ReLU gain), bias 0. Batch norm: weight 1,
    bias 0. Linear: normal(0, linear_std), bias 0 (``linear_std=None`` keeps torch's default).
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0.0, linear_std)
            nn.init.zeros_(m.bias)


def conv_out(n: int, kernel_size: int, stride: int = 1, padding: int = 0, *, ceil_mode: bool = False) -> int:
    """Output size (n + 2p - k) / s + 1, rounded down (up with ``ceil_mode``, like torch's pooling)."""
    span = n + 2 * padding - kernel_size
    steps = -(-span // stride) if ceil_mode else span // stride
    if ceil_mode and steps * stride >= n + padding:  # torch: the last window must start inside the input
        steps -= 1
    if steps < 0:
        raise ValueError(f"a {kernel_size}x{kernel_size} window does not fit a {n}x{n} input (padding {padding})")
    return steps + 1


def draw_device(generator: torch.Generator | None) -> torch.device:
    """Where random numbers are drawn: the generator's device, the CPU for torch's global generator.

    Callers draw there and move the result to the data's device, so a seed gives the same numbers
    on CPU, CUDA and MPS (a CPU generator cannot draw on CUDA at all).
    """
    return generator.device if generator is not None else torch.device("cpu")


def run_hooked(model: nn.Module, x: torch.Tensor, hooks: Iterable[tuple[nn.Module, Callable]], *,
               training: bool = False) -> None:
    """One forward pass of ``model`` on ``x`` without gradients, with forward ``hooks`` (module, hook)
    registered for its duration, in train or eval mode; the model's mode is restored and the hooks
    removed, whatever happens (summary and diagram trace models this way)."""
    handles = [module.register_forward_hook(hook) for module, hook in hooks]
    was_training = model.training
    try:
        model.train(training)
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
