"""Autoencoders: trained to reproduce their input (targets = inputs) through a narrow code.

FCAutoencoder (optionally with tied weights, W' = W^T), DenoisingAutoencoder (reconstruct the
clean input from a corrupted one), StackedAutoencoder (a pretrained encoder mirrored into a decoder,
or given a classifier head; the greedy layer-wise pretraining loop is
``cnnlab.train.pretrain_stacked_encoder``, since models own neither losses nor optimisers) and
ConvAutoencoder (strided convolutions down, transposed convolutions up).
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn

from ._utils import draw_device

__all__ = ["TiedLinear", "FCAutoencoder", "DenoisingAutoencoder", "corrupt", "StackedAutoencoder",
           "ConvAutoencoder"]

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}
NOISES = ("masking", "gaussian", "salt_and_pepper")


def _activation(name: str, where: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"{where}: activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def _check_sizes(where: str, in_features: int, hidden_sizes: Sequence[int]) -> list[int]:
    sizes = [in_features, *hidden_sizes]
    if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"{where}: in_features and hidden_sizes must be positive ints (at least one hidden "
                         f"layer), got in_features={in_features!r}, hidden_sizes={tuple(hidden_sizes)!r}")
    return sizes


def _check_flat(where: str, x: torch.Tensor, in_features: int) -> None:
    if x.dim() != 2 or x.shape[1] != in_features:
        raise ValueError(f"{where}: expected x of shape (N, {in_features}), got x.shape={tuple(x.shape)} "
                         f"(flatten images first)")


class TiedLinear(nn.Module):
    """The decoder twin of an encoder layer: y = x @ W + b' with the encoder's W (D_out, D_in).

    x: (N, D_out) -> (N, D_in). Owns only its bias; the weight is the encoder's (gradients from
    both uses add up in it). The encoder layer is held, not registered, so it is counted once.
    """

    def __init__(self, encoder: nn.Linear) -> None:
        super().__init__()
        object.__setattr__(self, "encoder", encoder)
        self.in_features, self.out_features = encoder.out_features, encoder.in_features
        self.bias = nn.Parameter(torch.zeros(encoder.in_features, device=encoder.weight.device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.encoder.weight.t(), self.bias)


class FCAutoencoder(nn.Module):
    """in_features -> hidden_sizes[0] -> ... -> hidden_sizes[-1] (the code) -> ... -> in_features.

    x: (N, D). ``forward`` returns the reconstruction (N, D); ``encode``/``decode`` the halves.
    ``tied=True``: every decoder layer uses its encoder layer's weight transposed (W' = W^T).
    ``output_activation="sigmoid"`` for inputs in [0, 1] (pixels), "identity" otherwise.
    """

    def __init__(self, in_features: int = 784, hidden_sizes: Sequence[int] = (128, 32), *, tied: bool = False,
                 activation: str = "sigmoid", output_activation: str = "sigmoid") -> None:
        super().__init__()
        sizes = _check_sizes(type(self).__name__, in_features, hidden_sizes)
        self.in_features, self.tied = in_features, tied
        enc: list[nn.Module] = []
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            enc += [nn.Linear(d_in, d_out), _activation(activation, type(self).__name__)]
        self.encoder = nn.Sequential(*enc)
        linears = [m for m in enc if isinstance(m, nn.Linear)]
        dec: list[nn.Module] = []
        for i, layer in enumerate(reversed(linears)):
            dec.append(TiedLinear(layer) if tied else nn.Linear(layer.out_features, layer.in_features))
            last = i == len(linears) - 1
            dec.append(_activation(output_activation if last else activation, type(self).__name__))
        self.decoder = nn.Sequential(*dec)
        for m in self.modules():  # Glorot uniform weights, zero biases
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code h: (N, hidden_sizes[-1])."""
        _check_flat(type(self).__name__, x, self.in_features)
        return self.encoder(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """The reconstruction from a code: (N, D)."""
        return self.decoder(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encode(x)                      # N x code size
        return self.decode(h)                   # N x D


def _uniform(x: torch.Tensor, generator: Optional[torch.Generator]) -> torch.Tensor:
    """U[0, 1) of x's shape, drawn where the generator lives (the CPU by default) and moved to x's device,
    so that one seed gives the same noise on every device."""
    return torch.rand(x.shape, generator=generator, device=draw_device(generator)).to(x.device)


def corrupt(x: torch.Tensor, *, noise: str = "masking", noise_level: float = 0.25,
            generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """A corrupted copy of x. "masking": each value set to 0 with probability ``noise_level``;
    "salt_and_pepper": each value set to 0 or 1 (even odds) with probability ``noise_level``;
    "gaussian": x + noise_level * N(0, 1). x is not modified. The noise is drawn on the generator's
    device (a CPU ``torch.Generator``, or torch's global CPU generator when None) and moved to x's:
    the same seed corrupts a CPU, CUDA or MPS tensor identically."""
    if noise not in NOISES:
        raise ValueError(f"corrupt: noise must be one of {NOISES}, got {noise!r}")
    if noise in ("masking", "salt_and_pepper"):
        if not 0.0 <= noise_level < 1.0:
            raise ValueError(f"corrupt: {noise} noise_level is a probability in [0, 1), got {noise_level}")
        hit = _uniform(x, generator) < noise_level
        if noise == "masking":
            return x.masked_fill(hit, 0.0)
        salt = (_uniform(x, generator) < 0.5).to(x.dtype)
        return torch.where(hit, salt, x)
    if noise_level < 0:
        raise ValueError(f"corrupt: gaussian noise_level is a standard deviation >= 0, got {noise_level}")
    z = torch.randn(x.shape, generator=generator, device=draw_device(generator), dtype=x.dtype)
    return x + noise_level * z.to(x.device)


class DenoisingAutoencoder(FCAutoencoder):
    """An FCAutoencoder that, in training mode, encodes a corrupted input (``noise`` "masking",
    "salt_and_pepper" or "gaussian" at ``noise_level``, see ``corrupt``); train it against the clean x.
    In eval mode it is a plain autoencoder."""

    def __init__(self, in_features: int = 784, hidden_sizes: Sequence[int] = (128, 32), *, noise: str = "masking",
                 noise_level: float = 0.25, tied: bool = False, activation: str = "sigmoid",
                 output_activation: str = "sigmoid") -> None:
        super().__init__(in_features, hidden_sizes, tied=tied, activation=activation,
                         output_activation=output_activation)
        corrupt(torch.zeros(1, device="cpu"), noise=noise, noise_level=noise_level)  # validate the arguments now
        self.noise, self.noise_level = noise, noise_level

    def forward(self, x: torch.Tensor, *, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        if self.training:
            x = corrupt(x, noise=self.noise, noise_level=self.noise_level, generator=generator)
        h = self.encode(x)                      # N x code size
        return self.decode(h)                   # N x D


class StackedAutoencoder(nn.Module):
    """A deep autoencoder whose encoder is a stack of pretrained layers.

    ``StackedAutoencoder(encoder)`` mirrors ``encoder`` (an nn.Sequential of Linear + activation, as
    ``cnnlab.train.pretrain_stacked_encoder`` returns) into a decoder for fine-tuning the whole autoencoder;
    ``classifier(num_classes)`` puts a linear layer on the code instead (unsupervised pretraining
    as weight initialisation of a supervised net). Both share the encoder's parameters.
    """

    def __init__(self, encoder: nn.Sequential, *, output_activation: str = "sigmoid") -> None:
        super().__init__()
        linears = [m for m in encoder if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError("StackedAutoencoder: encoder has no nn.Linear layer")
        self.encoder = encoder
        acts = [m for m in encoder if not isinstance(m, nn.Linear)]
        hidden_act = type(acts[0]) if acts else nn.Identity
        dec: list[nn.Module] = []
        for i, layer in enumerate(reversed(linears)):
            dec.append(nn.Linear(layer.out_features, layer.in_features))
            last = i == len(linears) - 1
            dec.append(_activation(output_activation, "StackedAutoencoder") if last else hidden_act())
        self.decoder = nn.Sequential(*dec)
        self.code_size = linears[-1].out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(x)                     # N x code size
        return self.decoder(h)

    def classifier(self, num_classes: int) -> nn.Sequential:
        """encoder -> Linear(code, num_classes): a supervised net initialised by the pretraining."""
        if num_classes < 1:
            raise ValueError(f"StackedAutoencoder.classifier: num_classes must be >= 1, got {num_classes}")
        return nn.Sequential(self.encoder, nn.Linear(self.code_size, num_classes))


class ConvAutoencoder(nn.Module):
    """Strided 3x3 convolutions down, 3x3 transposed convolutions (stride 2) up.

    x: (N, C, H, W) with H, W divisible by 2**len(channels) (28 -> 14 -> 7 with two stages).
    Returns the reconstruction (N, C, H, W); ``encode`` gives the code (N, channels[-1], H/4, W/4).
    """

    def __init__(self, *, in_channels: int = 1, channels: Sequence[int] = (16, 32),
                 output_activation: str = "sigmoid") -> None:
        super().__init__()
        if in_channels < 1 or not channels or any(c < 1 for c in channels):
            raise ValueError(f"ConvAutoencoder: in_channels and channels must be positive, got "
                             f"in_channels={in_channels}, channels={tuple(channels)}")
        self.in_channels = in_channels
        sizes = [in_channels, *channels]
        enc: list[nn.Module] = []
        for c_in, c_out in zip(sizes[:-1], sizes[1:]):  # H -> H/2
            enc += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU(inplace=True)]
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = []
        pairs = list(zip(sizes[:0:-1], sizes[-2::-1]))
        for i, (c_in, c_out) in enumerate(pairs):  # H/2 -> H: (H/2 - 1) * 2 - 2 + 3 + 1
            dec.append(nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1))
            last = i == len(pairs) - 1
            dec.append(_activation(output_activation, "ConvAutoencoder") if last else nn.ReLU(inplace=True))
        self.decoder = nn.Sequential(*dec)
        self._factor = 2 ** len(channels)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code: (N, channels[-1], H / 2**stages, W / 2**stages)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[2] % self._factor or x.shape[3] % self._factor:
            raise ValueError(f"ConvAutoencoder: expected x of shape (N, {self.in_channels}, H, W) with H and W "
                             f"divisible by {self._factor}, got x.shape={tuple(x.shape)}")
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encode(x)                      # N x channels[-1] x H/2**stages x W/2**stages
        return self.decoder(h)                  # N x C x H x W
