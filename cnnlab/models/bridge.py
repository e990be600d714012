"""The numpy reference inside torch: differentiable functions and nn.Modules around ``cnnlab.functional``.

``numpy_op(forward, backward)`` turns any pair written the course's way into an autograd function:
its forward converts the tensors to numpy, calls ``<op>_forward`` and keeps the cache; its backward
calls ``<op>_backward`` on that cache. The reference ops (``conv2d``, ``linear``, ``max_pool2d``,
``avg_pool2d``, ``relu``, ``tanh``, ``sigmoid``) are built with it, and so is a student's own pair;
only batch norm keeps a hand-written Function (``BatchNormFunction``), since it also writes the new
running statistics into the layer's buffers. So numpy layers can sit inside a torch model, be
checked with ``torch.autograd.gradcheck`` (float64), and be trained by a torch optimiser.
``NumpyConv2d`` and friends subclass the torch layers (same parameters, same ``state_dict``);
``numpy_twin(model)`` returns a copy of a model whose supported layers run on numpy. Tensors go
through the CPU (numpy); the result comes back on the input's device and dtype.
"""

from __future__ import annotations

import copy
from typing import Callable, Optional

import numpy as np
import torch
from torch import nn
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from cnnlab.functional.activations import (relu_backward, relu_forward, sigmoid_backward, sigmoid_forward,
                                           tanh_backward, tanh_forward)
from cnnlab.functional.conv import conv2d_backward, conv2d_forward
from cnnlab.functional.fully_connected import linear_backward, linear_forward
from cnnlab.functional.norm import batchnorm_backward, batchnorm_forward
from cnnlab.functional.pooling import (avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward,
                                       max_pool2d_forward)

__all__ = ["numpy_op", "conv2d", "linear", "max_pool2d", "avg_pool2d", "relu", "tanh", "sigmoid",
           "BatchNormFunction", "NumpyConv2d", "NumpyLinear", "NumpyMaxPool2d",
           "NumpyAvgPool2d", "NumpyReLU", "NumpyTanh", "NumpySigmoid", "NumpyBatchNorm1d", "NumpyBatchNorm2d",
           "numpy_twin"]


# Both conversions copy: a numpy cache must not share memory with a tensor that torch code may later
# change in place (``out += identity``, an optimiser step), or the backward would silently go wrong.
def _np(t: Optional[torch.Tensor]) -> Optional[np.ndarray]:
    return None if t is None else t.detach().cpu().numpy().copy()


def _torch(a: Optional[np.ndarray], like: torch.Tensor) -> Optional[torch.Tensor]:
    if a is None:
        return None
    return torch.tensor(np.asarray(a), device=like.device, dtype=like.dtype)


class BatchNormFunction(Function):
    """batchnorm_forward / batchnorm_backward.

    apply(x, weight, bias, running_mean, running_var, training, momentum, eps). In training mode the
    new running statistics are written into the ``running_mean`` and ``running_var`` buffers, as
    torch's batch_norm does; gradients flow to x, weight and bias.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):  # type: ignore[override]
        out, ctx.cache, (mean, var) = batchnorm_forward(
            _np(x), _np(weight), _np(bias), running_mean=_np(running_mean), running_var=_np(running_var),
            training=training, momentum=momentum, eps=eps)
        if training:
            running_mean.copy_(torch.from_numpy(np.asarray(mean)))
            running_var.copy_(torch.from_numpy(np.asarray(var)))
        return _torch(out, x)

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):  # type: ignore[override]
        dx, dgamma, dbeta = batchnorm_backward(_np(dout), ctx.cache)
        return _torch(dx, dout), _torch(dgamma, dout), _torch(dbeta, dout), None, None, None, None, None


def numpy_op(forward: Callable, backward: Callable) -> Callable[..., torch.Tensor]:
    """Turn any pair written the course's way into a differentiable torch function.

    ``out, cache = forward(*arrays, **hyper)`` and ``grads = backward(dout, cache)`` (one gradient,
    or a tuple in input order, None for inputs without one), e.g. a student's conv2d_forward /
    conv2d_backward. Returns ``f(*tensors, **hyper) -> tensor``; None tensors pass through as None.
    ``torch.autograd.gradcheck(f, tensors)`` then checks the student's backward against finite
    differences of their own forward.
    """

    class NumpyOp(Function):
        @staticmethod
        def forward(ctx, hyper, *tensors):  # type: ignore[override]
            out, ctx.cache = forward(*(_np(t) for t in tensors), **hyper)
            ctx.given = [t is not None for t in tensors]
            return _torch(out, next(t for t in tensors if t is not None))

        @staticmethod
        @once_differentiable
        def backward(ctx, dout):  # type: ignore[override]
            grads = backward(_np(dout), ctx.cache)
            grads = grads if isinstance(grads, tuple) else (grads,)
            # an input passed as None (a conv without bias) gets None, whatever the backward returned
            return (None, *(_torch(g, dout) if given else None for g, given in zip(grads, ctx.given)))

    NumpyOp.__name__ = NumpyOp.__qualname__ = f"NumpyOp[{getattr(forward, '__name__', 'forward')}]"

    def apply(*tensors: Optional[torch.Tensor], **hyper) -> torch.Tensor:
        return NumpyOp.apply(hyper, *tensors)

    return apply


# The reference ops as differentiable torch functions, each built by numpy_op from its pair.
# Hyper-parameters are keywords: conv2d(x, w, b, stride=1, padding=0, dilation=1, groups=1),
# max_pool2d(x, kernel_size=2, stride=None, padding=0). (Batch norm keeps its own Function above:
# it also writes the running statistics into torch buffers.)
conv2d = numpy_op(conv2d_forward, conv2d_backward)
linear = numpy_op(linear_forward, linear_backward)
max_pool2d = numpy_op(max_pool2d_forward, max_pool2d_backward)
avg_pool2d = numpy_op(avg_pool2d_forward, avg_pool2d_backward)
relu = numpy_op(relu_forward, relu_backward)
tanh = numpy_op(tanh_forward, tanh_backward)
sigmoid = numpy_op(sigmoid_forward, sigmoid_backward)


def _unsupported(layer: nn.Module, what: str) -> None:
    raise ValueError(f"{type(layer).__name__}: the numpy reference does not support {what}")


class NumpyConv2d(nn.Conv2d):
    """nn.Conv2d computed by cnnlab.functional.conv (zero padding only, no padding="same")."""

    def check(self) -> None:
        """Raise ValueError for options the numpy op lacks."""
        if isinstance(self.padding, str) or self.padding_mode != "zeros":
            _unsupported(self, f"padding={self.padding!r}, padding_mode={self.padding_mode!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding, dilation=self.dilation,
                      groups=self.groups)


class NumpyLinear(nn.Linear):
    """nn.Linear computed by cnnlab.functional.fully_connected (x: (N, D_in))."""

    def check(self) -> None:
        """Nothing to check: every nn.Linear is supported."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)


