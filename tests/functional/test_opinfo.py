"""cnnlab.functional against the inputs torch's own operator test suite uses, in float64.

For every op cnnlab implements, every sample of torch's OpInfo database
(``torch.testing._internal.common_methods_invocations.op_db``: ``sample_inputs`` and
``reference_inputs``) and of its ModuleInfo database (``common_modules.module_db``:
``module_inputs_func``) is translated into a cnnlab call (forward/backward pair, NCHW,
keyword-only hyper-parameters). The forward output is compared with torch's, then a seeded
standard-normal ``dout`` goes through cnnlab's backward and through torch autograd and every
gradient is compared: rel_error (cnnlab.gradcheck) below OPINFO_TOL.

Each sample ends in one of:
- matched: forward and every gradient agree;
- unsupported: a torch feature cnnlab leaves out on purpose; the reason is written in the
  docstring of the cnnlab function named with it (the test checks that the docstring says so);
- edge: a sample with an empty or 0-d tensor, a NaN or inf, or an unbatched (C, H, W) input,
  that fails: issue 11's edge cases (helper "ref"), tracked separately so that the rest is held to
  "no mismatch, no crash";
- mismatch or crash: the test fails and names the sample.

The per-op table (tried / matched / unsupported / edge / mismatch / crash, and the reasons) is
written to _build/opinfo_report.txt and printed in pytest's terminal summary
(tests/functional/conftest.py).
"""

from __future__ import annotations

import inspect
import os
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from cnnlab import functional as F
from cnnlab.gradcheck import rel_error

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")          # torch.testing._internal imports it

pytestmark = pytest.mark.torch

OPINFO_TOL = 1e-9
# At most this many distinct samples per op, evenly spread over torch's list, so that the module runs
# in well under 2 minutes on 2 cores (max_pool2d alone has 1440); CNNLAB_OPINFO_BUDGET=0 runs them all.
BUDGET = int(os.environ.get("CNNLAB_OPINFO_BUDGET", "80"))
REPORT = Path(__file__).resolve().parents[2] / "_build" / "opinfo_report.txt"
TF = torch.nn.functional


class Unsupported(Exception):
    """A torch feature cnnlab leaves out on purpose; the message is the reason (in the op's docstring)."""

    def __init__(self, reason: str, documented_in: Callable | None = None):
        super().__init__(reason)
        self.reason, self.documented_in = reason, documented_in


# ---------------------------------------------------------------------------------------------
# What one translated sample is

@dataclass
class Case:
    """A cnnlab call and the torch call it must agree with.

    forward(*inputs.values(), **kwargs) -> (out, cache, ...); backward(dout, cache) -> gradients,
    one per name in ``grads`` (None: a gradient cnnlab returns that torch has no counterpart for).
    reference() -> torch's output tensor, computed from the tensors in ``leaves``.
    extra(result) -> [(what, cnnlab value, torch tensor)] compared after reference() ran
    (batch norm's running statistics, max pooling's indices).
    """
    forward: Callable
    backward: Callable | None
    inputs: dict[str, Any]
    kwargs: dict[str, Any]
    reference: Callable[[], Any]
    leaves: dict[str, Any] = field(default_factory=dict)
    grads: tuple = ()
    extra: Callable | None = None


def leaf(t):
    """A float tensor that autograd differentiates: module parameters as they are (the module
    uses them), anything else as a fresh leaf copy (torch's samples include expanded tensors,
    with stride 0, that autograd cannot differentiate in place)."""
    if t is None or isinstance(t, torch.nn.Parameter):
        return t
    return t.detach().clone().requires_grad_(True)


def data(t):
    """A tensor that is data, not differentiated (targets, indices, running statistics)."""
    return t.detach() if isinstance(t, torch.Tensor) else t


def np_(t):
    """A numpy copy of a tensor (None and Python values pass through)."""
    return t.detach().numpy().copy() if isinstance(t, torch.Tensor) else t


def bind(signature: Callable, args: tuple, kwargs: dict) -> dict[str, Any]:
    """torch's positional and keyword arguments as one dict, defaults filled in."""
    bound = inspect.signature(signature).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def hw(value):
    """torch accepts 1-tuples for pair arguments; cnnlab takes an int or a pair."""
    if isinstance(value, (tuple, list, torch.Size)):
        value = tuple(int(v) for v in value)
        return value[0] if len(value) == 1 else value
    return value


def needs(condition: bool, reason: str, documented_in: Callable) -> None:
    if not condition:
        raise Unsupported(reason, documented_in)


# ---------------------------------------------------------------------------------------------
# Adapters: torch call (input, args, kwargs) -> Case. ``ref(x, *a, **k)`` is torch's op.

