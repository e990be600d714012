"""Stateful numpy layers in the style of the notes' "toynn": each layer remembers what its backward needs.

A thin shell over ``cnnlab.functional``: ``forward`` calls ``<op>_forward`` and keeps the cache,
``backward`` calls ``<op>_backward`` with it, adds the parameter gradients into ``Parameter.grad``
(they accumulate, as in torch, until ``SGD.zero_grad``) and returns the gradient for the layer
below. The notes' two-layer network reads

    fc1, relu, fc2 = Linear(4, 16, rng=rng), ReLU(), Linear(16, 3, rng=rng)
    loss_fn = CrossEntropyLoss()
    loss = loss_fn.forward(fc2.forward(relu.forward(fc1.forward(x))), y)
    fc1.backward(relu.backward(fc2.backward(loss_fn.backward())))

or, with ``Sequential(fc1, relu, fc2)``, ``model.backward(loss_fn.backward())``.
Weights use torch's layouts and torch's default initialisation, so a layer matches the torch
module given the same weights.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from cnnlab import init
from cnnlab._checks import choice, generator, int_pair, integer, number, real_array
from cnnlab.functional.activations import (relu_backward, relu_forward, sigmoid_backward, sigmoid_forward,
                                           tanh_backward, tanh_forward)
from cnnlab.functional.conv import conv2d_backward, conv2d_forward
from cnnlab.functional.inverted_dropout import dropout_backward, dropout_forward
from cnnlab.functional.fully_connected import flatten_backward, flatten_forward, linear_backward, linear_forward
from cnnlab.functional.losses import (cross_entropy_backward, cross_entropy_forward, mse_loss_backward,
                                      mse_loss_forward)
from cnnlab.functional.norm import batchnorm_backward, batchnorm_forward
from cnnlab.functional.pooling import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward

__all__ = ["Parameter", "Module", "Linear", "ReLU", "Sigmoid", "Tanh", "Flatten", "Conv2d", "MaxPool2d",
           "AvgPool2d", "Dropout", "BatchNorm1d", "BatchNorm2d", "Sequential", "CrossEntropyLoss", "MSELoss", "SGD"]

Init = Callable[..., np.ndarray]


class Parameter:
    """A learnable array ``data`` and the gradient ``grad`` (same shape) that backward adds into."""

    def __init__(self, data: np.ndarray):
        self.data = real_array("Parameter", "data", np.array(data))    # a copy: the layer owns its weights
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base layer: forward(x) -> out, backward(dout) -> dx, parameters(), train()/eval().

    forward keeps what backward needs in ``_cache`` (None until the first forward).
    """

    training: bool = True
    _cache: Any = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def parameters(self) -> list[Parameter]:
        """The layer's Parameters, in a fixed order (weight before bias)."""
        return [v for v in vars(self).values() if isinstance(v, Parameter)]

    def train(self, mode: bool = True) -> Module:
        """Switch to training (mode=True) or evaluation mode; returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad[...] = 0.0

    def _cached(self) -> Any:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward: call forward first")
        return self._cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _WeightedModule(Module):
    """A layer with a ``weight`` Parameter and an optional ``bias`` (Linear, Conv2d, batch norm):
    its backward adds the op's dw and db into their ``grad`` (accumulating, as torch) and passes dx on."""

    weight: Parameter
    bias: Parameter | None

    def _accumulate(self, dx: np.ndarray, dw: np.ndarray, db: np.ndarray | None) -> np.ndarray:
        """Add dw (and db) into weight.grad (and bias.grad); return dx for the layer below."""
        self.weight.grad += dw
        if db is not None and self.bias is not None:
            self.bias.grad += db
        return dx


