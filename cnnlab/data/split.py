"""A dataset split into train and test tensors, its DataLoaders, and the helpers every loader shares."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


class Split(NamedTuple):
    """Train and test tensors. x: (N, C, H, W) or (N, D) float32; y: (N,) int64 class indices."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def num_classes(self) -> int:
        """Number of classes (1 + the largest label)."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def loaders(self, batch_size: int = 64, *, seed: int = 0, shuffle: bool = True,
                test_batch_size: int | None = None) -> tuple[DataLoader, DataLoader]:
        """(train_loader, test_loader); the training one shuffles with its own seeded generator."""
        return make_loaders(self, batch_size, seed=seed, shuffle=shuffle, test_batch_size=test_batch_size)


def make_loaders(split: Split, batch_size: int = 64, *, seed: int = 0, shuffle: bool = True,
                 test_batch_size: int | None = None) -> tuple[DataLoader, DataLoader]:
    """DataLoaders over a Split: shuffled (seeded, reproducible) training batches, fixed test batches."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"make_loaders: batch_size must be a positive int, got {batch_size!r}")
    train = DataLoader(TensorDataset(split.x_train, split.y_train), batch_size=batch_size,
                       shuffle=shuffle, generator=torch.Generator().manual_seed(seed) if shuffle else None)
    test = DataLoader(TensorDataset(split.x_test, split.y_test), batch_size=test_batch_size or max(batch_size, 256))
    return train, test


def train_test_split(x: np.ndarray, y: np.ndarray, *, test_size: float, seed: int) -> tuple[np.ndarray, ...]:
    """Seeded, stratified split (each class in the same proportion on both sides)."""
    from sklearn.model_selection import train_test_split as split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size}")
    return split(x, y, test_size=test_size, random_state=seed, stratify=y)


def standardise(x_train: torch.Tensor, x_test: torch.Tensor, dims: tuple[int, ...]) -> tuple[torch.Tensor, ...]:
    """Standardise both with the training set's mean and std (per channel or per feature)."""
    mean = x_train.mean(dim=dims, keepdim=True)
    std = x_train.std(dim=dims, keepdim=True).clamp_min(1e-8)
    return (x_train - mean) / std, (x_test - mean) / std
