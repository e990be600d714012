"""Datasets for the course as torch tensors (this package needs torch; ``import cnnlab`` does not load it).

Offline (``cnnlab.data.offline``, bundled with scikit-learn, nothing is downloaded):
- ``load_digits(size=8|28|32)``: 1,797 handwritten digits, 8 x 8 grey levels 0..16, optionally
  upsampled (bilinear) to MNIST's 28 x 28 or LeNet-5's 32 x 32; the course's stand-in for MNIST.
- ``load_iris()``: 150 flowers, 4 measurements, 3 classes (for MLPs).
- ``load_sample_images()``: two colour photographs (china.jpg, flower.jpg), 427 x 640.
- ``load_scattered_digits(canvas=24)`` (``cnnlab.data.scattered``): each digit pasted at a random
  place on a larger canvas, where a convolutional network beats a fully connected one by far.

Real data (``cnnlab.data.real``): ``load_mnist``, ``load_fashion_mnist``, ``load_cifar10`` read the
datasets' own files (IDX for the MNISTs, CIFAR-10's python pickle batches, extracted or in their
tar.gz) from a ``root`` folder (default $CNNLAB_DATA, else ~/.cache/cnnlab). Only when the files are
missing and ``download=True`` do they fetch them with torchvision (e.g. on Colab); when they cannot,
they raise DatasetUnavailable naming the offline alternative.

Every loader returns a ``Split`` (``cnnlab.data.split``) of tensors (x_train, y_train, x_test, y_test):
images (N, C, H, W) float32, standardised by default (``normalize=False``: pixels in [0, 1];
``flatten=True``: (N, C*H*W) for the fully connected autoencoders), labels (N,) int64.
``split.loaders(batch_size)`` gives the two DataLoaders.
"""

from .offline import load_digits, load_iris, load_sample_images
from .real import (DatasetUnavailable, data_dir, load_cifar10, load_fashion_mnist, load_mnist, read_cifar10,
                   read_idx)
from .scattered import load_scattered_digits
from .split import Split, make_loaders, train_test_split

LOADERS = {"digits": load_digits, "scattered_digits": load_scattered_digits, "iris": load_iris,
           "mnist": load_mnist, "fashion_mnist": load_fashion_mnist, "cifar10": load_cifar10}

__all__ = ["Split", "make_loaders", "train_test_split", "load_digits", "load_scattered_digits", "load_iris",
           "load_sample_images", "DatasetUnavailable", "data_dir", "read_idx", "read_cifar10", "load_mnist",
           "load_fashion_mnist", "load_cifar10", "LOADERS"]
