"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012) and ZFNet (Zeiler and Fergus, 2013).

Both are five convolutions then three fully connected layers; a config table lists the
convolutions. "P" is 3x3 max pooling at stride 2 and "N" local response normalisation.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple, Sequence, Union

import torch
from torch import nn

from ._utils import check_factory_args, check_input, conv_out, init_weights

__all__ = ["AlexNet", "ConvSpec", "alexnet", "zfnet", "small_alexnet", "ALEXNET_CFGS"]


class ConvSpec(NamedTuple):
    """One convolution: C_out filters of kernel_size x kernel_size. ``split``: the layer only sees
    the feature maps on its own GPU (a grouped convolution when the net is built with groups=2)."""

    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    split: bool = False


Layer = Union[ConvSpec, str]

ALEXNET_CFGS: dict[str, list[Layer]] = {
    # CONV1 96 11x11/4 -> 55x55x96, POOL1 -> 27x27, NORM1, CONV2 256 5x5 -> 27x27, POOL2 -> 13x13,
    # NORM2, CONV3 384, CONV4 384, CONV5 256 (3x3, pad 1) -> 13x13, POOL3 -> 6x6x256.
    "alexnet": [ConvSpec(96, 11, 4), "P", "N", ConvSpec(256, 5, 1, 2, True), "P", "N",
                ConvSpec(384, 3, 1, 1), ConvSpec(384, 3, 1, 1, True), ConvSpec(256, 3, 1, 1, True), "P"],
    # 224x224: CONV1 96 7x7/2 -> 110x110, POOL1 -> 55x55, CONV2 256 5x5/2 -> 26x26, POOL2 -> 13x13,
    # CONV3-5 deeper (512, 1024, 512, as in the notes), POOL3 -> 6x6x512.
    "zfnet": [ConvSpec(96, 7, 2, 1), "P", "N", ConvSpec(256, 5, 2, 0), "P", "N",
              ConvSpec(512, 3, 1, 1), ConvSpec(1024, 3, 1, 1), ConvSpec(512, 3, 1, 1), "P"],
    # 32x32 (or 28x28) images: 5x5 then 3x3 convolutions at stride 1, narrower layers.
    "small_alexnet": [ConvSpec(32, 5, 1, 2), "P", "N", ConvSpec(64, 5, 1, 2, True), "P", "N",
                      ConvSpec(96, 3, 1, 1), ConvSpec(96, 3, 1, 1, True), ConvSpec(64, 3, 1, 1, True), "P"],
}


def make_features(cfg: Sequence[Layer], in_channels: int, input_size: int, *, groups: int = 1,
                  lrn: bool = False, ceil_mode: bool = False) -> tuple[nn.Sequential, tuple[int, int, int]]:
    """The convolutional part from a config table, and the (C, H, W) of its output.

    Layers are named as in the paper (conv1, relu1, pool1, norm1, ...).
    """
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    channels, size, conv, pool, norm = in_channels, input_size, 0, 0, 0
    for spec in cfg:
        if spec == "P":
            pool += 1
            layers[f"pool{pool}"] = nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=ceil_mode)
            size = conv_out(size, 3, 2, ceil_mode=ceil_mode)
        elif spec == "N":
            norm += 1
            if lrn:  # the paper's constants: k=2, n=5, alpha=1e-4, beta=0.75
                layers[f"norm{norm}"] = nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)
        else:
            conv += 1
            g = groups if spec.split else 1
            layers[f"conv{conv}"] = nn.Conv2d(channels, spec.out_channels, spec.kernel_size,
                                              stride=spec.stride, padding=spec.padding, groups=g)
            layers[f"relu{conv}"] = nn.ReLU(inplace=True)
            channels = spec.out_channels
            size = conv_out(size, spec.kernel_size, spec.stride, spec.padding)
    return nn.Sequential(layers), (channels, size, size)


class AlexNet(nn.Module):
    """features (CONV1 ... POOL3) -> flatten -> FC6 -> FC7 -> FC8, dropout before FC6 and FC7.

    x: (N, C, input_size, input_size). Returns logits (N, K).
    """

    def __init__(self, cfg: Sequence[Layer], *, num_classes: int = 1000, in_channels: int = 3,
                 input_size: int = 227, hidden: int = 4096, groups: int = 1, lrn: bool = False,
                 dropout: float = 0.5, ceil_mode: bool = False, name: str = "alexnet") -> None:
        super().__init__()
        check_factory_args(name, num_classes=num_classes, in_channels=in_channels)
        if groups not in (1, 2):
            raise ValueError(f"{name}: groups must be 1 or 2 (the two-GPU split), got {groups}")
        self.name, self.in_channels, self.input_size = name, in_channels, input_size
        self.features, (c, h, w) = make_features(cfg, in_channels, input_size, groups=groups,
                                                 lrn=lrn, ceil_mode=ceil_mode)
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(OrderedDict([
            ("dropout6", nn.Dropout(p=dropout)),
            ("fc6", nn.Linear(c * h * w, hidden)),
            ("relu6", nn.ReLU(inplace=True)),
            ("dropout7", nn.Dropout(p=dropout)),
            ("fc7", nn.Linear(hidden, hidden)),
            ("relu7", nn.ReLU(inplace=True)),
            ("fc8", nn.Linear(hidden, num_classes)),
        ]))
        init_weights(self, linear_std=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self.name, x, in_channels=self.in_channels, size=(self.input_size, self.input_size))
        x = self.features(x)
        x = self.flatten(x)
        return self.classifier(x)


def alexnet(*, num_classes: int = 1000, in_channels: int = 3, groups: int = 1, lrn: bool = False,
            dropout: float = 0.5) -> AlexNet:
    """AlexNet as in the notes, for 227x227 inputs.

    ``groups=2`` splits CONV2, CONV4 and CONV5 between the two GPUs (60,965,224 parameters instead
    of 62,378,344); ``lrn=True`` adds NORM1 and NORM2 (local response normalisation).
    """
    return AlexNet(ALEXNET_CFGS["alexnet"], num_classes=num_classes, in_channels=in_channels,
                   input_size=227, groups=groups, lrn=lrn, dropout=dropout)


def zfnet(*, num_classes: int = 1000, in_channels: int = 3, lrn: bool = False, dropout: float = 0.5) -> AlexNet:
    """ZFNet: AlexNet with a 7x7 stride-2 CONV1 and deeper CONV3-5, for 224x224 inputs.

    Pooling rounds up (ceil mode) so the maps are 110, 55, 26, 13, 6 as in the paper.
    """
    return AlexNet(ALEXNET_CFGS["zfnet"], num_classes=num_classes, in_channels=in_channels,
                   input_size=224, lrn=lrn, dropout=dropout, ceil_mode=True, name="zfnet")


def small_alexnet(*, num_classes: int = 10, in_channels: int = 3, input_size: int = 32, groups: int = 1,
                  lrn: bool = False, dropout: float = 0.5, hidden: int = 256) -> AlexNet:
    """AlexNet's shape for 32x32 (or 28x28) images: same layers, 5x5/3x3 stride-1 convolutions,
    fewer channels, ``hidden`` units in FC6/FC7. Trains on a CPU."""
    return AlexNet(ALEXNET_CFGS["small_alexnet"], num_classes=num_classes, in_channels=in_channels,
                   input_size=input_size, hidden=hidden, groups=groups, lrn=lrn, dropout=dropout,
                   name="small_alexnet")
