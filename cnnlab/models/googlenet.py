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
           "GOOGLENET_CFG", "googlenet", "small_googlenet"]


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

    x: (N, C_in, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + C_in, H, W). The notes' example
    InceptionNaive(256, 128, 192, 96) on 28x28 gives 28x28x672 and 854M multiply-accumulates.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3: int, ch5x5: int, *, batch_norm: bool = False) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1, batch_norm=batch_norm)
        self.branch2 = BasicConv2d(in_channels, ch3x3, 3, padding=1, batch_norm=batch_norm)
        self.branch3 = BasicConv2d(in_channels, ch5x5, 5, padding=2, batch_norm=batch_norm)
        self.branch4 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


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
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


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
        x = self.conv(self.pool(x))
        x = self.relu(self.fc1(self.flatten(x)))
        return self.fc2(self.dropout(x))


class GoogLeNetOutputs(NamedTuple):
    """What a GoogLeNet with auxiliary classifiers returns in training mode."""

    logits: torch.Tensor
    aux1: torch.Tensor
    aux2: torch.Tensor


# name: (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj); "M": 3x3/2 max pool.
GOOGLENET_CFG: list[Union[str, tuple[str, tuple[int, ...]]]] = [
    ("3a", (64, 96, 128, 16, 32, 32)), ("3b", (128, 128, 192, 32, 96, 64)), "M",
    ("4a", (192, 96, 208, 16, 48, 64)), ("4b", (160, 112, 224, 24, 64, 64)), ("4c", (128, 128, 256, 24, 64, 64)),
    ("4d", (112, 144, 288, 32, 64, 64)), ("4e", (256, 160, 320, 32, 128, 128)), "M",
    ("5a", (256, 160, 320, 32, 128, 128)), ("5b", (384, 192, 384, 48, 128, 128)),
]


class GoogLeNet(nn.Module):
    """stem -> inception 3a, 3b -> pool -> 4a..4e -> pool -> 5a, 5b -> global average pool -> dropout -> fc.

    x: (N, C, 224, 224) (any size with ``small=True``). Returns logits (N, K), or in training mode
    with ``aux_logits=True`` GoogLeNetOutputs(logits, aux1, aux2) (aux1 after 4a, aux2 after 4d;
    the paper adds their losses with weight 0.3). ``width_divisor`` divides every width (4 for
    the small net). ``small=True``: a single 3x3 stem convolution, no early downsampling.
    """

    def __init__(self, *, num_classes: int = 1000, in_channels: int = 3, aux_logits: bool = False,
                 batch_norm: bool = False, dropout: float = 0.4, small: bool = False, width_divisor: int = 1,
                 name: str = "googlenet") -> None:
        super().__init__()
        check_factory_args(name, num_classes=num_classes, in_channels=in_channels)
        self.name, self.in_channels, self.aux_logits = name, in_channels, aux_logits
        d, bn = width_divisor, batch_norm
        if small:
            self.stem = nn.Sequential(BasicConv2d(in_channels, 192 // d, 3, padding=1, batch_norm=bn))
        else:  # conv 7x7/2 -> pool -> conv 1x1 -> conv 3x3 -> pool: 224 -> 112 -> 56 -> 28
            self.stem = nn.Sequential(
                BasicConv2d(in_channels, 64 // d, 7, stride=2, padding=3, batch_norm=bn),
                nn.MaxPool2d(3, stride=2, ceil_mode=True),
                BasicConv2d(64 // d, 64 // d, 1, batch_norm=bn),
                BasicConv2d(64 // d, 192 // d, 3, padding=1, batch_norm=bn),
                nn.MaxPool2d(3, stride=2, ceil_mode=True),
            )
        channels, pools = 192 // d, 0
        for item in GOOGLENET_CFG:
            if item == "M":
                pools += 1
                setattr(self, f"maxpool{pools + 2}", nn.MaxPool2d(3, stride=2, ceil_mode=True))
                continue
            label, widths = item
            block = Inception(channels, *(w // d for w in widths), batch_norm=bn)
            setattr(self, f"inception{label}", block)
            channels = block.out_channels
        self.aux1 = InceptionAux(512 // d, num_classes, hidden=1024 // d, batch_norm=bn) if aux_logits else None
        self.aux2 = InceptionAux(528 // d, num_classes, hidden=1024 // d, batch_norm=bn) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(channels, num_classes)
        init_weights(self, linear_std=None)

    def forward(self, x: torch.Tensor) -> Union[torch.Tensor, GoogLeNetOutputs]:
        check_input(self.name, x, in_channels=self.in_channels)
        x = self.stem(x)
        x = self.inception3a(x)
        x = self.inception3b(x)
        x = self.maxpool3(x)
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception4e(x)
        x = self.maxpool4(x)
        x = self.inception5a(x)
        x = self.inception5b(x)
        x = self.avgpool(x)
        x = self.flatten(x)
        x = self.fc(self.dropout(x))
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
