"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998): the paper's network, the usual simplification
("classic") and a modern variant.

The paper's network (``variant="paper"``) has three parts the others drop: C3 sees only some of
S2's maps (its table 1, ``cnnlab.notes.ch10_architectures.LENET5_C3_TABLE``: ``PartialConv2d``),
each subsampling map has a trainable coefficient and bias (``Subsampling``), and the output layer
is made of Euclidean radial basis functions with fixed, untrained centres (``RBFOutput``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cnnlab.notes.ch10_architectures import LENET5_C3_TABLE

from ._utils import check_factory_args, check_input, init_weights

__all__ = ["LeNet5", "lenet5", "PartialConv2d", "Subsampling", "RBFOutput", "ScaledTanh"]

VARIANTS = ("classic", "modern", "paper")


class PartialConv2d(nn.Module):
    """A convolution in which output map j reads only the input maps i with ``table[i, j]`` true.

    x: (N, C_in, H, W) -> (N, C_out, H - k + 1, W - k + 1) (stride 1, no padding). Only the
    connected weights are parameters: ``weight`` has shape (table.sum(), k, k), one k x k kernel
    per connection (column by column), and ``bias`` one value per output map. ``forward`` scatters
    them into a full (C_out, C_in, k, k) kernel whose unconnected entries stay zero.
    """

    def __init__(self, table: np.ndarray, kernel_size: int) -> None:
        super().__init__()
        table = np.asarray(table, dtype=bool)
        if table.ndim != 2 or not table.any(axis=0).all():
            raise ValueError(f"PartialConv2d: table must be (C_in, C_out) with every output connected, "
                             f"got shape {table.shape}")
        self.in_channels, self.out_channels = table.shape
        self.kernel_size = (kernel_size, kernel_size)
        out_idx, in_idx = np.nonzero(table.T)   # connections ordered by output map
        self.register_buffer("out_idx", torch.as_tensor(out_idx, dtype=torch.long), persistent=False)
        self.register_buffer("in_idx", torch.as_tensor(in_idx, dtype=torch.long), persistent=False)
        self.register_buffer("table", torch.as_tensor(table), persistent=False)
        self.weight = nn.Parameter(torch.empty(len(out_idx), kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(self.out_channels))
        nn.init.uniform_(self.weight, -0.1, 0.1)

    def full_weight(self) -> torch.Tensor:
        """The (C_out, C_in, k, k) kernel, zero where the table has no connection."""
        w = self.weight.new_zeros(self.out_channels, self.in_channels, *self.kernel_size)
        return w.index_put((self.out_idx, self.in_idx), self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.full_weight(), self.bias)


class Subsampling(nn.Module):
    """The paper's S2/S4: the sum of each 2x2 block, times a trainable coefficient, plus a trainable
    bias, one of each per map. x: (N, C, H, W) -> (N, C, H / 2, W / 2)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = 4 * F.avg_pool2d(x, kernel_size=2, stride=2)   # N x C x H/2 x W/2: the 2x2 sums
        return s * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class ScaledTanh(nn.Module):
    """The paper's squashing function f(a) = A tanh(S a) with A = 1.7159 and S = 2/3."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class RBFOutput(nn.Module):
    """Euclidean RBF units: y_k = sum_j (x_j - c_kj)^2, returned as logits -y_k (the nearest centre
    wins). The centres are fixed codes of +1/-1 (the paper drew them as 7x12 bitmaps of the
    characters; here a seeded random code), a buffer, not a parameter. x: (N, D) -> (N, K)."""

    def __init__(self, in_features: int, num_classes: int, *, seed: int = 0) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, num_classes
        gen = torch.Generator().manual_seed(seed)
        codes = torch.randint(0, 2, (num_classes, in_features), generator=gen).float() * 2 - 1
        self.register_buffer("centres", codes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -(x.unsqueeze(1) - self.centres.to(x.dtype)).square().sum(-1)   # N x K


class LeNet5(nn.Module):
    """C1 conv 5x5 -> S2 pool -> C3 conv 5x5 -> S4 pool -> C5 conv 5x5 -> F6 -> output.

    x: (N, C, 32, 32) (or (N, C, 28, 28) with ``padding=2``). Returns logits (N, K).
    ``variant="classic"``: tanh and 2x2 average pooling, as in 1998 (the trainable pooling
    coefficients and the RBF output layer of the paper are replaced by plain pooling and a linear
    layer, the usual form: 61,706 parameters for K=10, C=1). ``variant="modern"``: ReLU and max pooling.
    ``variant="paper"``: the 1998 network, C3 partially connected, trainable subsampling, the
    scaled tanh and fixed RBF outputs (60,000 parameters for C=1, any K).
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
        paper = variant == "paper"
        activation = {"classic": nn.Tanh, "modern": nn.ReLU, "paper": ScaledTanh}[variant]
        pool = nn.MaxPool2d if variant == "modern" else nn.AvgPool2d
        self.c1 = nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding)  # 28x28x6
        self.act1 = activation()
        self.s2 = Subsampling(6) if paper else pool(kernel_size=2, stride=2)  # 14x14x6
        self.act2 = ScaledTanh() if paper else None  # the paper squashes S2 and S4 too
        self.c3 = PartialConv2d(LENET5_C3_TABLE, 5) if paper else nn.Conv2d(6, 16, kernel_size=5)  # 10x10x16
        self.act3 = activation()
        self.s4 = Subsampling(16) if paper else pool(kernel_size=2, stride=2)  # 5x5x16
        self.act4 = ScaledTanh() if paper else None
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)  # 1x1x120
        self.act5 = activation()
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.act6 = activation()
        self.output = RBFOutput(84, num_classes) if paper else nn.Linear(84, num_classes)
        if variant == "modern":
            init_weights(self, linear_std=None)
        else:
            self._init_lecun()

    def _init_lecun(self) -> None:
        """The paper's initialisation: uniform in +-2.4 / fan_in, biases zero."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                bound = 2.4 / fan_in
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)
            elif isinstance(m, PartialConv2d):  # each kernel by the fan-in of its output map
                fan_in = m.table.sum(0)[m.out_idx] * m.kernel_size[0] * m.kernel_size[1]
                with torch.no_grad():
                    m.weight.uniform_(-1, 1).mul_((2.4 / fan_in).view(-1, 1, 1).to(m.weight))
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input("LeNet5", x, in_channels=self.in_channels, size=(self.input_size, self.input_size))
        x = self.c1(x)                          # N x 6 x 28 x 28
        x = self.act1(x)
        x = self.s2(x)                          # N x 6 x 14 x 14
        if self.act2 is not None:
            x = self.act2(x)
        x = self.c3(x)                          # N x 16 x 10 x 10
        x = self.act3(x)
        x = self.s4(x)                          # N x 16 x 5 x 5
        if self.act4 is not None:
            x = self.act4(x)
        x = self.c5(x)                          # N x 120 x 1 x 1
        x = self.act5(x)
        x = self.flatten(x)                     # N x 120
        x = self.f6(x)                          # N x 84
        x = self.act6(x)
        return self.output(x)                   # N x num_classes


def lenet5(*, num_classes: int = 10, in_channels: int = 1, variant: str = "classic", padding: int = 0) -> LeNet5:
    """LeNet-5 for 32x32 inputs (``padding=2`` on C1 takes 28x28 MNIST digits).

    ``variant``: "classic" (tanh, average pooling), "modern" (ReLU, max pooling) or "paper" (the
    1998 network: C3's connection table, trainable subsampling, fixed RBF outputs).
    """
    return LeNet5(num_classes=num_classes, in_channels=in_channels, variant=variant, padding=padding)
