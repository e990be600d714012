"""The all-convolutional net (Springenberg, Dosovitskiy, Brox and Riedmiller, 2015), All-CNN-C.

"Striving for simplicity": every max pool of a CIFAR net is replaced by a 3x3 convolution with
stride 2, and the fully connected layers by 1x1 convolutions and global average pooling.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple, Sequence

import torch
from torch import nn

from ._utils import check_factory_args, check_input, init_weights

__all__ = ["AllConvNet", "allconvnet", "small_allconvnet"]


class Conv(NamedTuple):
    """A convolution of the table: ``width`` is an index into (w1, w2, num_classes)."""

    width: int
    kernel_size: int
    stride: int = 1
    padding: int = 0


# All-CNN-C on 32x32: 3x3 96, 3x3 96, 3x3 96 /2 -> 16x16, 3x3 192, 3x3 192, 3x3 192 /2 -> 8x8,
# 3x3 192 (valid) -> 6x6, 1x1 192, 1x1 K; "D" is dropout (0.5 in the paper).
ALLCONV_C = [Conv(0, 3, 1, 1), Conv(0, 3, 1, 1), Conv(0, 3, 2, 1), "D",
             Conv(1, 3, 1, 1), Conv(1, 3, 1, 1), Conv(1, 3, 2, 1), "D",
             Conv(1, 3, 1, 0), Conv(1, 1), Conv(2, 1)]


class AllConvNet(nn.Module):
    """Only convolutions: strided convolutions downsample, 1x1 convolutions classify.

    x: (N, C, H, W) (32x32 in the paper; 28x28 works too). Returns logits (N, K), the global
    average of the K class maps of the last 1x1 convolution (no ReLU on them here).
    """

    def __init__(self, cfg: Sequence = ALLCONV_C, *, num_classes: int = 10, in_channels: int = 3,
                 widths: tuple[int, int] = (96, 192), dropout: float = 0.5, input_dropout: float = 0.2,
                 batch_norm: bool = False, name: str = "allconvnet") -> None:
        super().__init__()
        check_factory_args(name, num_classes=num_classes, in_channels=in_channels)
        self.name, self.in_channels = name, in_channels
        sizes = (*widths, num_classes)
        layers: OrderedDict[str, nn.Module] = OrderedDict(input_dropout=nn.Dropout(p=input_dropout))
        channels = in_channels
        for i, spec in enumerate(cfg):
            if spec == "D":
                layers[f"dropout{i}"] = nn.Dropout(p=dropout)
                continue
            out = sizes[spec.width]
            layers[f"conv{i}"] = nn.Conv2d(channels, out, spec.kernel_size, stride=spec.stride,
                                           padding=spec.padding, bias=not batch_norm)
            last = i == len(cfg) - 1
            if batch_norm and not last:
                layers[f"bn{i}"] = nn.BatchNorm2d(out)
            if not last:
                layers[f"relu{i}"] = nn.ReLU(inplace=True)
            channels = out
        self.features = nn.Sequential(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        init_weights(self)
        last_conv = [m for m in self.features if isinstance(m, nn.Conv2d)][-1]
        if last_conv.bias is None:  # the classifying conv keeps a bias even with batch norm elsewhere
            last_conv.bias = nn.Parameter(torch.zeros(num_classes, device=last_conv.weight.device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self.name, x, in_channels=self.in_channels)
        x = self.features(x)
        x = self.avgpool(x)
        return self.flatten(x)


def allconvnet(*, num_classes: int = 10, in_channels: int = 3, dropout: float = 0.5,
               input_dropout: float = 0.2, batch_norm: bool = False) -> AllConvNet:
    """All-CNN-C for CIFAR-10 (32x32): 96 and 192 filters, 1,369,738 parameters for K=10."""
    return AllConvNet(num_classes=num_classes, in_channels=in_channels, dropout=dropout,
                      input_dropout=input_dropout, batch_norm=batch_norm)


def small_allconvnet(*, num_classes: int = 10, in_channels: int = 3, widths: tuple[int, int] = (32, 64),
                     dropout: float = 0.0, input_dropout: float = 0.0, batch_norm: bool = True) -> AllConvNet:
    """All-CNN-C with ``widths`` filters (32, 64), batch norm and no dropout: trains on a CPU."""
    return AllConvNet(num_classes=num_classes, in_channels=in_channels, widths=widths, dropout=dropout,
                      input_dropout=input_dropout, batch_norm=batch_norm, name="small_allconvnet")
