"""ResNet (He, Zhang, Ren and Sun, 2015) and its plain twins without shortcuts.

torchvision's layout (so parameter counts match it exactly): a 7x7/2 stem and 3x3/2 max pool, four
stages of BasicBlocks (two 3x3 convolutions) or Bottlenecks (1x1 reduce, 3x3, 1x1 expand x4), the
first block of stages 2-4 halving H x W (stride on the 3x3 convolution), a 1x1 projection shortcut
where the shape changes, global average pooling and one FC layer.
"""

from __future__ import annotations

from typing import Type, Union

import torch
from torch import nn

from ._conv import conv1x1, conv3x3
from ._utils import check_factory_args, check_input, init_weights

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "RESNET_CFGS", "resnet", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152", "plain18", "plain34", "small_resnet18", "small_plain18"]


class BasicBlock(nn.Module):
    """Two 3x3 convolutions of ``width`` filters, plus the shortcut: out = relu(F(x) + x).

    x: (N, in_channels, H, W) -> (N, width, H / stride, W / stride). ``downsample`` (a 1x1
    projection) maps x to that shape when it changes; ``skip=False`` drops the shortcut.
    """

    expansion = 1

    def __init__(self, in_channels: int, width: int, stride: int = 1, downsample: nn.Module | None = None,
                 *, skip: bool = True) -> None:
        super().__init__()
        self.conv1 = conv3x3(in_channels, width, stride=stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(width, width)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = downsample
        self.skip = skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.conv1(x)                     # N x width x H/stride x W/stride
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.skip:
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 (reduce to ``width``) -> 3x3 (stride) -> 1x1 (expand to 4 * width), plus the shortcut.

    x: (N, in_channels, H, W) -> (N, 4 * width, H / stride, W / stride).
    """

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, downsample: nn.Module | None = None,
                 *, skip: bool = True) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = conv1x1(in_channels, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride=stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.skip = skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.conv1(x)                     # N x width x H x W
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)                   # N x width x H/stride x W/stride
        out = self.bn2(out)
        out = self.relu(out)
        out = self.conv3(out)                   # N x 4 width x H/stride x W/stride
        out = self.bn3(out)
        if self.skip:
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
        return self.relu(out)


Block = Type[Union[BasicBlock, Bottleneck]]


class ResNet(nn.Module):
    """stem -> layer1..layer4 -> global average pool -> fc.

    x: (N, C, H, W) (224x224 for ImageNet; any size >= 32 for ``small=True``). Returns logits (N, K).
    ``small=True``: a 3x3/1 stem and no max pool, for 28x28 or 32x32 images. ``width``: the blocks'
    width in the first stage (64 in the paper), doubled at every stage; a block's output has
    ``width * block.expansion`` channels. ``skip=False``: the plain network
    (no shortcuts and no projections) of the degradation experiment.
    """

    def __init__(self, block: Block, layers: list[int], *, num_classes: int = 1000, in_channels: int = 3,
                 width: int = 64, skip: bool = True, small: bool = False, zero_init_residual: bool = False,
                 name: str = "resnet") -> None:
        super().__init__()
        check_factory_args(name, num_classes=num_classes, in_channels=in_channels)
        self.name, self.in_channels, self.skip = name, in_channels, skip
        self._channels = width                  # channels entering the next stage, while building
        if small:
            self.conv1 = conv3x3(in_channels, width)
            self.maxpool: nn.Module | None = None
        else:
            self.conv1 = nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, 2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8 * width * block.expansion, num_classes)
        init_weights(self, linear_std=None)
        if zero_init_residual:  # each residual branch starts as zero, each block as the identity
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def _make_layer(self, block: Block, width: int, blocks: int, stride: int = 1) -> nn.Sequential:
        """A stage: ``blocks`` blocks of ``width``, the first with ``stride`` (and a projection if needed)."""
        downsample = None
        out_channels = width * block.expansion
        if self.skip and (stride != 1 or self._channels != out_channels):
            downsample = nn.Sequential(conv1x1(self._channels, out_channels, stride=stride),
                                       nn.BatchNorm2d(out_channels))
        layers = [block(self._channels, width, stride, downsample, skip=self.skip)]
        self._channels = out_channels
        layers += [block(out_channels, width, skip=self.skip) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(self.name, x, in_channels=self.in_channels)
        x = self.conv1(x)                       # N x 64 x 112 x 112 (224 input; small: N x w x H x W)
        x = self.bn1(x)
        x = self.relu(x)
        if self.maxpool is not None:
            x = self.maxpool(x)                 # N x 64 x 56 x 56
        x = self.layer1(x)                      # N x 64e x 56 x 56 (e = block.expansion)
        x = self.layer2(x)                      # N x 128e x 28 x 28
        x = self.layer3(x)                      # N x 256e x 14 x 14
        x = self.layer4(x)                      # N x 512e x 7 x 7
        x = self.avgpool(x)                     # N x 512e x 1 x 1
        x = self.flatten(x)
        return self.fc(x)


# depth -> (block, blocks per stage), the paper's Table 1.
RESNET_CFGS: dict[int, tuple[Block, list[int]]] = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
    101: (Bottleneck, [3, 4, 23, 3]),
    152: (Bottleneck, [3, 8, 36, 3]),
}


def resnet(depth: int, *, num_classes: int = 1000, in_channels: int = 3, skip: bool = True,
           small: bool = False, width: int = 64, zero_init_residual: bool = False) -> ResNet:
    """ResNet-``depth`` for depth in 18, 34, 50, 101, 152 (``skip=False``: its plain twin)."""
    if depth not in RESNET_CFGS:
        raise ValueError(f"resnet: depth must be one of {sorted(RESNET_CFGS)}, got {depth}")
    block, layers = RESNET_CFGS[depth]
    name = f"{'resnet' if skip else 'plain'}{depth}"
    return ResNet(block, layers, num_classes=num_classes, in_channels=in_channels, width=width, skip=skip,
                  small=small, zero_init_residual=zero_init_residual, name=name)


def resnet18(*, num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-18: 11,689,512 parameters."""
    return resnet(18, num_classes=num_classes, in_channels=in_channels)


def resnet34(*, num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-34: 21,797,672 parameters."""
    return resnet(34, num_classes=num_classes, in_channels=in_channels)


def resnet50(*, num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-50: 25,557,032 parameters."""
    return resnet(50, num_classes=num_classes, in_channels=in_channels)


def resnet101(*, num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-101: 44,549,160 parameters."""
    return resnet(101, num_classes=num_classes, in_channels=in_channels)


def resnet152(*, num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-152: 60,192,808 parameters."""
    return resnet(152, num_classes=num_classes, in_channels=in_channels)


def plain18(*, num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-18 without shortcuts (and so without the three 1x1 projections): 11,515,688 parameters."""
    return resnet(18, num_classes=num_classes, in_channels=in_channels, skip=False)


def plain34(*, num_classes: int = 1000, in_channels: int = 3) -> ResNet:
    """ResNet-34 without shortcuts: 21,623,848 parameters."""
    return resnet(34, num_classes=num_classes, in_channels=in_channels, skip=False)


def small_resnet18(*, num_classes: int = 10, in_channels: int = 3, width: int = 16) -> ResNet:
    """ResNet-18 for 28x28/32x32 images: 3x3 stem, no max pool, ``width``-2w-4w-8w filters."""
    return resnet(18, num_classes=num_classes, in_channels=in_channels, small=True, width=width)


def small_plain18(*, num_classes: int = 10, in_channels: int = 3, width: int = 16) -> ResNet:
    """small_resnet18 without shortcuts, for the degradation experiment on a CPU."""
    return resnet(18, num_classes=num_classes, in_channels=in_channels, small=True, width=width, skip=False)
