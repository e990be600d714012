"""Data augmentation on image tensors, AlexNet's two kinds, with no torchvision.

1. Translations and reflections: random crops (from a zero-padded image here, as is usual for
   32 x 32 inputs; AlexNet cut 224 x 224 patches from 256 x 256 images) and horizontal flips.
   At test time: ten crops (four corners, centre, and their mirror images), softmax averaged.
2. Altering RGB intensities: PCA colour augmentation. With p_i, lambda_i the eigenvectors and
   eigenvalues of the 3 x 3 covariance of the RGB values of all training pixels, every pixel of an
   image gets the same shift [p1 p2 p3] [a1 lambda1, a2 lambda2, a3 lambda3]^T, a_i ~ N(0, 0.1)
   drawn once per image.

Images are (N, C, H, W) or a single (C, H, W). Randomness comes only from the ``generator``
argument (a CPU ``torch.Generator``, torch's global CPU generator when None): it is drawn on the
generator's device and moved to the images', so a seed gives the same augmentation on every device.
"""

from __future__ import annotations

import torch

from cnnlab._checks import int_pair
from cnnlab.models._utils import draw_device


def _as_batch(fn: str, x: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(N, C, H, W) view of x and whether x was a single (C, H, W) image."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{fn}: x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim == 3:
        return x.unsqueeze(0), True
    if x.ndim != 4:
        raise ValueError(f"{fn}: x must be (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}")
    return x, False


def horizontal_flip(x: torch.Tensor) -> torch.Tensor:
    """Mirror image(s) left to right. x: (..., H, W) -> same shape. Flipping twice gives x back."""
    if not isinstance(x, torch.Tensor) or x.ndim < 2:
        raise ValueError(f"horizontal_flip: x must be a tensor (..., H, W), got {getattr(x, 'shape', type(x))}")
    return x.flip(-1)


def random_horizontal_flip(x: torch.Tensor, *, p: float = 0.5,
                           generator: torch.Generator | None = None) -> torch.Tensor:
    """Flip each image of x (N, C, H, W) or (C, H, W) independently with probability ``p``."""
    xb, single = _as_batch("random_horizontal_flip", x)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"random_horizontal_flip: p must be in [0, 1], got {p}")
    flip = (torch.rand(xb.shape[0], generator=generator, device=draw_device(generator)) < p).to(xb.device)
    out = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
    return out[0] if single else out


def random_crop(x: torch.Tensor, size: int | tuple[int, int], *, padding: int = 0, fill: float = 0.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """A random ``size`` crop of each image, after padding every side with ``padding`` pixels.

    x: (N, C, H, W) or (C, H, W) -> (N, C, h, w) or (C, h, w) with (h, w) = size. Each image gets its
    own offset, uniform over the (H + 2p - h + 1) x (W + 2p - w + 1) possible ones.
    """
    fn = "random_crop"
    xb, single = _as_batch(fn, x)
    h, w = int_pair(fn, "size", size, minimum=1)
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"{fn}: padding must be an int >= 0, got {padding!r}")
    if padding:
        xb = torch.nn.functional.pad(xb, (padding,) * 4, value=fill)
    n, _, hp, wp = xb.shape
    if h > hp or w > wp:
        raise ValueError(f"{fn}: size {(h, w)} is larger than the padded image {(hp, wp)}")
    where = draw_device(generator)
    top = torch.randint(0, hp - h + 1, (n,), generator=generator, device=where).to(xb.device)
    left = torch.randint(0, wp - w + 1, (n,), generator=generator, device=where).to(xb.device)
    rows = (top[:, None] + torch.arange(h, device=xb.device))[:, :, None]     # (N, h, 1)
    cols = (left[:, None] + torch.arange(w, device=xb.device))[:, None, :]    # (N, 1, w)
    batch = torch.arange(n, device=xb.device)[:, None, None]
    out = xb[batch, :, rows, cols].permute(0, 3, 1, 2)                        # (N, h, w, C) -> NCHW
    return out[0] if single else out.contiguous()