def _unary(forward, backward, **fixed):
    """An elementwise op (or softmax-like) whose only differentiable input is x."""
    def adapt(ref, x, a, k, kwmap=lambda k: {}):
        x = leaf(x)
        kwargs = {**fixed, **kwmap(k)}
        return Case(forward, backward, {"x": np_(x)}, kwargs, lambda: ref(x, *a, **k), {"x": x}, ("x",))
    return adapt


def adapt_relu(ref, x, a, k):
    return _unary(F.relu_forward, F.relu_backward)(ref, x, a, k)


def adapt_sigmoid(ref, x, a, k):
    return _unary(F.sigmoid_forward, F.sigmoid_backward)(ref, x, a, k)


def adapt_tanh(ref, x, a, k):
    return _unary(F.tanh_forward, F.tanh_backward)(ref, x, a, k)


def adapt_silu(ref, x, a, k):
    return _unary(F.swish_forward, F.swish_backward, beta=1.0)(ref, x, a, k)


def adapt_leaky_relu(ref, x, a, k):
    p = bind(lambda input, negative_slope=0.01, inplace=False: 0, (x, *a), k)
    return _unary(F.leaky_relu_forward, F.leaky_relu_backward, negative_slope=p["negative_slope"])(ref, x, a, k)


def adapt_elu(ref, x, a, k):
    p = bind(lambda input, alpha=1.0, inplace=False: 0, (x, *a), k)
    return _unary(F.elu_forward, F.elu_backward, alpha=p["alpha"])(ref, x, a, k)


def _softmax_like(forward, backward):
    def adapt(ref, x, a, k):
        p = bind(lambda input, dim=None, dtype=None, _stacklevel=3: 0, (x, *a), k)
        needs(p["dim"] is not None, "implicit dim (deprecated in torch)", forward)
        return _unary(forward, backward, axis=p["dim"])(ref, x, a, k)
    return adapt


adapt_softmax = _softmax_like(F.softmax_forward, F.softmax_backward)
adapt_log_softmax = _softmax_like(F.log_softmax_forward, F.log_softmax_backward)


def _loss(forward, backward, signature, names=("weight", "pos_weight")):
    """A loss: gradient w.r.t. the prediction only; weights and targets are data."""
    def adapt(ref, x, a, k):
        p = bind(signature, (x, *a), k)
        needs(p.pop("size_average", None) is None and p.pop("reduce", None) is None,
              "size_average/reduce (deprecated in torch; use reduction)", forward)
        x, target = leaf(x), data(p.pop("target"))
        p.pop("input")
        p = {name: np_(v) for name, v in p.items() if v is not None}
        torch_k = {key: data(v) if isinstance(v, torch.Tensor) else v for key, v in k.items()}
        torch_a = tuple(data(v) for v in a)
        return Case(forward, backward, {"input": np_(x), "target": np_(target)}, p,
                    lambda: ref(x, *torch_a, **torch_k), {"input": x}, ("input",))
    return adapt


adapt_mse_loss = _loss(F.mse_loss_forward, F.mse_loss_backward,
                       lambda input, target, size_average=None, reduce=None, reduction="mean", weight=None: 0)
adapt_bce = _loss(F.binary_cross_entropy_forward, F.binary_cross_entropy_backward,
                  lambda input, target, weight=None, size_average=None, reduce=None, reduction="mean": 0)
adapt_bce_with_logits = _loss(
    F.binary_cross_entropy_with_logits_forward, F.binary_cross_entropy_with_logits_backward,
    lambda input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None: 0)
adapt_cross_entropy = _loss(
    F.cross_entropy_forward, F.cross_entropy_backward,
    lambda input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
    label_smoothing=0.0: 0)


def adapt_linear(ref, x, a, k):
    p = bind(lambda input, weight, bias=None: 0, (x, *a), k)
    x, w, b = leaf(x), leaf(p["weight"]), leaf(p["bias"])
    return Case(F.linear_forward, F.linear_backward, {"x": np_(x), "w": np_(w), "b": np_(b)}, {},
                lambda: ref(x, w, b), {"x": x, "w": w, "b": b}, ("x", "w", "b"))


def adapt_flatten(ref, x, a, k):
    p = bind(lambda input, start_dim=0, end_dim=-1: 0, (x, *a), k)
    x = leaf(x)
    kwargs = {key: p[key] for key in ("start_dim", "end_dim") if key in inspect.signature(F.flatten_forward).parameters}
    if not kwargs:
        needs(x.ndim >= 2 and p["start_dim"] % x.ndim == 1 and p["end_dim"] % x.ndim == x.ndim - 1,
              "start_dim/end_dim other than nn.Flatten's (1, -1)", F.flatten_forward)
    return Case(F.flatten_forward, F.flatten_backward, {"x": np_(x)}, kwargs,
                lambda: ref(x, *a, **k), {"x": x}, ("x",))


