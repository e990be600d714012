"""GoogLeNet (Szegedy et al., 2015): a stem, nine inception modules, global average pooling, one FC.

An inception module runs 1x1, 3x3 and 5x5 convolutions and a 3x3 max pool side by side and
concatenates their outputs along the channels. The naive module is expensive (its 3x3 and 5x5
filters see every input channel, and the pooling branch keeps all of them); ``Inception`` puts
1x1 "bottleneck" convolutions before the 3x3 and 5x5 ones and after the pool.
"""

from __future__ import annotations

from typing import NamedTuple, Union

import torch
from torch import nn

from ._utils import check_factory_args, check_input, init_weights

__all__ = ["BasicConv2d", "InceptionNaive", "Inception", "InceptionAux", "GoogLeNet", "GoogLeNetOutputs",
           "GOOGLENET_CFGS", "googlenet", "small_googlenet"]


class BasicConv2d(nn.Module):
    """conv -> (batch norm) -> ReLU. The conv has a bias only without batch norm."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
                 padding: int = 0, batch_norm: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              bias=not batch_norm)
        self.bn = nn.BatchNorm2d(out_channels) if batch_norm else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.relu(x)


class InceptionNaive(nn.Module):
    """[1x1 conv, 3x3 conv, 5x5 conv, 3x3 max pool] in parallel, concatenated.

    x: (N, C_in, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + C_in, H, W). The notes' example and its
    cost are in cnnlab.notes.ch10_architectures (INCEPTION, inception_example()).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3: int, ch5x5: int, *, batch_norm: bool = False) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1, batch_norm=batch_norm)
        self.branch2 = BasicConv2d(in_channels, ch3x3, 3, padding=1, batch_norm=batch_norm)
        self.branch3 = BasicConv2d(in_channels, ch5x5, 5, padding=2, batch_norm=batch_norm)
        self.branch4 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch1 = self.branch1(x)               # N x ch1x1 x H x W
        branch2 = self.branch2(x)               # N x ch3x3 x H x W
        branch3 = self.branch3(x)               # N x ch5x5 x H x W
        branch4 = self.branch4(x)               # N x C_in x H x W
        return torch.cat([branch1, branch2, branch3, branch4], dim=1)


class Inception(nn.Module):
    """[1x1; 1x1 reduce -> 3x3; 1x1 reduce -> 5x5; 3x3 max pool -> 1x1 projection], concatenated.

    x: (N, C_in, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int, *, batch_norm: bool = False) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1, batch_norm=batch_norm)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, 1, batch_norm=batch_norm),
            BasicConv2d(ch3x3red, ch3x3, 3, padding=1, batch_norm=batch_norm),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, 1, batch_norm=batch_norm),
            BasicConv2d(ch5x5red, ch5x5, 5, padding=2, batch_norm=batch_norm),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            BasicConv2d(in_channels, pool_proj, 1, batch_norm=batch_norm),
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch1 = self.branch1(x)               # N x ch1x1 x H x W
        branch2 = self.branch2(x)               # N x ch3x3 x H x W
        branch3 = self.branch3(x)               # N x ch5x5 x H x W
        branch4 = self.branch4(x)               # N x pool_proj x H x W
        return torch.cat([branch1, branch2, branch3, branch4], dim=1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: 5x5/3 average pool -> 1x1 conv 128 -> FC 1024 -> dropout 0.7 -> FC K."""

    def __init__(self, in_channels: int, num_classes: int, *, hidden: int = 1024, batch_norm: bool = False) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((4, 4))  # 14x14 -> 4x4, the paper's 5x5/3 average pool
        self.conv = BasicConv2d(in_channels, 128, 1, batch_norm=batch_norm)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(128 * 4 * 4, hidden)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(p=0.7)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(x)                        # N x 512 x 4 x 4 (4a; 528 after 4d)
        x = self.conv(x)                        # N x 128 x 4 x 4
        x = self.flatten(x)                     # N x 2048
        x = self.fc1(x)                         # N x 1024
        x = self.relu(x)
        x = self.dropout(x)
        return self.fc2(x)                      # N x num_classes


class GoogLeNetOutputs(NamedTuple):
    """What a GoogLeNet with auxiliary classifiers returns in training mode."""

    logits: torch.Tensor
    aux1: torch.Tensor
    aux2: torch.Tensor


# The paper's Table 1: block -> (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj). A block's
# output has #1x1 + #3x3 + #5x5 + pool proj channels, which the next block takes in.
GOOGLENET_CFGS: dict[str, tuple[int, int, int, int, int, int]] = {
    "inception3a": (64, 96, 128, 16, 32, 32),          # 192 -> 256
    "inception3b": (128, 128, 192, 32, 96, 64),        # 256 -> 480
    "inception4a": (192, 96, 208, 16, 48, 64),         # 480 -> 512, feeds aux1
    "inception4b": (160, 112, 224, 24, 64, 64),        # 512 -> 512
    "inception4c": (128, 128, 256, 24, 64, 64),        # 512 -> 512
    "inception4d": (112, 144, 288, 32, 64, 64),        # 512 -> 528, feeds aux2
    "inception4e": (256, 160, 320, 32, 128, 128),      # 528 -> 832
    "inception5a": (256, 160, 320, 32, 128, 128),      # 832 -> 832
    "inception5b": (384, 192, 384, 48, 128, 128),      # 832 -> 1024
}