class _NumpyPool:
    def check(self) -> None:
        """Raise ValueError for options the numpy op lacks."""
        if getattr(self, "ceil_mode", False) or getattr(self, "dilation", 1) not in (1, (1, 1)):
            _unsupported(self, "ceil_mode=True or dilation > 1")
        if getattr(self, "return_indices", False) or getattr(self, "divisor_override", None):
            _unsupported(self, "return_indices or divisor_override")
        if getattr(self, "count_include_pad", True) is False:
            _unsupported(self, "count_include_pad=False")

    def _hyper(self) -> dict:
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding)


class NumpyMaxPool2d(_NumpyPool, nn.MaxPool2d):
    """nn.MaxPool2d computed by cnnlab.functional.pooling (no ceil mode, no dilation)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return max_pool2d(x, **self._hyper())


class NumpyAvgPool2d(_NumpyPool, nn.AvgPool2d):
    """nn.AvgPool2d computed by cnnlab.functional.pooling (count_include_pad=True, no ceil mode)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return avg_pool2d(x, **self._hyper())


class _NumpyActivation:
    fn: staticmethod

    def check(self) -> None:
        """In-place is ignored: the numpy op always returns a new array."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


class NumpyReLU(_NumpyActivation, nn.ReLU):
    """nn.ReLU computed by cnnlab.functional.activations (never in place)."""

    fn = staticmethod(relu)


class NumpyTanh(_NumpyActivation, nn.Tanh):
    """nn.Tanh computed by cnnlab.functional.activations."""

    fn = staticmethod(tanh)


class NumpySigmoid(_NumpyActivation, nn.Sigmoid):
    """nn.Sigmoid computed by cnnlab.functional.activations."""

    fn = staticmethod(sigmoid)


class _NumpyBatchNorm:
    def check(self) -> None:
        """Raise ValueError for options the numpy op lacks."""
        if not (self.affine and self.track_running_stats) or self.momentum is None:
            _unsupported(self, "affine=False, track_running_stats=False or momentum=None")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.num_batches_tracked.add_(1)
        return BatchNormFunction.apply(x, self.weight, self.bias, self.running_mean, self.running_var,
                                       self.training, self.momentum, self.eps)


class NumpyBatchNorm1d(_NumpyBatchNorm, nn.BatchNorm1d):
    """nn.BatchNorm1d computed by cnnlab.functional.norm (affine, with running statistics)."""


class NumpyBatchNorm2d(_NumpyBatchNorm, nn.BatchNorm2d):
    """nn.BatchNorm2d computed by cnnlab.functional.norm (affine, with running statistics)."""


TWINS: dict[type, type] = {nn.Conv2d: NumpyConv2d, nn.Linear: NumpyLinear, nn.MaxPool2d: NumpyMaxPool2d,
                           nn.AvgPool2d: NumpyAvgPool2d, nn.ReLU: NumpyReLU, nn.Tanh: NumpyTanh,
                           nn.Sigmoid: NumpySigmoid, nn.BatchNorm1d: NumpyBatchNorm1d,
                           nn.BatchNorm2d: NumpyBatchNorm2d}


def numpy_twin(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` whose Conv2d, Linear, MaxPool2d, AvgPool2d, ReLU, Tanh, Sigmoid and
    BatchNorm1d/2d layers run on the numpy reference (same weights, same state_dict keys); other layers stay torch.

    Raises ValueError if a layer uses an option the numpy ops lack (e.g. ceil_mode=True).
    """
    twin = copy.deepcopy(model)
    for m in twin.modules():
        if type(m) in TWINS:
            m.__class__ = TWINS[type(m)]  # the subclass adds no state, only a numpy forward
            m.check()
    return twin
