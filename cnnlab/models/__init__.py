"""Torch models of the course: LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet, ResNet, the all-convolutional
net and autoencoders, with small-input variants that train on a CPU, ``summary`` and the numpy bridge
(``cnnlab.models.bridge``, imported on demand because it needs ``cnnlab.functional``).

Factories are keyword-only: ``vgg16(num_classes=10, in_channels=3, batch_norm=True)``. Nothing here
downloads weights. Importing ``cnnlab`` does not import this package (it needs torch).
"""

from .allconv import AllConvNet, allconvnet, small_allconvnet
from .alexnet import AlexNet, alexnet, small_alexnet, zfnet
from .autoencoder import ConvAutoencoder, DenoisingAutoencoder, FCAutoencoder, StackedAutoencoder, TiedLinear, corrupt
from .googlenet import GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, InceptionNaive, googlenet, small_googlenet
from .lenet import LeNet5, lenet5
from .resnet import (BasicBlock, Bottleneck, ResNet, plain18, plain34, resnet, resnet18, resnet34, resnet50,
                     resnet101, resnet152, small_plain18, small_resnet18)
from .summary import LayerSummary, Summary, layer_macs, summary
from .vgg import VGG, small_vgg, vgg11, vgg13, vgg16, vgg19

__all__ = [
    "LeNet5", "lenet5",
    "AlexNet", "alexnet", "zfnet", "small_alexnet",
    "VGG", "vgg11", "vgg13", "vgg16", "vgg19", "small_vgg",
    "BasicBlock", "Bottleneck", "ResNet", "resnet", "resnet18", "resnet34", "resnet50", "resnet101",
    "resnet152", "plain18", "plain34", "small_resnet18", "small_plain18",
    "GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "InceptionNaive", "googlenet", "small_googlenet",
    "AllConvNet", "allconvnet", "small_allconvnet",
    "FCAutoencoder", "TiedLinear", "DenoisingAutoencoder", "corrupt", "StackedAutoencoder", "ConvAutoencoder",
    "LayerSummary", "Summary", "layer_macs", "summary",
]