def adapt_conv2d(ref, x, a, k):
    p = bind(lambda input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1: 0, (x, *a), k)
    x, w, b = leaf(x), leaf(p["weight"]), leaf(p["bias"])
    kwargs = {name: hw(p[name]) for name in ("stride", "padding", "dilation", "groups")}
    return Case(F.conv2d_forward, F.conv2d_backward, {"x": np_(x), "w": np_(w), "b": np_(b)}, kwargs,
                lambda: ref(x, w, b, **{n: p[n] for n in kwargs}), {"x": x, "w": w, "b": b}, ("x", "w", "b"))


def adapt_conv_transpose2d(ref, x, a, k):
    p = bind(lambda input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1: 0,
             (x, *a), k)
    x, w, b = leaf(x), leaf(p["weight"]), leaf(p["bias"])
    kwargs = {name: hw(p[name]) for name in ("stride", "padding", "output_padding", "dilation", "groups")}
    return Case(F.conv_transpose2d_forward, F.conv_transpose2d_backward,
                {"x": np_(x), "w": np_(w), "b": np_(b)}, kwargs,
                lambda: ref(x, w, b, **{n: p[n] for n in kwargs}), {"x": x, "w": w, "b": b}, ("x", "w", "b"))


def _pool_kwargs(p, names, forward):
    """The hyper-parameters cnnlab's ``forward`` takes; Unsupported for a non-default one it lacks."""
    accepted = inspect.signature(forward).parameters
    defaults = {"dilation": 1, "ceil_mode": False, "count_include_pad": True, "divisor_override": None}
    kwargs = {}
    for name in names:
        value = hw(p[name])
        if name == "stride" and value in ((), None):
            value = None
        if name in accepted:
            kwargs[name] = value
        else:
            needs(value == defaults.get(name) or value in (1, (1, 1)) and name == "dilation",
                  f"{name}={value!r}", forward)
    return kwargs


def adapt_max_pool2d(ref, x, a, k):
    p = bind(lambda input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False: 0, (x, *a), k)
    kwargs = _pool_kwargs(p, ("kernel_size", "stride", "padding", "dilation", "ceil_mode"), F.max_pool2d_forward)
    x = leaf(x)
    extra = None
    if p["return_indices"]:
        def extra(result, x_np=np_(x)):
            out, indices = F.max_pool2d_with_indices(x_np, **kwargs)
            return [("indices", indices, torch_result[0][1])]
    torch_result = []

    def reference():
        r = ref(x, *a, **k)
        torch_result.append(r)
        return r[0] if p["return_indices"] else r
    return Case(F.max_pool2d_forward, F.max_pool2d_backward, {"x": np_(x)}, kwargs, reference, {"x": x}, ("x",),
                extra)


def adapt_max_unpool2d(ref, x, a, k):
    p = bind(lambda input, indices, kernel_size, stride=None, padding=0, output_size=None: 0, (x, *a), k)
    x, indices = leaf(x), data(p["indices"])
    kwargs = {"kernel_size": hw(p["kernel_size"]), "stride": hw(p["stride"]), "padding": hw(p["padding"]),
              "output_size": None if p["output_size"] is None else tuple(p["output_size"])}
    return Case(F.max_unpool2d_forward, F.max_unpool2d_backward, {"x": np_(x), "indices": np_(indices)}, kwargs,
                lambda: ref(x, indices, **{n: p[n] for n in ("kernel_size", "stride", "padding", "output_size")}),
                {"x": x}, ("x",))


def adapt_avg_pool2d(ref, x, a, k):
    p = bind(lambda input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None: 0, (x, *a), k)
    kwargs = _pool_kwargs(p, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                              "divisor_override"), F.avg_pool2d_forward)
    x = leaf(x)
    return Case(F.avg_pool2d_forward, F.avg_pool2d_backward, {"x": np_(x)}, kwargs,
                lambda: ref(x, *a, **k), {"x": x}, ("x",))


def adapt_lp_pool2d(ref, x, a, k):
    p = bind(lambda input, norm_type, kernel_size, stride=None, ceil_mode=False: 0, (x, *a), k)
    needs(float(p["norm_type"]) == 2.0, f"norm_type={p['norm_type']} (L2 pooling only)", F.l2_pool2d_forward)
    kwargs = _pool_kwargs(p, ("kernel_size", "stride", "ceil_mode"), F.l2_pool2d_forward)
    x = leaf(x)
    return Case(F.l2_pool2d_forward, F.l2_pool2d_backward, {"x": np_(x)}, kwargs,
                lambda: ref(x, *a, **k), {"x": x}, ("x",))