def _torch_default(shape: tuple[int, ...], fan_in: int, rng: np.random.Generator, bias: bool, init_fn: Init | None,
                   dtype: type) -> tuple[Parameter, Parameter | None]:
    """torch's default: weight kaiming-uniform with a = sqrt(5) (bound 1/sqrt(fan_in)), bias U(+-1/sqrt(fan_in)).

    With ``init_fn`` the weight is init_fn(shape, rng=rng) and the bias starts at zero.
    """
    if init_fn is None:
        w = init.he_uniform(shape, rng=rng, a=math.sqrt(5), dtype=dtype)
        bound = 1 / math.sqrt(fan_in)
        b = init.uniform((shape[0],), rng=rng, low=-bound, high=bound, dtype=dtype) if bias else None
    else:
        w = np.asarray(init_fn(shape, rng=rng), dtype=dtype)
        b = np.zeros(shape[0], dtype=dtype) if bias else None
    return Parameter(w), (Parameter(b) if b is not None else None)


class Linear(_WeightedModule):
    """Fully connected layer x @ weight.T + bias: x (N, D_in) -> (N, D_out); weight (D_out, D_in)."""

    def __init__(self, in_features: int, out_features: int, *, rng: np.random.Generator, bias: bool = True,
                 init: Init | None = None, dtype: type = np.float64):
        self.in_features = integer("Linear", "in_features", in_features, minimum=1)
        self.out_features = integer("Linear", "out_features", out_features, minimum=1)
        self.weight, self.bias = _torch_default((out_features, in_features), in_features,
                                                generator("Linear", rng), bias, init, dtype)
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = linear_forward(x, self.weight.data, None if self.bias is None else self.bias.data)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dw, db = linear_backward(dout, self._cached())
        return self._accumulate(dx, dw, db)

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


class _Elementwise(Module):
    """A parameter-free layer given by a functional forward/backward pair."""

    _forward: Callable = staticmethod(lambda x: None)
    _backward: Callable = staticmethod(lambda dout, cache: None)

    def __init__(self):
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = type(self)._forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return type(self)._backward(dout, self._cached())


class ReLU(_Elementwise):
    """max(x, 0) elementwise, any shape."""
    _forward, _backward = staticmethod(relu_forward), staticmethod(relu_backward)


class Sigmoid(_Elementwise):
    """1 / (1 + e^-x) elementwise, any shape."""
    _forward, _backward = staticmethod(sigmoid_forward), staticmethod(sigmoid_backward)


class Tanh(_Elementwise):
    """tanh x elementwise, any shape."""
    _forward, _backward = staticmethod(tanh_forward), staticmethod(tanh_backward)


class Flatten(_Elementwise):
    """(N, ...) -> (N, prod(...)), e.g. (N, C, H, W) -> (N, C*H*W) before a Linear layer."""
    _forward, _backward = staticmethod(flatten_forward), staticmethod(flatten_backward)


