"""VGG (Simonyan and Zisserman, 2015): only 3x3 convolutions (stride 1, pad 1) and 2x2 max pooling.

A config table per depth: a number is a 3x3 convolution with that many filters, "M" a max pool.
"""

from __future__ import annotations

from typing import Sequence, Union

import torch
from torch import nn

from ._conv import conv3x3
from ._utils import check_factory_args, check_input, init_weights

__all__ = ["VGG", "VGG_CFGS", "make_layers", "vgg11", "vgg13", "vgg16", "vgg19", "small_vgg"]

VGG_CFGS: dict[str, list[Union[int, str]]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
    # 32x32 (or 28x28) images: four stages, 32x32 -> 2x2x128.
    "small": [16, 16, "M", 32, 32, "M", 64, 64, "M", 128, 128, "M"],
}


def make_layers(cfg: Sequence[Union[int, str]], *, in_channels: int = 3, batch_norm: bool = False) -> nn.Sequential:
    """conv3x3 (+ batch norm) + ReLU for every number in ``cfg``, 2x2/2 max pooling for every "M"."""
    layers: list[nn.Module] = []
    channels = in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(conv3x3(channels, int(v), bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(int(v)))
        layers.append(nn.ReLU(inplace=True))
        channels = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """features -> flatten -> FC -> FC -> FC (dropout after the first two).

    x: (N, C, input_size, input_size). Returns logits (N, K). Linear weights start as
    N(0, linear_std) (torchvision's 0.01; None keeps torch's default, which trains faster without
    batch norm on small nets). There is no adaptive pooling (unlike torchvision): the 224x224 net is
    the paper's, and its layers are exactly the rows of the notes' memory/parameter table.
    """

    def __init__(self, features: nn.Sequential, *, num_classes: int = 1000, in_channels: int = 3,
                 input_size: int = 224, hidden: int = 4096, dropout: float = 0.5, linear_std: float | None = 0.01,
                 name: str = "vgg") -> None:
        super().__init__()
        check_factory_args(name, num_classes=num_classes, in_channels=in_channels)
        pools = sum(isinstance(m, nn.MaxPool2d) for m in features)
        side = input_size // 2**pools  # each 2x2/2 pool halves the side, rounding down
        if side < 1:
            raise ValueError(f"{name}: input_size must be at least {2**pools} ({pools} pools), got {input_size}")
        self.name, self.in_channels, self.input_size = name, in_channels, input_size
        channels = [m.out_channels for m in features if isinstance(m, nn.Conv2d)][-1]
        self.features = features
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(channels * side * side, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )
        init_weights(self, linear_std=linear_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self.name, x, in_channels=self.in_channels, size=(self.input_size, self.input_size))
        x = self.features(x)
        x = self.flatten(x)
        return self.classifier(x)


def _vgg(cfg: str, *, num_classes: int, in_channels: int, batch_norm: bool, dropout: float) -> VGG:
    check_factory_args(cfg, num_classes=num_classes, in_channels=in_channels)
    features = make_layers(VGG_CFGS[cfg], in_channels=in_channels, batch_norm=batch_norm)
    return VGG(features, num_classes=num_classes, in_channels=in_channels, dropout=dropout, name=cfg)


def vgg11(*, num_classes: int = 1000, in_channels: int = 3, batch_norm: bool = False, dropout: float = 0.5) -> VGG:
    """VGG-11 (config A), 224x224 inputs: 132,863,336 parameters."""
    return _vgg("vgg11", num_classes=num_classes, in_channels=in_channels, batch_norm=batch_norm, dropout=dropout)


def vgg13(*, num_classes: int = 1000, in_channels: int = 3, batch_norm: bool = False, dropout: float = 0.5) -> VGG:
    """VGG-13 (config B), 224x224 inputs: 133,047,848 parameters."""
    return _vgg("vgg13", num_classes=num_classes, in_channels=in_channels, batch_norm=batch_norm, dropout=dropout)


def vgg16(*, num_classes: int = 1000, in_channels: int = 3, batch_norm: bool = False, dropout: float = 0.5) -> VGG:
    """VGG-16 (config D), 224x224 inputs: 138,357,544 parameters."""
    return _vgg("vgg16", num_classes=num_classes, in_channels=in_channels, batch_norm=batch_norm, dropout=dropout)


def vgg19(*, num_classes: int = 1000, in_channels: int = 3, batch_norm: bool = False, dropout: float = 0.5) -> VGG:
    """VGG-19 (config E), 224x224 inputs: 143,667,240 parameters."""
    return _vgg("vgg19", num_classes=num_classes, in_channels=in_channels, batch_norm=batch_norm, dropout=dropout)


def small_vgg(*, num_classes: int = 10, in_channels: int = 3, input_size: int = 32, batch_norm: bool = False,
              dropout: float = 0.5, hidden: int = 256) -> VGG:
    """VGG's recipe for 32x32 (or 28x28 -> 1x1 after four pools) images: two 3x3 convolutions per
    stage, 16-32-64-128 filters, ``hidden`` units in the first two FC layers. Trains on a CPU."""
    check_factory_args("small_vgg", num_classes=num_classes, in_channels=in_channels)
    features = make_layers(VGG_CFGS["small"], in_channels=in_channels, batch_norm=batch_norm)
    return VGG(features, num_classes=num_classes, in_channels=in_channels, input_size=input_size,
               hidden=hidden, dropout=dropout, linear_std=None, name="small_vgg")