def adapt_adaptive_avg_pool2d(ref, x, a, k):
    p = bind(lambda input, output_size: 0, (x, *a), k)
    size = p["output_size"]
    needs(size in (1, (1, 1), [1, 1]), f"output_size={size!r} (global average pooling, 1x1, only)",
          F.global_avg_pool2d_forward)
    x = leaf(x)

    def forward(x):                          # torch keeps the 1 x 1 spatial axes, cnnlab drops them
        out, cache = F.global_avg_pool2d_forward(x)
        return out[..., None, None], cache

    def backward(dout, cache):
        return F.global_avg_pool2d_backward(dout[..., 0, 0], cache)
    return Case(forward, backward, {"x": np_(x)}, {}, lambda: ref(x, *a, **k), {"x": x}, ("x",))


def _interpolate(ref, x, a, k, mode, align_corners):
    p = bind(lambda input, size=None, scale_factor=None, mode="nearest", align_corners=None,
             recompute_scale_factor=None, antialias=False: 0, (x, *a), k)
    mode = p["mode"] if mode is None else mode
    if mode == "nearest":
        forward, backward = F.upsample_nearest2d_forward, F.upsample_nearest2d_backward
    elif mode == "bilinear":
        forward, backward = F.upsample_bilinear2d_forward, F.upsample_bilinear2d_backward
    else:
        raise Unsupported(f"mode={mode!r}", F.upsample_nearest2d_forward)
    needs(x.ndim == 4, f"{x.ndim - 2}-D spatial input (2-D, (N, C, H, W), only)", forward)
    needs(not p["antialias"], "antialias=True", forward)
    size, scale = p["size"], p["scale_factor"]
    kwargs = {}
    if size is not None or p["recompute_scale_factor"]:
        if size is None:     # torch recomputes: the output size floor(H s), then interpolates to that size
            scales = scale if isinstance(scale, (tuple, list)) else (scale, scale)
            size = tuple(int(np.floor(n * s)) for n, s in zip(x.shape[2:], scales))
        needs("size" in inspect.signature(forward).parameters, "size=", forward)
        kwargs["size"] = hw(size)
    else:
        kwargs["scale_factor"] = hw(scale) if isinstance(scale, (tuple, list)) else scale
    if mode == "bilinear":
        kwargs["align_corners"] = bool(p["align_corners"]) if align_corners is None else align_corners
    x = leaf(x)
    return Case(forward, backward, {"x": np_(x)}, kwargs, lambda: ref(x, *a, **k), {"x": x}, ("x",))


def adapt_interpolate(ref, x, a, k):
    return _interpolate(ref, x, a, k, None, None)


def adapt_upsample_nearest(ref, x, a, k):
    return _interpolate(ref, x, a, k, "nearest", None)


def adapt_upsample_bilinear(ref, x, a, k):
    return _interpolate(ref, x, a, k, "bilinear", True)


class _MaskGenerator(np.random.Generator):
    """A Generator whose ``random`` returns given numbers: feeds torch's dropout mask to cnnlab."""

    def __init__(self, uniform: np.ndarray):
        super().__init__(np.random.PCG64(0))
        self.uniform = uniform

    def random(self, size=None, dtype=np.float64, out=None):
        return self.uniform.reshape(size)


def adapt_dropout(ref, x, a, k):
    p = bind(lambda input, p=0.5, training=True, inplace=False: 0, (x, *a), k)
    x = leaf(x)
    kwargs = {"p": p["p"], "training": p["training"]}
    if p["training"] and 0 < p["p"] <= 1:
        torch.manual_seed(0)
        kept = (ref(x.detach(), p["p"], True) != 0).numpy() | (np_(x) == 0)
        # cnnlab keeps a unit where rng.random() >= p: hand it 1 where torch kept, 0 where it dropped
        kwargs["rng"] = _MaskGenerator(kept.astype(np.float64))

        def reference():
            torch.manual_seed(0)
            return ref(x, p["p"], True)
        return Case(F.dropout_forward, F.dropout_backward, {"x": np_(x)}, kwargs, reference, {"x": x}, ("x",))
    return Case(F.dropout_forward, F.dropout_backward, {"x": np_(x)}, kwargs, lambda: ref(x, *a, **k),
                {"x": x}, ("x",))


def adapt_batch_norm(ref, x, a, k):
    p = bind(lambda input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
             eps=1e-5: 0, (x, *a), k)
    x, w, b = leaf(x), leaf(p["weight"]), leaf(p["bias"])
    mean, var = p["running_mean"], p["running_var"]
    tracked = mean is not None
    training = p["training"] or not tracked        # torch uses batch statistics when none are tracked
    c = x.shape[1] if x.ndim > 1 else 0
    inputs = {"x": np_(x), "gamma": np.ones(c) if w is None else np_(w), "beta": np.zeros(c) if b is None else np_(b)}
    kwargs = {"running_mean": np.zeros(c) if mean is None else np_(mean),
              "running_var": np.ones(c) if var is None else np_(var),
              "training": training, "momentum": p["momentum"], "eps": p["eps"]}
    extra = None
    if tracked:
        def extra(result):
            new_mean, new_var = result[2]
            return [("running_mean", new_mean, mean), ("running_var", new_var, var)]
    reference = lambda: ref(x, mean, var, w, b, p["training"], p["momentum"], p["eps"])  # noqa: E731
    return Case(F.batchnorm_forward, F.batchnorm_backward, inputs, kwargs, reference,
                {"x": x, "gamma": w, "beta": b}, ("x", "gamma" if w is not None else None,
                                                   "beta" if b is not None else None), extra)