class Conv2d(_WeightedModule):
    """2-D convolution: x (N, C_in, H, W) -> (N, C_out, H', W'); weight (C_out, C_in/G, kH, kW)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], *,
                 rng: np.random.Generator, stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 dilation: int | tuple[int, int] = 1, groups: int = 1, bias: bool = True,
                 init: Init | None = None, dtype: type = np.float64):
        self.in_channels = integer("Conv2d", "in_channels", in_channels, minimum=1)
        self.out_channels = integer("Conv2d", "out_channels", out_channels, minimum=1)
        groups = integer("Conv2d", "groups", groups, minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        kh, kw = int_pair("Conv2d", "kernel_size", kernel_size, minimum=1)
        self.kernel_size, self.stride = (kh, kw), int_pair("Conv2d", "stride", stride, minimum=1)
        self.padding = (choice("Conv2d", "padding", padding, ("valid", "same")) if isinstance(padding, str)
                        else int_pair("Conv2d", "padding", padding, minimum=0))
        self.dilation, self.groups = int_pair("Conv2d", "dilation", dilation, minimum=1), groups
        shape = (out_channels, in_channels // groups, kh, kw)
        self.weight, self.bias = _torch_default(shape, shape[1] * kh * kw, generator("Conv2d", rng), bias,
                                                init, dtype)
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = conv2d_forward(x, self.weight.data, None if self.bias is None else self.bias.data,
                                          stride=self.stride, padding=self.padding, dilation=self.dilation,
                                          groups=self.groups)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dw, db = conv2d_backward(dout, self._cached())
        return self._accumulate(dx, dw, db)

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")


class _Pool2d(Module):
    """What every pooling layer shares: its window, the options of its functional op, and its cache.

    A subclass names its forward/backward ops and the options it passes on (``_options``); each
    option's value is checked in the subclass's ``__init__``."""

    _forward: Callable[..., tuple[np.ndarray, Any]]
    _backward: Callable[[np.ndarray, Any], np.ndarray]
    _options: tuple[str, ...] = ()

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None,
                 padding: int | tuple[int, int]):
        name = type(self).__name__
        self.kernel_size = int_pair(name, "kernel_size", kernel_size, minimum=1)
        self.stride = self.kernel_size if stride is None else int_pair(name, "stride", stride, minimum=1)
        self.padding = int_pair(name, "padding", padding, minimum=0)
        self._cache = None

    def _flag(self, option: str, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}: {option} must be a bool, got {type(value).__name__} {value!r}")
        return bool(value)

    def _settings(self) -> dict[str, Any]:
        names = ("kernel_size", "stride", "padding") + self._options
        return {name: getattr(self, name) for name in names}

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = type(self)._forward(x, **self._settings())
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return type(self)._backward(dout, self._cached())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v}" for k, v in self._settings().items()) + ")"


class MaxPool2d(_Pool2d):
    """Max over kH x kW windows: (N, C, H, W) -> (N, C, H', W'); stride defaults to the kernel size.

    dilation and ceil_mode as in torch.nn.MaxPool2d (see cnnlab.functional.max_pool2d_forward).
    """

    _forward, _backward = staticmethod(max_pool2d_forward), staticmethod(max_pool2d_backward)
    _options = ("dilation", "ceil_mode")

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1, ceil_mode: bool = False):
        super().__init__(kernel_size, stride, padding)
        self.dilation = int_pair("MaxPool2d", "dilation", dilation, minimum=1)
        self.ceil_mode = self._flag("ceil_mode", ceil_mode)


class AvgPool2d(_Pool2d):
    """Mean over kH x kW windows: (N, C, H, W) -> (N, C, H', W'); stride defaults to the kernel size.

    ceil_mode, count_include_pad and divisor_override as in torch.nn.AvgPool2d (see
    cnnlab.functional.avg_pool2d_forward).
    """

    _forward, _backward = staticmethod(avg_pool2d_forward), staticmethod(avg_pool2d_backward)
    _options = ("ceil_mode", "count_include_pad", "divisor_override")

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None):
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = self._flag("ceil_mode", ceil_mode)
        self.count_include_pad = self._flag("count_include_pad", count_include_pad)
        self.divisor_override = (None if divisor_override is None
                                 else integer("AvgPool2d", "divisor_override", divisor_override, minimum=1))


class Dropout(Module):
    """Inverted dropout with drop probability p while training; the identity in eval mode.

    p = 1 drops every unit (the output and its gradient are zeros), as torch.nn.Dropout(1.0).
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator):
        if not 0 <= number("Dropout", "p", p) <= 1:
            raise ValueError(f"Dropout: p must be a drop probability in [0, 1], got {p!r}")
        self.p, self.rng, self._cache = float(p), generator("Dropout", rng), None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = dropout_forward(x, p=self.p, training=self.training, rng=self.rng)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dropout_backward(dout, self._cached())

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class _BatchNorm(_WeightedModule):
    """Batch normalisation with learnable weight (gamma) and bias (beta) and running statistics."""

    _ndims: tuple[int, ...] = ()
    _layout: str = ""

    def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float = 0.1, dtype: type = np.float64):
        name = type(self).__name__
        self.num_features = integer(name, "num_features", num_features, minimum=1)
        self.eps, self.momentum = number(name, "eps", eps), number(name, "momentum", momentum)
        self.weight = Parameter(np.ones(num_features, dtype=dtype))     # gamma
        self.bias = Parameter(np.zeros(num_features, dtype=dtype))      # beta
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = real_array(f"{type(self).__name__}.forward", "x", x, ndim=self._ndims, layout=self._layout)
        out, self._cache, (self.running_mean, self.running_var) = batchnorm_forward(
            x, self.weight.data, self.bias.data, running_mean=self.running_mean, running_var=self.running_var,
            training=self.training, momentum=self.momentum, eps=self.eps)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dgamma, dbeta = batchnorm_backward(dout, self._cached())
        return self._accumulate(dx, dgamma, dbeta)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_features})"


