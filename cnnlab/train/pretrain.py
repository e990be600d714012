"""Greedy layer-wise pretraining of a stacked autoencoder (Bengio, Lamblin, Popovici and Larochelle, 2007).

A training loop (squared error, Adam), so it lives here and not with the models: each layer is a
shallow ``cnnlab.models.FCAutoencoder`` (or ``DenoisingAutoencoder``) trained on the codes of the
layers below; ``cnnlab.models.StackedAutoencoder`` then mirrors the stack for fine-tuning.
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn

from cnnlab.models._utils import draw_device
from cnnlab.models.autoencoder import DenoisingAutoencoder, FCAutoencoder

__all__ = ["pretrain_stacked_encoder"]


def _check(x: torch.Tensor, hidden_sizes: Sequence[int], epochs: int, batch_size: int) -> None:
    fn = "pretrain_stacked_encoder"
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[0] < 1:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{fn}: x must be a (N, D) tensor of flattened inputs, got {shape}")
    sizes = list(hidden_sizes)
    if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"{fn}: hidden_sizes must be positive ints (at least one), got {tuple(sizes)!r}")
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{fn}: {name} must be an int >= {low}, got {value!r}")


def pretrain_stacked_encoder(x: torch.Tensor, hidden_sizes: Sequence[int], *, epochs: int = 10, lr: float = 1e-2,
                             batch_size: int = 64, activation: str = "sigmoid", noise: Optional[str] = None,
                             noise_level: float = 0.25, generator: Optional[torch.Generator] = None,
                             ) -> tuple[nn.Sequential, list[list[float]]]:
    """Greedy layer-wise pretraining on x: (N, D), on x's device.

    For each size in ``hidden_sizes``: train a shallow autoencoder (one hidden layer, squared
    error, Adam) on the current representation, keep its encoder layer, and encode the data with it
    for the next one. ``noise`` (see ``cnnlab.models.corrupt``) makes each shallow AE a denoising
    one. The autoencoders are built on x's device; the shuffling (and the noise) are drawn on the
    CPU ``generator`` (torch's global one when None) and moved, so a seed gives the same run on
    every device. Returns (the stacked encoder, an nn.Sequential of Linear + activation on x's
    device, and the per-layer lists of epoch losses). Fine-tune next, e.g. with StackedAutoencoder.
    """
    _check(x, hidden_sizes, epochs, batch_size)
    where = draw_device(generator)
    layers: list[nn.Module] = []
    history: list[list[float]] = []
    h = x.detach()
    for size in hidden_sizes:
        in_unit_range = bool(((h >= 0) & (h <= 1)).all())
        out_act = "sigmoid" if activation == "sigmoid" and in_unit_range else "identity"
        if noise is None:
            ae: FCAutoencoder = FCAutoencoder(h.shape[1], [size], activation=activation, output_activation=out_act)
        else:
            ae = DenoisingAutoencoder(h.shape[1], [size], noise=noise, noise_level=noise_level,
                                      activation=activation, output_activation=out_act)
        ae = ae.to(device=h.device, dtype=h.dtype)
        optimizer = torch.optim.Adam(ae.parameters(), lr=lr)
        losses = []
        for _ in range(epochs):
            order = torch.randperm(h.shape[0], generator=generator, device=where).to(h.device)
            total = 0.0
            for start in range(0, h.shape[0], batch_size):
                batch = h[order[start:start + batch_size]]
                out = ae(batch, generator=generator) if noise is not None else ae(batch)
                loss = nn.functional.mse_loss(out, batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * batch.shape[0]
            losses.append(total / h.shape[0])
        history.append(losses)
        layers += list(ae.encoder)
        with torch.no_grad():
            h = ae.eval().encode(h)
    return nn.Sequential(*layers), history