# ---------------------------------------------------------------------------------------------
# Which torch samples feed which adapter

# cnnlab op -> (adapter, [op_db names (variant)], [module_db classes])
OPS: dict[str, tuple[Callable, list[tuple[str, str]], list[str]]] = {
    "relu": (adapt_relu, [("nn.functional.relu", "")], ["ReLU"]),
    "sigmoid": (adapt_sigmoid, [("sigmoid", "")], ["Sigmoid"]),
    "tanh": (adapt_tanh, [("tanh", "")], ["Tanh"]),
    "leaky_relu": (adapt_leaky_relu, [("nn.functional.leaky_relu", "")], ["LeakyReLU"]),
    "elu": (adapt_elu, [("nn.functional.elu", "")], ["ELU"]),
    "silu": (adapt_silu, [("nn.functional.silu", "")], ["SiLU"]),
    "softmax": (adapt_softmax, [("softmax", ""), ("softmax", "with_dtype")], ["Softmax", "Softmax2d"]),
    "log_softmax": (adapt_log_softmax, [("log_softmax", ""), ("log_softmax", "with_dtype")], ["LogSoftmax"]),
    "mse_loss": (adapt_mse_loss, [("nn.functional.mse_loss", "")], ["MSELoss"]),
    "binary_cross_entropy": (adapt_bce, [("nn.functional.binary_cross_entropy", "")], ["BCELoss"]),
    "binary_cross_entropy_with_logits": (adapt_bce_with_logits,
                                         [("nn.functional.binary_cross_entropy_with_logits", "")],
                                         ["BCEWithLogitsLoss"]),
    "cross_entropy": (adapt_cross_entropy, [("nn.functional.cross_entropy", "")], ["CrossEntropyLoss"]),
    "linear": (adapt_linear, [("nn.functional.linear", "")], ["Linear"]),
    "flatten": (adapt_flatten, [("flatten", "")], []),
    "conv2d": (adapt_conv2d, [("nn.functional.conv2d", "")], ["Conv2d"]),
    "conv_transpose2d": (adapt_conv_transpose2d, [("nn.functional.conv_transpose2d", "")], ["ConvTranspose2d"]),
    "max_pool2d": (adapt_max_pool2d, [("nn.functional.max_pool2d", "")], ["MaxPool2d"]),
    "max_unpool2d": (adapt_max_unpool2d, [("nn.functional.max_unpool2d", ""),
                                          ("nn.functional.max_unpool2d", "grad")], []),
    "avg_pool2d": (adapt_avg_pool2d, [("nn.functional.avg_pool2d", "")], ["AvgPool2d"]),
    "lp_pool2d": (adapt_lp_pool2d, [], ["LPPool2d"]),
    "adaptive_avg_pool2d": (adapt_adaptive_avg_pool2d, [("nn.functional.adaptive_avg_pool2d", "")],
                            ["AdaptiveAvgPool2d"]),
    "interpolate": (adapt_interpolate, [("nn.functional.interpolate", "nearest"),
                                        ("nn.functional.interpolate", "bilinear")], []),
    "upsample_nearest": (adapt_upsample_nearest, [("nn.functional.upsample_nearest", "")], []),
    "upsample_bilinear": (adapt_upsample_bilinear, [("nn.functional.upsample_bilinear", "")], []),
    "dropout": (adapt_dropout, [("nn.functional.dropout", "")], []),
    "batch_norm": (adapt_batch_norm, [("nn.functional.batch_norm", "")], ["BatchNorm1d", "BatchNorm2d"]),
}


