"""A per-layer table of a torch model: output shapes, parameters, activation memory and MACs.

``summary(model, (3, 224, 224))`` runs one forward pass on a batch of one (zeros, on the device of
the model's parameters, so a model built under ``torch.device("meta")`` costs no memory and no
arithmetic) with a forward hook on every leaf module. Work done by plain tensor operations inside a
``forward`` (the ``torch.cat`` of an inception module, ResNet's ``out += identity``) belongs to no
leaf module and is not counted; a module called twice gives two rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import torch
from torch import nn

from ._utils import run_hooked

__all__ = ["LayerSummary", "Summary", "summary", "layer_macs"]


class LayerSummary(NamedTuple):
    """One call of one leaf module.

    ``activations`` counts the output values the layer allocates: 0 when the output shares memory
    with the input (an in-place ReLU, a view such as Flatten, Dropout in eval mode), flagged by
    ``shares_input``. ``params`` counts the module's parameters the first time it is called.
    """

    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    activations: int
    activation_bytes: int
    macs: int
    shares_input: bool


@dataclass
class Summary:
    """What ``summary`` measured. Totals are for the whole batch (one image by default)."""

    rows: list[LayerSummary]
    input_shape: tuple[int, ...]
    total_params: int
    trainable_params: int
    bytes_per_value: int = 4
    _by_name: dict[str, LayerSummary] = field(default_factory=dict, repr=False)

    @property
    def input_values(self) -> int:
        """Number of values in the input batch."""
        return _prod(self.input_shape)

    @property
    def total_activations(self) -> int:
        """Output values of all layers (not counting the input, nor outputs that share memory)."""
        return sum(r.activations for r in self.rows)

    @property
    def total_activation_bytes(self) -> int:
        """``total_activations`` in bytes (``bytes_per_value`` each, 4 for float32)."""
        return self.total_activations * self.bytes_per_value

    @property
    def total_macs(self) -> int:
        """Multiply-accumulates of all convolutions and linear layers."""
        return sum(r.macs for r in self.rows)

    def __getitem__(self, name: str) -> LayerSummary:
        """The row of the module called ``name`` (first call)."""
        if not self._by_name:
            for r in self.rows:
                self._by_name.setdefault(r.name, r)
        return self._by_name[name]

    def rows_of_type(self, *types: str) -> list[LayerSummary]:
        """Rows whose module class name is one of ``types`` (e.g. "Conv2d", "Linear")."""
        return [r for r in self.rows if r.type in types]

    def __str__(self) -> str:
        """The layer table and the totals; a total is also written in M or G when it is that large."""
        header = ("Layer", "Type", "Output shape", "Params", "Activations", "Memory (KB)", "MACs")
        lines = [
            (r.name, r.type, "x".join(map(str, r.output_shape)), f"{r.params:,}",
             f"{r.activations:,}" if not r.shares_input else "0 (shared)",
             f"{r.activation_bytes / 1e3:,.1f}", f"{r.macs:,}")
            for r in self.rows
        ]
        widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
        fmt = "  ".join(f"{{:<{w}}}" if i < 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        out = [fmt.format(*header), rule, *(fmt.format(*line) for line in lines), rule]
        mb = self.total_activation_bytes / 1e6
        out += [
            f"Input: {'x'.join(map(str, self.input_shape))} = {self.input_values:,} values",
            f"Total params: {self.total_params:,}{_scaled(self.total_params)}, "
            f"trainable: {self.trainable_params:,}",
            f"Activations (forward): {self.total_activations:,} values = {mb:,.2f} MB "
            f"at {self.bytes_per_value} bytes/value (with the input: "
            f"{(self.total_activations + self.input_values) * self.bytes_per_value / 1e6:,.2f} MB)",
            f"MACs: {self.total_macs:,}{_scaled(self.total_macs)}",
        ]
        return "\n".join(out)


def count_parameters(model: nn.Module, *, trainable: bool = False) -> int:
    """Number of parameters of ``model`` (only those with requires_grad when ``trainable``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable)


def _prod(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _root(t: torch.Tensor) -> torch.Tensor:
    return t._base if t._base is not None else t


def _tensors(obj) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    return []


def _scaled(count: int) -> str:
    """" (1.58 G)" or " (61.10 M)" for a count of at least a billion or a million, else "" (never "0.000 G")."""
    if count >= 1e9:
        return f" ({count / 1e9:.2f} G)"
    if count >= 1e6:
        return f" ({count / 1e6:.2f} M)"
    return ""


def layer_macs(module: nn.Module, x: torch.Tensor, out: torch.Tensor) -> int:
    """Multiply-accumulates of one call.

    Conv2d: N * C_out * H' * W' * (C_in / G) * kH * kW. ConvTranspose2d: every input value meets
    (C_out / G) * kH * kW weights. Linear (any module with in_features and out_features):
    N * D_in * D_out. Everything else: 0.
    """
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return out.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.ConvTranspose2d):
        kh, kw = module.kernel_size
        return x.numel() * (module.out_channels // module.groups) * kh * kw
    d_in, d_out = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if isinstance(d_in, int) and isinstance(d_out, int):  # nn.Linear and look-alikes (TiedLinear)
        return out.numel() * d_in
    return 0


def summary(model: nn.Module, input_size: Sequence[int], *, batch_size: int = 1, bytes_per_value: int = 4) -> Summary:
    """Run ``model`` once on zeros of shape (batch_size, *input_size) and tabulate every leaf module.

    input_size: one input without the batch dimension, e.g. (3, 224, 224) or (784,); a 4-tuple
    (N, C, H, W) is read as a whole image batch (and overrides ``batch_size``). The model is
    run in eval mode under ``torch.no_grad()`` and its mode restored afterwards. Returns a Summary;
    ``print(summary(...))`` shows the table.
    """
    if isinstance(input_size, int):
        input_size = (input_size,)
    if not all(isinstance(s, int) and s > 0 for s in input_size):
        raise ValueError(f"summary: input_size must be positive ints without the batch dimension, got {input_size!r}")
    if len(input_size) == 4:  # (N, C, H, W): an image batch given with its batch dimension
        batch_size, input_size = input_size[0], tuple(input_size[1:])
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    x = torch.zeros((batch_size, *input_size), device=device, dtype=dtype)

    rows: list[LayerSummary] = []
    seen: set[int] = set()

    def hook(name: str):
        def record(module: nn.Module, inputs, output) -> None:
            outs, ins = _tensors(output), _tensors(inputs)
            shared = bool(outs) and all(any(_root(o) is _root(i) for i in ins) for o in outs)
            values = 0 if shared else sum(o.numel() for o in outs)
            params = 0 if id(module) in seen else sum(p.numel() for p in module.parameters())
            seen.add(id(module))
            shape = tuple(outs[0].shape) if outs else ()
            macs = layer_macs(module, ins[0], outs[0]) if ins and outs else 0
            rows.append(LayerSummary(name, type(module).__name__, shape, params, values,
                                     values * bytes_per_value, macs, shared))
        return record

    run_hooked(model, x, [(m, hook(name or type(m).__name__))
                          for name, m in model.named_modules() if next(m.children(), None) is None])
    return Summary(rows, tuple(x.shape), count_parameters(model), count_parameters(model, trainable=True),
                   bytes_per_value)
