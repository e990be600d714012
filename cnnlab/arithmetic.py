"""Convolution arithmetic: output sizes, receptive fields, parameter and multiply-accumulate counts.

Plain integers in, plain integers out; nothing here touches an array. A kernel size, stride,
padding or dilation is an int (the same along both axes) or an (h, w) pair where that makes sense.

The counts follow the lecture notes' conventions: a multiply-accumulate (MAC) is one weight times one
input added to a sum, and biases are not counted as MACs.
"""

from __future__ import annotations

from typing import Sequence

from cnnlab._checks import int_pair, integer
from cnnlab.functional._windows import out_size

__all__ = [
    "conv_output_size", "same_padding", "receptive_field", "conv_params", "conv_macs",
    "depthwise_separable_params", "depthwise_separable_macs", "inception_macs",
    "fully_connected_params", "locally_connected_params", "shared_weight_params",
]

Size = int | tuple[int, int]


def conv_output_size(n: int, kernel_size: int, *, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis: (N - F + 2P) / S + 1.

    With dilation d the kernel covers F_eff = d (F - 1) + 1 inputs, so the size is
    (N + 2P - d (F - 1) - 1) / S + 1. Raises ValueError when the division leaves a remainder
    (the filter does not tile the padded input exactly: the notes' 7x7 input, 3x3 filter and
    stride 3 gives (7 - 3) / 3 + 1 = 2.33) or when the kernel is larger than the padded input.
    Use ``(n + 2p - d(k-1) - 1) // s + 1`` yourself if you want torch's floor.
    """
    fn = "conv_output_size"
    n, k = integer(fn, "n", n, minimum=1), integer(fn, "kernel_size", kernel_size, minimum=1)
    s, p = integer(fn, "stride", stride, minimum=1), integer(fn, "padding", padding, minimum=0)
    d = integer(fn, "dilation", dilation, minimum=1)
    span = n + 2 * p - d * (k - 1) - 1          # distance the kernel's first tap can travel
    if span < 0:
        raise ValueError(f"{fn}: the kernel (effective size {d * (k - 1) + 1}) is larger than the "
                         f"padded input ({n} + 2*{p} = {n + 2 * p})")
    if span % s:
        raise ValueError(
            f"{fn}: (N - F + 2P)/S + 1 = ({n} - {d * (k - 1) + 1} + 2*{p})/{s} + 1 = "
            f"{span / s + 1:.4g} is not an integer: a {k}x{k} filter at stride {s} does not fit "
            f"an input of {n} with padding {p}")
    return out_size(n, k, s, p, d)


def same_padding(kernel_size: int, *, dilation: int = 1) -> int:
    """Zero padding (F - 1) / 2 that keeps the size at stride 1 (an odd effective kernel only)."""
    k = integer("same_padding", "kernel_size", kernel_size, minimum=1)
    d = integer("same_padding", "dilation", dilation, minimum=1)
    if (d * (k - 1)) % 2:
        raise ValueError(f"same_padding: kernel_size={k} (dilation {d}) is even: no symmetric padding "
                         f"keeps the size")
    return d * (k - 1) // 2


def receptive_field(layers: Sequence[Sequence[int]]) -> int:
    """Side of the input region one output unit sees, through a stack of conv/pool layers.

    layers: (kernel_size, stride) or (kernel_size, stride, dilation) tuples, first layer first.
    Each layer widens the field by (F_eff - 1) times the product of the earlier strides (the
    spacing, in input pixels, of its inputs): two 3x3 stride-1 convs see 5x5, three see 7x7.
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise TypeError(f"receptive_field: layers must be a sequence of (kernel_size, stride[, dilation]) "
                        f"tuples, got {type(layers).__name__}")
    field, jump = 1, 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, Sequence) or len(layer) not in (2, 3):
            raise ValueError(f"receptive_field: layers[{i}] must be (kernel_size, stride[, dilation]), "
                             f"got {layer!r}")
        k = integer("receptive_field", f"layers[{i}] kernel_size", layer[0], minimum=1)
        s = integer("receptive_field", f"layers[{i}] stride", layer[1], minimum=1)
        d = integer("receptive_field", f"layers[{i}] dilation", layer[2], minimum=1) if len(layer) == 3 else 1
        field += d * (k - 1) * jump
        jump *= s
    return field