def _module_call(module, fwd_args, fwd_kwargs):
    """A module sample as (reference function, input, args, kwargs) of the functional op it computes.

    The module's parameters and buffers are the tensors the adapter differentiates (they are
    leaves), so the gradients torch's module computes are the ones compared.
    """
    name = type(module).__name__
    inputs = list(fwd_args) + list(fwd_kwargs.values())
    x, rest = inputs[0], inputs[1:]
    functional = {"ReLU": TF.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "SiLU": TF.silu}
    if name in functional:
        return functional[name], x, (), {}
    if name == "LeakyReLU":
        return TF.leaky_relu, x, (module.negative_slope,), {}
    if name == "ELU":
        return TF.elu, x, (module.alpha,), {}
    if name in ("Softmax", "LogSoftmax"):
        return (TF.softmax if name == "Softmax" else TF.log_softmax), x, (module.dim,), {}
    if name == "Softmax2d":
        return TF.softmax, x, (-3,), {}
    if name in ("MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"):
        k = {"reduction": module.reduction}
        for attr in ("weight", "pos_weight", "ignore_index", "label_smoothing"):
            if getattr(module, attr, None) is not None:
                k[attr] = getattr(module, attr)
        fn = {"MSELoss": TF.mse_loss, "BCELoss": TF.binary_cross_entropy,
              "BCEWithLogitsLoss": TF.binary_cross_entropy_with_logits, "CrossEntropyLoss": TF.cross_entropy}[name]
        return fn, x, (rest[0],), k
    if name == "Linear":
        return TF.linear, x, (module.weight, module.bias), {}
    if name in ("Conv2d", "ConvTranspose2d"):
        if module.padding_mode != "zeros":
            raise Unsupported(f"padding_mode={module.padding_mode!r}", F.conv2d_forward)
        k = {"stride": module.stride, "padding": module.padding, "dilation": module.dilation, "groups": module.groups}
        if name == "ConvTranspose2d":
            if rest:
                raise Unsupported("forward(output_size=...)", F.conv_transpose2d_forward)
            return TF.conv_transpose2d, x, (module.weight, module.bias), {**k, "output_padding": module.output_padding}
        return TF.conv2d, x, (module.weight, module.bias), k
    if name == "MaxPool2d":
        return TF.max_pool2d, x, (), {n: getattr(module, n) for n in (
            "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")}
    if name == "AvgPool2d":
        return TF.avg_pool2d, x, (), {n: getattr(module, n) for n in (
            "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")}
    if name == "LPPool2d":
        return TF.lp_pool2d, x, (module.norm_type, module.kernel_size, module.stride, module.ceil_mode), {}
    if name == "AdaptiveAvgPool2d":
        return TF.adaptive_avg_pool2d, x, (module.output_size,), {}
    if name.startswith("BatchNorm"):
        momentum = module.momentum
        if momentum is None:         # a cumulative average: a fresh module's first batch gets weight 1
            momentum = 1.0
        training = module.training or module.running_mean is None
        return TF.batch_norm, x, (module.running_mean, module.running_var, module.weight, module.bias,
                                  training, momentum, module.eps), {}
    raise AssertionError(f"no translation for module {name}")


def _torch_test_db():
    """torch's OpInfo and ModuleInfo databases, imported without leaving torch's global state changed.

    Importing torch.testing._internal.common_utils calls torch.backends.disable_global_flags(), after
    which setting any torch.backends flag (cudnn.deterministic in cnnlab.train.seed_everything) raises
    in every later test of the session. Undo that: the flag lives in the globals of the functions of
    torch/backends/__init__.py (torch.backends itself is a module object made later).
    """
    from torch.testing._internal.common_methods_invocations import op_db
    from torch.testing._internal.common_modules import module_db
    torch.backends.flags_frozen.__globals__["__allow_nonbracketed_mutation_flag"] = True
    assert not torch.backends.flags_frozen()
    return op_db, module_db


def samples(op: str):
    """(label, torch function, input, args, kwargs) for every torch test input of cnnlab's ``op``."""
    op_db, module_db = _torch_test_db()
    _, op_names, module_names = OPS[op]
    for name, variant in op_names:
        info = next(o for o in op_db if o.name == name and o.variant_test_name == variant)
        label = f"{name}{'.' + variant if variant else ''}"
        for kind, gen in (("sample", info.sample_inputs), ("reference", info.reference_inputs)):
            for i, s in enumerate(gen("cpu", torch.float64, requires_grad=True)):
                yield f"{label} {kind} {i}", info.op, s.input, tuple(s.args), dict(s.kwargs)
    for name in module_names:
        info = next(m for m in module_db if m.module_cls.__name__ == name)
        for training in ((True, False) if name.startswith("BatchNorm") else (True,)):
            inputs = info.module_inputs_func(info, device="cpu", dtype=torch.float64, requires_grad=True,
                                             training=training)
            for i, s in enumerate(inputs):
                label = f"{name}({s.desc or i}, training={training})"
                torch.manual_seed(0)
                module = info.module_cls(*s.constructor_input.args, **s.constructor_input.kwargs).to(torch.float64)
                module.train(training)
                try:
                    fn, x, a, k = _module_call(module, s.forward_input.args, s.forward_input.kwargs)
                except Unsupported as e:
                    yield label, e, None, (), {}
                    continue
                yield label, fn, x, a, k


# ---------------------------------------------------------------------------------------------
# Running one sample

class Mismatch(AssertionError):
    pass


