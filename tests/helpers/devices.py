"""Catch, on a CPU-only machine, the tensor creations that break on a GPU.

``DeviceChecker`` is a TorchFunctionMode that watches every torch factory call (``torch.rand``,
``zeros``, ``arange``, ...) made from cnnlab's own code and records two kinds of mistake:

1. no ``device=``: the tensor lands on the default device (the CPU) whatever the inputs' device is,
   so ``x_cuda + torch.randn(shape)`` fails, but only on a GPU;
2. a ``generator=`` on one device and ``device=`` another: torch refuses this on CUDA ("Expected a
   'cuda' device type for generator but found 'cpu'") but not for torch's ``meta`` device, so the
   checker applies CUDA's rule itself.

Run the code with inputs on ``meta`` (a second device every CPU has, shapes only) to see rule 2
and wrong output devices; code that needs values runs on the CPU, where rule 1 still holds.
Imports only torch (the CUDA suite runs without the dev extras).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

import cnnlab
import cnnlab.models as M

FACTORIES = {"rand", "randn", "randint", "randperm", "zeros", "ones", "empty", "full", "arange", "linspace",
             "logspace", "eye", "tensor", "as_tensor", "normal", "bernoulli"}
CNNLAB = str(Path(cnnlab.__file__).resolve().parent)


def _caller() -> str | None:
    """file:line of the code that called the factory when it is cnnlab's own, else None.

    Only direct calls count: torch's modules create their parameters with ``torch.empty`` and are
    moved as a whole, which is right; the mistake is cnnlab's own ``torch.randn(shape)``.
    """
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(("overrides.py", "_device.py")):
        frame = frame.f_back                               # torch's dispatch wrappers
    if frame is None or not frame.f_code.co_filename.startswith(CNNLAB):
        return None
    return f"{Path(frame.f_code.co_filename).relative_to(Path(CNNLAB).parent)}:{frame.f_lineno}"


class DeviceChecker(TorchFunctionMode):
    """``with DeviceChecker() as check: ...`` then ``assert not check.problems, check.problems``."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in FACTORIES and getattr(func, "__module__", "") in ("torch", "torch._C._VariableFunctions", None):
            where = _caller()
            if where is not None:
                device = kwargs.get("device")
                generator = kwargs.get("generator")
                if device is None:
                    self.problems.append(f"{where}: torch.{name} without device=")
                elif generator is not None and torch.device(device).type != generator.device.type:
                    self.problems.append(f"{where}: torch.{name} with a {generator.device.type} generator "
                                         f"but device={torch.device(device)} (CUDA refuses this)")
        return func(*args, **kwargs)


# name -> (factory, input shape (N, C, H, W) or (N, D)); small variants, so that they also run on a CPU.
SMALL_MODELS = {
    "lenet5_28": (lambda: M.lenet5(padding=2), (2, 1, 28, 28)),
    "lenet5_modern": (lambda: M.lenet5(variant="modern"), (2, 1, 32, 32)),
    "small_alexnet": (lambda: M.small_alexnet(), (2, 3, 32, 32)),
    "small_vgg": (lambda: M.small_vgg(batch_norm=True), (2, 3, 32, 32)),
    "small_resnet18": (lambda: M.small_resnet18(), (2, 3, 32, 32)),
    "small_plain18": (lambda: M.small_plain18(), (2, 3, 32, 32)),
    "small_googlenet_aux": (lambda: M.small_googlenet(aux_logits=True), (2, 3, 32, 32)),
    "small_allconvnet": (lambda: M.small_allconvnet(), (2, 3, 32, 32)),
    "fc_autoencoder_tied": (lambda: M.FCAutoencoder(784, (64, 16), tied=True), (2, 784)),
    "denoising_autoencoder": (lambda: M.DenoisingAutoencoder(784, (64, 16), noise="salt_and_pepper"), (2, 784)),
    "conv_autoencoder": (lambda: M.ConvAutoencoder(), (2, 1, 28, 28)),
}
