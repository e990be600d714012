"""Torch models of the course: LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet, ResNet, the all-convolutional
net and autoencoders, with small-input variants that train on a CPU, ``summary`` and the numpy bridge.

Factories are keyword-only: ``vgg16(num_classes=10, in_channels=3, batch_norm=True)``. Nothing here
downloads weights. Importing ``cnnlab`` does not import this package (it needs torch).
"""

from .lenet import LeNet5, lenet5
from .summary import LayerSummary, Summary, layer_macs, summary

__all__ = ["LeNet5", "lenet5", "LayerSummary", "Summary", "layer_macs", "summary"]