def conv_params(c_in: int, c_out: int, kernel_size: Size, *, bias: bool = True, groups: int = 1) -> int:
    """Learnable parameters of a conv layer: C_out * (C_in / G) * kH * kW weights (+ C_out biases)."""
    fn = "conv_params"
    c_in, c_out = integer(fn, "c_in", c_in, minimum=1), integer(fn, "c_out", c_out, minimum=1)
    kh, kw = int_pair(fn, "kernel_size", kernel_size, minimum=1)
    g = _groups(fn, c_in, c_out, groups)
    return c_out * (c_in // g) * kh * kw + (c_out if bias else 0)


def conv_macs(c_in: int, c_out: int, kernel_size: Size, out_h: int, out_w: int, *, groups: int = 1) -> int:
    """Multiply-accumulates of a conv layer: each of the H' * W' * C_out outputs costs (C_in / G) kH kW."""
    fn = "conv_macs"
    c_in, c_out = integer(fn, "c_in", c_in, minimum=1), integer(fn, "c_out", c_out, minimum=1)
    kh, kw = int_pair(fn, "kernel_size", kernel_size, minimum=1)
    out_h, out_w = integer(fn, "out_h", out_h, minimum=1), integer(fn, "out_w", out_w, minimum=1)
    g = _groups(fn, c_in, c_out, groups)
    return out_h * out_w * c_out * (c_in // g) * kh * kw


def _groups(fn: str, c_in: int, c_out: int, groups: object) -> int:
    g = integer(fn, "groups", groups, minimum=1)
    if c_in % g or c_out % g:
        raise ValueError(f"{fn}: groups={g} must divide c_in={c_in} and c_out={c_out}")
    return g


def depthwise_separable_params(c_in: int, c_out: int, kernel_size: Size, *, multiplier: int = 1,
                               bias: bool = True) -> int:
    """Parameters of a depthwise (C_in * M filters of kH x kW x 1) then pointwise (C_out 1x1) conv."""
    m = integer("depthwise_separable_params", "multiplier", multiplier, minimum=1)
    return (conv_params(c_in, c_in * m, kernel_size, bias=bias, groups=c_in)
            + conv_params(c_in * m, c_out, 1, bias=bias))


def depthwise_separable_macs(c_in: int, c_out: int, kernel_size: Size, out_h: int, out_w: int, *,
                             multiplier: int = 1) -> int:
    """MACs of a depthwise-separable conv producing H' x W' x C_out.

    Depthwise: C_in * M kernels of kH x kW x 1, each moved H' W' times; pointwise: C_out kernels of
    1 x 1 x (C_in M), each moved H' W' times. The notes' 12x12x3 -> 8x8x256 with 5x5 kernels:
    3*5*5*8*8 = 4,800 plus 256*1*1*3*8*8 = 49,152, total 53,952 (vs 1,228,800 for the standard conv).
    """
    m = integer("depthwise_separable_macs", "multiplier", multiplier, minimum=1)
    return (conv_macs(c_in, c_in * m, kernel_size, out_h, out_w, groups=c_in)
            + conv_macs(c_in * m, c_out, 1, out_h, out_w))


def inception_macs(c_in: int, out_h: int, out_w: int, *, ch1x1: int, ch3x3: int, ch5x5: int,
                   ch3x3red: int | None = None, ch5x5red: int | None = None,
                   pool_proj: int | None = None) -> int:
    """MACs of an inception block whose four branches all keep the H' x W' size (torchvision's names).

    Branches: 1x1 conv to ch1x1; [1x1 to ch3x3red] then 3x3 to ch3x3; [1x1 to ch5x5red] then 5x5
    to ch5x5; 3x3 max pool (no MACs) [then 1x1 to pool_proj]. A reduction left as None is absent:
    all three None is the naive module (the notes' example is
    cnnlab.notes.ch10_architectures.inception_example()).
    """
    fn = "inception_macs"
    c_in = integer(fn, "c_in", c_in, minimum=1)
    total = conv_macs(c_in, ch1x1, 1, out_h, out_w)
    for red, out, k, name in ((ch3x3red, ch3x3, 3, "ch3x3red"), (ch5x5red, ch5x5, 5, "ch5x5red")):
        mid = c_in if red is None else integer(fn, name, red, minimum=1)
        if red is not None:
            total += conv_macs(c_in, mid, 1, out_h, out_w)
        total += conv_macs(mid, out, k, out_h, out_w)
    if pool_proj is not None:
        total += conv_macs(c_in, integer(fn, "pool_proj", pool_proj, minimum=1), 1, out_h, out_w)
    return total


def fully_connected_params(in_features: int, out_features: int, *, bias: bool = True) -> int:
    """Parameters of a fully connected layer: D_out * (D_in + 1) (the notes: 32^2 (32^2 + 1) ~ 1M)."""
    d_in = integer("fully_connected_params", "in_features", in_features, minimum=1)
    d_out = integer("fully_connected_params", "out_features", out_features, minimum=1)
    return d_out * (d_in + (1 if bias else 0))


def locally_connected_params(c_in: int, c_out: int, kernel_size: int, in_h: int, in_w: int, *,
                             stride: int = 1, padding: int = 0, bias: bool = True) -> int:
    """Parameters of a locally connected layer: every output unit has its own kH x kW x C_in filter.

    H' W' C_out (C_in kH kW + 1): the notes' 32x32 grey image with 3x3 fields gives 30^2 (3^2 + 1)
    = 9,000; with 3 input channels 30^2 (3 * 3^2 + 1) = 25,200.
    """
    fn = "locally_connected_params"
    c_in, c_out = integer(fn, "c_in", c_in, minimum=1), integer(fn, "c_out", c_out, minimum=1)
    k = integer(fn, "kernel_size", kernel_size, minimum=1)
    out_h = conv_output_size(integer(fn, "in_h", in_h, minimum=1), k, stride=stride, padding=padding)
    out_w = conv_output_size(integer(fn, "in_w", in_w, minimum=1), k, stride=stride, padding=padding)
    return out_h * out_w * c_out * (c_in * k * k + (1 if bias else 0))


def shared_weight_params(c_in: int, c_out: int, kernel_size: int, *, bias: bool = True) -> int:
    """Parameters once the local filters are shared across positions (a conv layer): C_out (C_in kH kW + 1).

    The notes: one 3x3 filter over 3 channels, 3 * 3^2 + 1 = 28; four filters, 112.
    """
    return conv_params(c_in, c_out, kernel_size, bias=bias)