class BatchNorm1d(_BatchNorm):
    """Batch norm per feature of x (N, D) (or per channel of (N, C, L))."""
    _ndims, _layout = (2, 3), "(N, D) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm per channel of x (N, C, H, W)."""
    _ndims, _layout = (4,), "(N, C, H, W)"


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: modules[{i}] must be a Module, got {type(m).__name__}")
        self.modules = list(modules)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for m in self.modules:
            x = m.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for m in reversed(self.modules):
            dout = m.backward(dout)
        return dout

    def parameters(self) -> list[Parameter]:
        return [p for m in self.modules for p in m.parameters()]

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for m in self.modules:
            m.train(mode)
        return self

    def __getitem__(self, i: int) -> Module:
        return self.modules[i]

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.modules))
        return f"Sequential({inner}\n)"


class _Loss:
    """A loss layer: forward(pred, target) -> the loss, backward() -> dpred (d loss / d pred).

    The loss is what the functional loss returns (cnnlab.functional's convention): a numpy scalar of
    pred's dtype; float(loss) gives a Python float."""

    _forward: Callable = staticmethod(lambda pred, target, reduction: None)
    _backward: Callable = staticmethod(lambda dout, cache: None)

    def __init__(self, *, reduction: str = "mean"):
        self.reduction = choice(type(self).__name__, "reduction", reduction, ("mean", "sum"))
        self.reduction, self._cache = reduction, None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> np.floating:
        loss, self._cache = type(self)._forward(pred, target, reduction=self.reduction)
        return loss

    __call__ = forward

    def backward(self) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward: call forward first")
        return type(self)._backward(1.0, self._cache)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits (N, K) and targets (N,) class indices or (N, K) probabilities."""
    _forward, _backward = staticmethod(cross_entropy_forward), staticmethod(cross_entropy_backward)


class MSELoss(_Loss):
    """mean((pred - target)^2) over every element (torch's MSELoss); pred, target: the same shape."""
    _forward, _backward = staticmethod(mse_loss_forward), staticmethod(mse_loss_backward)


class SGD:
    """Stochastic gradient descent with momentum and weight decay, torch.optim.SGD's update:

        g = grad + weight_decay * w
        v = g (first step), else v = momentum * v + (1 - dampening) * g
        w = w - lr * (g + momentum * v if nesterov else v)

    The notes' momentum Delta w(n) = eta delta x + alpha Delta w(n-1) is the same rule with v = -Delta w / lr.
    """

    def __init__(self, parameters: Iterable[Parameter], *, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, dampening: float = 0.0, nesterov: bool = False):
        self.parameters = list(parameters) if not isinstance(parameters, Parameter) else [parameters]
        for i, p in enumerate(self.parameters):
            if not isinstance(p, Parameter):
                raise TypeError(f"SGD: parameters[{i}] must be a Parameter, got {type(p).__name__}")
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay),
                            ("dampening", dampening)):
            if number("SGD", name, value) < 0:
                raise ValueError(f"SGD: {name} must be >= 0, got {value!r}")
        if lr <= 0:
            raise ValueError(f"SGD: lr must be > 0, got {lr!r}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.dampening, self.nesterov = float(dampening), bool(nesterov)
        self._velocity: list[np.ndarray | None] = [None] * len(self.parameters)

    def step(self) -> None:
        """Update every parameter in place from its .grad."""
        for i, p in enumerate(self.parameters):
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            if self.momentum:
                v = self._velocity[i]
                v = g.copy() if v is None else self.momentum * v + (1 - self.dampening) * g
                self._velocity[i] = v
                g = g + self.momentum * v if self.nesterov else v
            p.data -= self.lr * g

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (gradients accumulate across backward calls)."""
        for p in self.parameters:
            p.grad[...] = 0.0