def _is_edge(x, a, k) -> str | None:
    """An empty or 0-d tensor among the inputs: issue 11's edge cases (tracked apart)."""
    tensors = [x, *a, *k.values()]
    tensors = [t for t in tensors if isinstance(t, torch.Tensor)]
    if any(t.numel() == 0 for t in tensors):
        return "empty input"
    if isinstance(x, torch.Tensor) and x.ndim == 0:
        return "0-d input"
    if any(t.is_floating_point() and not torch.isfinite(t).all() for t in tensors):
        return "NaN or inf in the input"
    return None


def _compare(what: str, actual, expected) -> None:
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        raise Mismatch(f"{what}: shape {actual.shape}, torch gives {expected.shape}")
    if expected.dtype.kind in "iub" or actual.dtype.kind in "iub":
        if not np.array_equal(actual, expected):
            raise Mismatch(f"{what}: differs from torch")
        return
    if not np.array_equal(np.isnan(actual), np.isnan(expected)):
        raise Mismatch(f"{what}: NaN in different places")
    same = (actual == expected) | np.isnan(actual)         # equal infinities and NaNs count as equal
    err = rel_error(np.where(same, 0, actual), np.where(same, 0, expected))
    if not err < OPINFO_TOL:
        raise Mismatch(f"{what}: rel_error={err:.3g} >= {OPINFO_TOL:g}")


def run_case(case: Case, seed: int) -> None:
    """Forward, then a seeded random dout backward; Mismatch if anything differs from torch."""
    result = case.forward(*case.inputs.values(), **case.kwargs)
    out, cache = result[0], result[1]
    expected = case.reference()
    _compare("forward", out, expected)
    for what, actual, reference in (case.extra(result) if case.extra else []):
        _compare(what, actual, reference)
    if case.backward is None or not expected.requires_grad:
        return
    dout = np.random.default_rng([seed, 0xD0]).standard_normal(np.shape(out))
    grads = case.backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) != len(case.grads):
        raise Mismatch(f"backward returned {len(grads)} gradients, expected {len(case.grads)}")
    named = [(name, g) for name, g in zip(case.grads, grads) if name is not None and case.leaves.get(name) is not None]
    torch_grads = torch.autograd.grad(expected, [case.leaves[name] for name, _ in named],
                                      torch.as_tensor(dout), allow_unused=True)
    for (name, g), reference in zip(named, torch_grads):
        if reference is None:
            reference = torch.zeros_like(case.leaves[name])
        _compare(f"gradient of {name}", g, reference)


@dataclass
class Tally:
    tried: int = 0
    matched: int = 0
    unsupported: Counter = field(default_factory=Counter)
    edge: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)     # (kind, label, message)
    reasons_at: dict = field(default_factory=dict)    # reason -> the function that documents it
    seconds: float = 0.0
    distinct: int = 0                                 # distinct samples torch has for the op


def _signature(x, a, k) -> tuple:
    """What makes two samples different inputs: the tensors' shapes and strides, whether they hold
    special values, and every other argument. torch's generators repeat configurations with new
    random values (max_pool2d's reference_inputs are its sample_inputs again); one of each is run."""
    def sig(v):
        if isinstance(v, torch.Tensor):
            special = bool(v.is_floating_point() and v.numel() and not torch.isfinite(v).all())
            return ("T", tuple(v.shape), v.stride(), str(v.dtype), special)
        if isinstance(v, (tuple, list)):
            return tuple(sig(e) for e in v)
        return repr(v)
    return sig(x), sig(tuple(a)), tuple(sorted((key, sig(v)) for key, v in k.items()))


def distinct_samples(op: str, budget: int) -> tuple[list, int]:
    """The distinct samples of ``op`` (see _signature), at most ``budget`` of them evenly spread over
    the list (0: all), and how many distinct ones there were."""
    seen, distinct = set(), []
    for sample in samples(op):
        label, fn, x, a, k = sample
        key = (label.split(" ")[0].split("(")[0], _signature(x, a, k))
        if key not in seen:
            seen.add(key)
            distinct.append(sample)
    if budget and len(distinct) > budget:
        step = len(distinct) / budget
        return [distinct[int(i * step)] for i in range(budget)], len(distinct)
    return distinct, len(distinct)


