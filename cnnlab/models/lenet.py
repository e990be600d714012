"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), the classic and a modern variant."""

from __future__ import annotations

import torch
from torch import nn

from ._utils import check_factory_args, check_input, init_weights

__all__ = ["LeNet5", "lenet5"]

VARIANTS = ("classic", "modern")


class LeNet5(nn.Module):
    """C1 conv 5x5 -> S2 pool -> C3 conv 5x5 -> S4 pool -> C5 conv 5x5 -> F6 -> output.

    x: (N, C, 32, 32) (or (N, C, 28, 28) with ``padding=2``). Returns logits (N, K).
    ``variant="classic"``: tanh and 2x2 average pooling, as in 1998 (the trainable pooling
    coefficients and the RBF output layer of the paper are replaced by plain pooling and a linear
    layer, the usual form: 61,706 parameters for K=10, C=1). ``variant="modern"``: ReLU and max pooling.
    """

    def __init__(self, *, num_classes: int = 10, in_channels: int = 1, variant: str = "classic",
                 padding: int = 0) -> None:
        super().__init__()
        check_factory_args("lenet5", num_classes=num_classes, in_channels=in_channels)
        if variant not in VARIANTS:
            raise ValueError(f"lenet5: variant must be one of {VARIANTS}, got {variant!r}")
        self.in_channels = in_channels
        self.input_size = 32 - 2 * padding
        self.variant = variant
        activation = nn.Tanh if variant == "classic" else nn.ReLU
        pool = nn.AvgPool2d if variant == "classic" else nn.MaxPool2d
        self.c1 = nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding)  # 28x28x6
        self.act1 = activation()
        self.s2 = pool(kernel_size=2, stride=2)  # 14x14x6
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)  # 10x10x16
        self.act3 = activation()
        self.s4 = pool(kernel_size=2, stride=2)  # 5x5x16
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)  # 1x1x120
        self.act5 = activation()
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.act6 = activation()
        self.output = nn.Linear(84, num_classes)
        if variant == "classic":
            self._init_lecun()
        else:
            init_weights(self, linear_std=None)

    def _init_lecun(self) -> None:
        """The paper's initialisation: uniform in +-2.4 / fan_in, biases zero."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                bound = 2.4 / fan_in
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input("LeNet5", x, in_channels=self.in_channels, size=(self.input_size, self.input_size))
        x = self.c1(x)                          # N x 6 x 28 x 28
        x = self.act1(x)
        x = self.s2(x)                          # N x 6 x 14 x 14
        x = self.c3(x)                          # N x 16 x 10 x 10
        x = self.act3(x)
        x = self.s4(x)                          # N x 16 x 5 x 5
        x = self.c5(x)                          # N x 120 x 1 x 1
        x = self.act5(x)
        x = self.flatten(x)                     # N x 120
        x = self.f6(x)                          # N x 84
        x = self.act6(x)
        return self.output(x)                   # N x num_classes


def lenet5(*, num_classes: int = 10, in_channels: int = 1, variant: str = "classic", padding: int = 0) -> LeNet5:
    """LeNet-5 for 32x32 inputs (``padding=2`` on C1 takes 28x28 MNIST digits).

    ``variant``: "classic" (tanh, average pooling) or "modern" (ReLU, max pooling).
    """
    return LeNet5(num_classes=num_classes, in_channels=in_channels, variant=variant, padding=padding)
