"""The small convolution helpers that several model families share (private).

``conv3x3`` is the one 3x3 convolution of VGG and ResNet (padding 1: H x W kept at stride 1),
``conv1x1`` ResNet's bottleneck and projection convolution. No bias by default, since batch norm
follows; VGG without batch norm asks for one.
"""

from __future__ import annotations

from torch import nn


def conv3x3(in_channels: int, out_channels: int, *, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """3x3 convolution with padding 1 (H' = H at stride 1, ceil(H / 2) at stride 2)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=bias)


def conv1x1(in_channels: int, out_channels: int, *, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """1x1 convolution: mixes channels, H x W unchanged at stride 1."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=bias)