class GoogLeNet(nn.Module):
    """stem -> inception 3a, 3b -> pool -> 4a..4e -> pool -> 5a, 5b -> global average pool -> dropout -> fc.

    x: (N, C, 224, 224) (any size with ``small=True``). Returns logits (N, K), or in training mode
    with ``aux_logits=True`` GoogLeNetOutputs(logits, aux1, aux2) (aux1 after 4a, aux2 after 4d;
    the paper adds their losses with weight 0.3). ``width_divisor`` divides every width of
    GOOGLENET_CFGS (8 for the small net). ``small=True``: a single 3x3 stem convolution, no early
    downsampling. The shape comments are the paper's, for a 224 x 224 input and width_divisor=1.
    """

    def __init__(self, *, num_classes: int = 1000, in_channels: int = 3, aux_logits: bool = False,
                 batch_norm: bool = False, dropout: float = 0.4, small: bool = False, width_divisor: int = 1,
                 name: str = "googlenet") -> None:
        super().__init__()
        check_factory_args(name, num_classes=num_classes, in_channels=in_channels)
        self.name, self.in_channels, self.aux_logits = name, in_channels, aux_logits
        d, bn = width_divisor, batch_norm

        def inception(block: str, in_channels: int) -> Inception:
            return Inception(in_channels, *(w // d for w in GOOGLENET_CFGS[block]), batch_norm=bn)

        stem_out = 192 // d
        if small:
            self.stem = nn.Sequential(BasicConv2d(in_channels, stem_out, 3, padding=1, batch_norm=bn))
        else:  # conv 7x7/2 -> pool -> conv 1x1 -> conv 3x3 -> pool: 224 -> 112 -> 56 -> 28
            self.stem = nn.Sequential(
                BasicConv2d(in_channels, 64 // d, 7, stride=2, padding=3, batch_norm=bn),
                nn.MaxPool2d(3, stride=2, ceil_mode=True),
                BasicConv2d(64 // d, 64 // d, 1, batch_norm=bn),
                BasicConv2d(64 // d, stem_out, 3, padding=1, batch_norm=bn),
                nn.MaxPool2d(3, stride=2, ceil_mode=True),
            )
        self.inception3a = inception("inception3a", stem_out)
        self.inception3b = inception("inception3b", self.inception3a.out_channels)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = inception("inception4a", self.inception3b.out_channels)
        self.inception4b = inception("inception4b", self.inception4a.out_channels)
        self.inception4c = inception("inception4c", self.inception4b.out_channels)
        self.inception4d = inception("inception4d", self.inception4c.out_channels)
        self.inception4e = inception("inception4e", self.inception4d.out_channels)
        self.maxpool4 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception5a = inception("inception5a", self.inception4e.out_channels)
        self.inception5b = inception("inception5b", self.inception5a.out_channels)
        if aux_logits:
            self.aux1: InceptionAux | None = InceptionAux(self.inception4a.out_channels, num_classes,
                                                          hidden=1024 // d, batch_norm=bn)
            self.aux2: InceptionAux | None = InceptionAux(self.inception4d.out_channels, num_classes,
                                                          hidden=1024 // d, batch_norm=bn)
        else:
            self.aux1 = self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(self.inception5b.out_channels, num_classes)
        init_weights(self, linear_std=None)

    def forward(self, x: torch.Tensor) -> Union[torch.Tensor, GoogLeNetOutputs]:
        check_input(self.name, x, in_channels=self.in_channels)
        x = self.stem(x)                        # N x 192 x 28 x 28
        x = self.inception3a(x)                 # N x 256 x 28 x 28
        x = self.inception3b(x)                 # N x 480 x 28 x 28
        x = self.maxpool3(x)                    # N x 480 x 14 x 14
        x = self.inception4a(x)                 # N x 512 x 14 x 14
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4b(x)                 # N x 512 x 14 x 14
        x = self.inception4c(x)                 # N x 512 x 14 x 14
        x = self.inception4d(x)                 # N x 528 x 14 x 14
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception4e(x)                 # N x 832 x 14 x 14
        x = self.maxpool4(x)                    # N x 832 x 7 x 7
        x = self.inception5a(x)                 # N x 832 x 7 x 7
        x = self.inception5b(x)                 # N x 1024 x 7 x 7
        x = self.avgpool(x)                     # N x 1024 x 1 x 1
        x = self.flatten(x)                     # N x 1024
        x = self.dropout(x)
        x = self.fc(x)                          # N x num_classes
        if aux1 is not None and aux2 is not None:
            return GoogLeNetOutputs(x, aux1, aux2)
        return x


def googlenet(*, num_classes: int = 1000, in_channels: int = 3, aux_logits: bool = False,
              batch_norm: bool = False, dropout: float = 0.4) -> GoogLeNet:
    """GoogLeNet (Inception v1) for 224x224 inputs, the paper's widths and 5x5 convolutions
    (6,998,552 parameters without the auxiliary classifiers, no batch norm). Like torchvision it
    leaves out the paper's two local response normalisations; ``batch_norm=True`` adds batch norm."""
    return GoogLeNet(num_classes=num_classes, in_channels=in_channels, aux_logits=aux_logits,
                     batch_norm=batch_norm, dropout=dropout)


def small_googlenet(*, num_classes: int = 10, in_channels: int = 3, aux_logits: bool = False,
                    batch_norm: bool = True, dropout: float = 0.4, width_divisor: int = 8) -> GoogLeNet:
    """GoogLeNet for 28x28/32x32 images: a 3x3 stem, all widths divided by ``width_divisor``,
    batch norm on by default. The nine inception modules run at 32, 16 and 8 pixels."""
    return GoogLeNet(num_classes=num_classes, in_channels=in_channels, aux_logits=aux_logits,
                     batch_norm=batch_norm, dropout=dropout, small=True, width_divisor=width_divisor,
                     name="small_googlenet")