def run_op(op: str, budget: int = BUDGET) -> Tally:
    adapter = OPS[op][0]
    tally = Tally()
    start = time.perf_counter()
    chosen, tally.distinct = distinct_samples(op, budget)
    for seed, (label, fn, x, a, k) in enumerate(chosen):
        tally.tried += 1
        if isinstance(fn, Unsupported):
            tally.unsupported[fn.reason] += 1
            tally.reasons_at[fn.reason] = fn.documented_in
            continue
        edge = _is_edge(x, a, k)
        try:
            with np.errstate(all="ignore"):     # NaN/inf inputs warn; the comparison is what counts
                run_case(adapter(fn, x, a, k), seed)
            tally.matched += 1
        except Unsupported as e:
            tally.unsupported[e.reason] += 1
            tally.reasons_at[e.reason] = e.documented_in
        except Exception as e:  # noqa: BLE001 - every failure is reported, by sample
            unbatched = x is not None and _unbatched(op, x)
            if edge or unbatched:
                tally.edge[edge or "unbatched input"] += 1
            else:
                kind = "mismatch" if isinstance(e, Mismatch) else "crash"
                tally.failures.append((kind, label, f"{type(e).__name__}: {e}"))
    tally.seconds = time.perf_counter() - start
    return tally


def _unbatched(op: str, x) -> bool:
    """Inputs without the batch axis: (C, H, W) for 2-D ops, (C,) / (D,) for batch norm and linear."""
    spatial = {"conv2d", "conv_transpose2d", "max_pool2d", "max_unpool2d", "avg_pool2d", "lp_pool2d",
               "adaptive_avg_pool2d", "interpolate", "upsample_nearest", "upsample_bilinear"}
    return op in spatial and x.ndim == 3


# ---------------------------------------------------------------------------------------------
# The tests

RESULTS: dict[str, Tally] = {}


@pytest.fixture(scope="module", autouse=True)
def report(request):
    """Write the per-op table when the module's tests are done; conftest prints it at the end."""
    yield
    if RESULTS:
        text = format_table(RESULTS)
        REPORT.parent.mkdir(exist_ok=True)
        REPORT.write_text(text)
        request.config._cnnlab_opinfo_report = text


def format_table(results: dict[str, Tally]) -> str:
    lines = [f"{'op':34} {'of':>5} {'tried':>6} {'matched':>7} {'unsupp':>6} {'edge':>5} {'mismatch':>8} {'crash':>5} "
             f"{'s':>5}"]
    totals = Counter()
    for op, t in results.items():
        row = {"tried": t.tried, "matched": t.matched, "unsupp": sum(t.unsupported.values()),
               "edge": sum(t.edge.values()), "mismatch": sum(1 for f in t.failures if f[0] == "mismatch"),
               "crash": sum(1 for f in t.failures if f[0] == "crash")}
        totals.update(row)
        totals["of"] += t.distinct
        lines.append(f"{op:34} {t.distinct:5} {row['tried']:6} {row['matched']:7} {row['unsupp']:6} {row['edge']:5} "
                     f"{row['mismatch']:8} {row['crash']:5} {t.seconds:5.1f}")
    lines.append(f"{'total':34} {totals['of']:5} {totals['tried']:6} {totals['matched']:7} {totals['unsupp']:6} {totals['edge']:5} "
                 f"{totals['mismatch']:8} {totals['crash']:5}")
    tried = f"at most {BUDGET} of them, evenly spread" if BUDGET else "all of them (CNNLAB_OPINFO_BUDGET=0)"
    lines.append(f"(of: distinct inputs torch's suite has for the op; tried: {tried}; s: seconds)")
    lines.append("")
    lines.append("unsupported (a documented choice, in the op's docstring) and edge (issue 11's edge cases):")
    for op, t in results.items():
        for reason, n in sorted(t.unsupported.items()):
            where = getattr(t.reasons_at.get(reason), "__name__", "?")
            lines.append(f"  {op}: {n} x {reason}   [{where}]")
        for reason, n in sorted(t.edge.items()):
            lines.append(f"  {op}: {n} x edge: {reason}")
        for kind, label, message in t.failures[:5]:
            lines.append(f"  {op}: {kind} {label}: {message[:160]}")
    return "\n".join(lines) + "\n"


def _doc_key(reason: str) -> str:
    """The word of a reason that the documenting docstring must contain ("ceil_mode=True" -> "ceil_mode")."""
    return re.match(r"[\w/.'-]+", reason).group(0).strip("'")


@pytest.mark.parametrize("op", list(OPS))
def test_matches_torch_on_its_own_test_inputs(op):
    tally = run_op(op)
    RESULTS[op] = tally
    assert tally.tried > 0, f"{op}: torch's test suite gave no inputs"
    assert not tally.failures, f"{op}: {len(tally.failures)} of {tally.tried} inputs failed:\n" + "\n".join(
        f"  {kind} {label}: {message}" for kind, label, message in tally.failures[:10])
    # every unsupported reason is a documented choice: the docstring of the function named says so
    undocumented = [f"{reason!r} (key {_doc_key(reason)!r}) not in {getattr(fn, '__name__', fn)}'s docstring"
                    for reason, fn in tally.reasons_at.items()
                    if fn is None or _doc_key(reason) not in (fn.__doc__ or "")]
    assert not undocumented, f"{op}: " + "\n".join(undocumented)