def center_crop(x: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """The central ``size`` crop. x: (..., H, W) -> (..., h, w) (top-left rounding like torchvision)."""
    h, w = int_pair("center_crop", "size", size, minimum=1)
    H, W = x.shape[-2:]
    if h > H or w > W:
        raise ValueError(f"center_crop: size {(h, w)} is larger than the image {(H, W)}")
    top, left = int(round((H - h) / 2.0)), int(round((W - w) / 2.0))
    return x[..., top:top + h, left:left + w]


def ten_crop(x: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """AlexNet's test-time crops: four corners, centre, and the mirror image of each.

    x: (N, C, H, W) -> (N, 10, C, h, w), in the order top-left, top-right, bottom-left,
    bottom-right, centre, then the same five flipped left to right.
    """
    xb, _ = _as_batch("ten_crop", x)
    h, w = int_pair("ten_crop", "size", size, minimum=1)
    H, W = xb.shape[-2:]
    if h > H or w > W:
        raise ValueError(f"ten_crop: size {(h, w)} is larger than the image {(H, W)}")
    five = [xb[..., :h, :w], xb[..., :h, W - w:], xb[..., H - h:, :w], xb[..., H - h:, W - w:],
            center_crop(xb, (h, w))]
    return torch.stack(five + [c.flip(-1) for c in five], dim=1)


def ten_crop_predict(model: torch.nn.Module, x: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Class probabilities (N, K): the softmax of ``model`` averaged over the ten crops of x (N, C, H, W)."""
    crops = ten_crop(x, size)                          # (N, 10, C, h, w)
    n = crops.shape[0]
    logits = model(crops.flatten(0, 1))                # (N * 10, K)
    return logits.softmax(dim=1).view(n, 10, -1).mean(dim=1)


def pca_color_eigen(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigen-decomposition of the 3 x 3 covariance of the RGB values over all pixels of ``images``.

    images: (N, 3, H, W) or (3, H, W). Returns (eigvals (3,), eigvecs (3, 3)) with eigenvectors in the
    columns, eigenvalues ascending (torch.linalg.eigh) and clamped at 0.
    """
    xb, _ = _as_batch("pca_color_eigen", images)
    if xb.shape[1] != 3:
        raise ValueError(f"pca_color_eigen: images must have 3 (RGB) channels, got shape {tuple(images.shape)}")
    pixels = xb.transpose(0, 1).reshape(3, -1).double()    # (3, N*H*W)
    cov = torch.cov(pixels)
    eigvals, eigvecs = torch.linalg.eigh(cov)
    return eigvals.clamp_min(0).to(images.dtype), eigvecs.to(images.dtype)


def pca_color_augment(x: torch.Tensor, *, eigvals: torch.Tensor | None = None,
                      eigvecs: torch.Tensor | None = None, std: float = 0.1,
                      alpha: torch.Tensor | None = None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """AlexNet's PCA colour augmentation: add eigvecs @ (alpha * eigvals) to every pixel of each image.

    x: (N, 3, H, W) or (3, H, W). ``eigvals`` (3,), ``eigvecs`` (3, 3) come from ``pca_color_eigen`` on
    the training set (computed from x itself when omitted). ``alpha`` (N, 3) defaults to draws from
    N(0, std^2); ``alpha = 0`` returns x unchanged.
    """
    fn = "pca_color_augment"
    xb, single = _as_batch(fn, x)
    if xb.shape[1] != 3:
        raise ValueError(f"{fn}: x must have 3 (RGB) channels, got shape {tuple(x.shape)}")
    if (eigvals is None) != (eigvecs is None):
        raise ValueError(f"{fn}: give both eigvals and eigvecs, or neither")
    if eigvals is None:
        eigvals, eigvecs = pca_color_eigen(xb)
    if tuple(eigvals.shape) != (3,) or tuple(eigvecs.shape) != (3, 3):
        raise ValueError(f"{fn}: eigvals must be (3,) and eigvecs (3, 3), got {tuple(eigvals.shape)} "
                         f"and {tuple(eigvecs.shape)}")
    n = xb.shape[0]
    if alpha is None:
        alpha = torch.randn(n, 3, generator=generator, dtype=torch.float64, device=draw_device(generator))
        alpha = alpha * std
    elif tuple(alpha.shape) not in ((n, 3), (3,)):
        raise ValueError(f"{fn}: alpha must be ({n}, 3) or (3,), got {tuple(alpha.shape)}")
    alpha = alpha.to(device=xb.device, dtype=xb.dtype).expand(n, 3)
    shift = (alpha * eigvals.to(xb)) @ eigvecs.to(xb).T                       # (N, 3): sum_i a_i l_i p_i
    out = xb + shift[:, :, None, None]
    return out[0] if single else out


class Augment:
    """A training-time augmentation pipeline for ``fit(..., transform=Augment(...))``.

    In order: random crop of ``crop`` pixels after ``padding`` (if crop is given), random
    horizontal flip (if ``flip``), PCA colour shift (if ``pca=(eigvals, eigvecs)``). Its own seeded
    ``generator`` is saved in checkpoints, so a resumed run draws the same augmentations.
    """

    def __init__(self, *, crop: int | None = None, padding: int = 0, flip: bool = True,
                 pca: tuple[torch.Tensor, torch.Tensor] | None = None, pca_std: float = 0.1,
                 seed: int = 0) -> None:
        self.crop, self.padding, self.flip, self.pca, self.pca_std = crop, padding, flip, pca, pca_std
        self.generator = torch.Generator(device="cpu").manual_seed(seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, H, W) -> augmented (N, C, crop or H, crop or W)."""
        if self.crop is not None:
            x = random_crop(x, self.crop, padding=self.padding, generator=self.generator)
        if self.flip:
            x = random_horizontal_flip(x, generator=self.generator)
        if self.pca is not None:
            x = pca_color_augment(x, eigvals=self.pca[0], eigvecs=self.pca[1], std=self.pca_std,
                                  generator=self.generator)
        return x

    def __repr__(self) -> str:
        return (f"Augment(crop={self.crop}, padding={self.padding}, flip={self.flip}, "
                f"pca={'yes' if self.pca is not None else None}, pca_std={self.pca_std})")
