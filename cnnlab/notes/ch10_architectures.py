"""Chapter 10, CNN architectures: the notes' counts for LeNet-5, AlexNet, VGG16 and GoogLeNet.

- notes 004 ("Only 60K parameters") and LeCun et al. (1998): LeNet-5, whose C3 layer connects each of
  its 16 maps to only some of S2's 6 maps (the paper's table 1);
- notes 001/002/004, AlexNet: 35K conv1 weights, 105M conv1 MACs, 60M parameters, ~59M in the FC
  layers, 650K neurons, 832M MACs;
- notes 004, VGG16: "TOTAL MEMORY: 24M * 4 bytes ~ 96MB / image", "TOTAL PARAMS: 138M";
- notes 004, the inception module on 28x28x256: naive 854M ops, with 1x1 bottlenecks "353M" (and a
  5x5 line with 264 input channels for 64);
- notes 001/003 on GoogLeNet ("batch normalization, image distortions and RMSprop", "4 million",
  "5M") and the ILSVRC top-5 errors they quote;
- notes 001/002/003/004 on the history: the pre-CNN pipelines, AlexNet against sparse coding and
  SIFT + Fisher vectors on ILSVRC-2010, the ILSVRC winners, AlexNet's training recipe and Rob
  Fergus's ablations of a reimplementation of AlexNet.
"""

from __future__ import annotations

import numpy as np

from cnnlab import arithmetic
from .errata import Erratum

__all__ = ["LENET5_C3_TABLE", "lenet5_params", "NOTES_LENET5_PARAMS", "NOTES_ALEXNET",
           "VGG16_CFG", "vgg16_forward_values", "NOTES_VGG16", "INCEPTION", "INCEPTION_BOTTLENECK",
           "NOTES_INCEPTION", "inception_example", "ILSVRC_TOP5", "GOOGLENET_TABLE1", "GOOGLENET_AUX",
           "RESNET_TABLE1_FLOPS", "ZFNET_WIDE_TOP5", "NOTES_ZFNET_TOP5", "resnet_params", "vgg16_params",
           "NOTES_RESNET101_VS_VGG16", "NOTES_PRE_CNN", "NOTES_PRE_CNN_BEST", "ILSVRC_WINNERS", "ALEXNET_RESULTS",
           "ALEXNET_RECIPE", "NOTES_ALEXNET_RECIPE", "alexnet_crops", "NOTES_FERGUS", "NOTES_GOOGLENET_PARAMS",
           "OTHER_INCEPTION_BOTTLENECK", "TORCHVISION_ACC5", "SINGLE_NETWORK_TOP5", "ERRATA"]

# LeCun et al. 1998, table 1: which of S2's 6 maps (rows) feed each of C3's 16 maps (columns).
LENET5_C3_TABLE = np.array([
    [1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1],
    [1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1],
    [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1],
    [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1],
    [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],
    [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1]], dtype=bool)
NOTES_LENET5_PARAMS = "60K"


def lenet5_params(*, c3: str = "paper") -> dict[str, int]:
    """Trainable parameters of LeNet-5 per layer, for 32x32 inputs and 10 classes.

    c3="paper": C3 as in LeCun et al. (1998), with the partial connection table, trainable
    subsampling (one coefficient and one bias per map in S2 and S4) and the RBF output layer, whose
    84 x 10 weights are fixed, not trained; c3="full": the usual simplified network, C3 connected to
    all 6 maps, parameter-free pooling and a linear output layer (cnnlab.models.lenet5).
    """
    if c3 not in ("paper", "full"):
        raise ValueError(f"lenet5_params: c3 must be 'paper' or 'full', got {c3!r}")
    counts = {"C1": arithmetic.conv_params(1, 6, 5)}
    if c3 == "paper":
        counts["S2"] = 6 * 2
        counts["C3"] = int(LENET5_C3_TABLE.sum()) * 5 * 5 + 16
        counts["S4"] = 16 * 2
    else:
        counts["C3"] = arithmetic.conv_params(6, 16, 5)
    counts["C5"] = arithmetic.conv_params(16, 120, 5)
    counts["F6"] = arithmetic.fully_connected_params(120, 84)
    if c3 == "full":
        counts["output"] = arithmetic.fully_connected_params(84, 10)
    return counts


NOTES_ALEXNET = {"conv1_weights": "35K", "conv1_macs": "105M", "params": "60M", "fc_params": "~59M",
                 "neurons": "650K", "macs": "832M"}

# VGG16 (configuration D): 3x3 convolutions (padding 1) and "M" = 2x2 max pooling at stride 2,
# then FC 4096, 4096, 1000, on a 224x224x3 image.
VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
NOTES_VGG16 = {"values": "24M", "megabytes": "96MB", "params": "138M"}


def vgg16_forward_values(size: int = 224) -> int:
    """Values one image occupies in VGG16's forward pass: the input and every conv, pool and FC output
    (as the notes' table lists them; ReLU works in place)."""
    channels, total = 3, 3 * size * size
    for layer in VGG16_CFG:
        if layer == "M":
            size = arithmetic.conv_output_size(size, 2, stride=2)
        else:
            channels = layer
        total += channels * size * size
    return total + 4096 + 4096 + 1000


# The inception module on 28x28x256: branch widths (GoogLeNet's inception 3a has these widths but 192
# input channels).
INCEPTION = {"c_in": 256, "size": 28, "ch1x1": 128, "ch3x3": 192, "ch5x5": 96}
INCEPTION_BOTTLENECK = {"ch3x3red": 64, "ch5x5red": 64, "pool_proj": 64}
NOTES_INCEPTION = {"naive": "854M", "bottleneck": "353M", "5x5_c_in": 264}


def inception_example() -> dict[str, int]:
    """MACs of the notes' inception module, naive and with 1x1 bottlenecks."""
    c_in, size = INCEPTION["c_in"], INCEPTION["size"]
    widths = {k: v for k, v in INCEPTION.items() if k.startswith("ch")}
    return {"naive": arithmetic.inception_macs(c_in, size, size, **widths),
            "bottleneck": arithmetic.inception_macs(c_in, size, size, **widths, **INCEPTION_BOTTLENECK)}


# ILSVRC top-5 errors in %, as the papers report them: (single network, ensemble, ensemble size).
# Single networks on the validation set unless noted: AlexNet (Krizhevsky et al. 2012, table 2: 18.2
# val; 7 CNNs 15.4 val, 15.3 test), ZFNet (Zeiler and Fergus 2014, table 2: 16.5 val; 6 CNNs 14.8
# test), VGG (Simonyan and Zisserman 2015, table 7: 1 net 7.0 test; the 7-net ILSVRC submission
# 7.3 test, 2 nets 6.8 test), GoogLeNet (Szegedy et al. 2015, table 3: 1 model, 1 crop 10.07;
# 7 models, 144 crops 6.67 test), ResNet (He et al. 2016, table 4: ResNet-152 4.49 val; table 5:
# an ensemble of 6 models 3.57 test).
ILSVRC_TOP5 = {"AlexNet": (18.2, 15.3, 7), "ZFNet": (16.5, 14.8, 6), "VGG": (7.0, 7.3, 7),
               "GoogLeNet": (10.07, 6.67, 7), "ResNet-152": (4.49, 3.57, 6)}


# Szegedy et al. (2015), table 1, the "params" and "ops" columns as printed (K = thousands of weights,
# M = millions of multiply-adds), by the row of the table (the 3x3 convolution row also holds its
# 1x1 reduction). The text adds "1.5 billion multiply-adds" and "12 times fewer parameters than" AlexNet.
GOOGLENET_TABLE1 = {"conv1": ("2.7K", "34M"), "conv2": ("112K", "360M"), "inception3a": ("159K", "128M"),
                    "inception3b": ("380K", "304M"), "inception4a": ("364K", "73M"),
                    "inception4b": ("437K", "88M"), "inception4c": ("463K", "100M"),
                    "inception4d": ("580K", "119M"), "inception4e": ("840K", "170M"),
                    "inception5a": ("1072K", "54M"), "inception5b": ("1388K", "71M"), "linear": ("1000K", "1M")}
# Zeiler and Fergus (2014), table 2: one network with CONV3-5 of 512, 1024, 512 maps, top-5 val error in %.
ZFNET_WIDE_TOP5 = 16.0
# Notes 004: "ZFNET: 11.7% TOP 5 ERROR IN ILSVRC'13" (the winning entry, Clarifai's, not the paper's network).
NOTES_ZFNET_TOP5 = "11.7%"

# Szegedy et al. (2015), section 5: the auxiliary classifiers' loss weight (they are removed at inference).
GOOGLENET_AUX = {"loss_weight": 0.3, "dropout": 0.7, "pool": "5x5/3", "conv": 128, "fc": 1024}

# He et al. (2016), table 1, the last row: "FLOPs" (multiply-adds) of ResNet-18 ... 152, x 10^9.
RESNET_TABLE1_FLOPS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
# depth -> (bottleneck?, blocks per stage), the same table's layout.
RESNET_BLOCKS = {18: (False, (2, 2, 2, 2)), 34: (False, (3, 4, 6, 3)), 50: (True, (3, 4, 6, 3)),
                 101: (True, (3, 4, 23, 3)), 152: (True, (3, 8, 36, 3))}
NOTES_RESNET101_VS_VGG16 = "101 ResNet layers same size/speed as 16 VGG-VD layers"


def resnet_params(depth: int, *, num_classes: int = 1000) -> int:
    """Parameters of ResNet-``depth`` (torchvision's layout: convolutions without bias, batch norm
    with a scale and a shift per channel, 1x1 projection shortcuts where the shape changes)."""
    if depth not in RESNET_BLOCKS:
        raise ValueError(f"resnet_params: depth must be one of {sorted(RESNET_BLOCKS)}, got {depth}")
    bottleneck, blocks = RESNET_BLOCKS[depth]
    conv = lambda c_in, c_out, k: arithmetic.conv_params(c_in, c_out, k, bias=False) + 2 * c_out  # noqa: E731
    total, channels = conv(3, 64, 7), 64
    for stage, n in enumerate(blocks):
        width = 64 * 2**stage
        out = 4 * width if bottleneck else width
        for b in range(n):
            if bottleneck:
                total += conv(channels, width, 1) + conv(width, width, 3) + conv(width, out, 1)
            else:
                total += conv(channels, width, 3) + conv(width, width, 3)
            if b == 0 and (stage > 0 or channels != out):
                total += conv(channels, out, 1)      # the projection shortcut
            channels = out
    return total + arithmetic.fully_connected_params(channels, num_classes)


def vgg16_params(*, num_classes: int = 1000) -> int:
    """Parameters of VGG16 (configuration D) on 224x224 images: its 3x3 convolutions and FC layers."""
    total, channels, size = 0, 3, 224
    for layer in VGG16_CFG:
        if layer == "M":
            size //= 2
        else:
            total += arithmetic.conv_params(channels, layer, 3)
            channels = layer
    return (total + arithmetic.fully_connected_params(channels * size * size, 4096)
            + arithmetic.fully_connected_params(4096, 4096) + arithmetic.fully_connected_params(4096, num_classes))


# Krizhevsky et al. 2012, table 1, as notes 004 print it: top-1 and top-5 error (%) on the ILSVRC-2010
# test set of the best published pre-CNN systems, sparse coding (Lin et al. 2011, the ILSVRC-2010
# winner) and SIFT + Fisher vectors (Sanchez and Perronnin 2011), against one CNN.
NOTES_PRE_CNN = {"Sparse coding": (47.1, 28.2), "SIFT + FVs": (45.7, 25.7), "CNN": (37.5, 17.0)}
NOTES_PRE_CNN_BEST = "25.6%"   # notes 003: "pre-CNN best was 25.6%" (see ERRATA)

# ILSVRC classification winners, top-5 error (%) on the test set (Russakovsky et al. 2015, table 7,
# and the winners' papers): year, team, method, error, networks averaged (0: no CNN; None: an
# average of several CNNs, as the 2013 results list it, their number unpublished).
ILSVRC_WINNERS = (
    (2010, "NEC-UIUC", "SIFT and LBP descriptors, sparse coding, linear SVMs", 28.2, 0),
    (2011, "XRCE", "SIFT and colour descriptors, Fisher vectors, linear SVMs", 25.8, 0),
    (2012, "SuperVision", "AlexNet", 15.3, 7),
    (2013, "Clarifai", "CNNs like ZFNet", 11.7, None),
    (2014, "GoogLeNet", "GoogLeNet", 6.67, 7),
    (2015, "MSRA", "ResNet", 3.57, 6),
)

# Krizhevsky et al. 2012, tables 1 and 2 and section 6: top-5 error (%) on ILSVRC-2012.
ALEXNET_RESULTS = {"val_1cnn": 18.2, "val_5cnns": 16.4, "val_7cnns": 15.4, "test_5cnns": 16.4,
                   "test_7cnns": 15.3, "runner_up": 26.2}

# Krizhevsky et al. 2012, sections 2, 4 and 5: AlexNet's preprocessing and training recipe.
ALEXNET_RECIPE = {"resize": 256, "crop": 224, "pca_std": 0.1, "test_crops": 10, "batch": 128,
                  "momentum": 0.9, "weight_decay": 5e-4, "lr": 0.01, "lr_factor": 10, "lr_drops": 3,
                  "epochs": 90, "dropout": 0.5, "images": 1_200_000, "gpus": 2, "days": "five to six"}
# notes 002's list of the same (and notes 003's "224x224 patches (+ mirrored) of 256x256").
NOTES_ALEXNET_RECIPE = {"dropout": 0.5, "batch": 128, "momentum": 0.9, "lr": "1e-2", "weight_decay": "5e-4",
                        "ensemble": "18.2% -> 15.4%"}


def alexnet_crops(resize: int = 256, crop: int = 224) -> dict[str, int]:
    """Training views of one image in AlexNet's augmentation: the paper's (resize - crop)^2 * 2 = 2048
    and the exact count of crop positions, (resize - crop + 1)^2, times 2 for the mirror."""
    if not 0 < crop <= resize:
        raise ValueError(f"alexnet_crops: need 0 < crop <= resize, got crop={crop}, resize={resize}")
    return {"paper": (resize - crop) ** 2 * 2, "exact": (resize - crop + 1) ** 2 * 2}


# notes 000/004, Rob Fergus's ablations of his reimplementation of AlexNet (18.1% top-5 error):
# what was removed, the parameters that dropped, and the drop in performance (%).
NOTES_FERGUS = {"reimplementation": 18.1, "paper": 18.2,
                "FC7": ("16M", 1.1), "FC6 and FC7": ("~50M", 5.7), "CONV3 and CONV4": ("~1M", 3.0),
                "CONV3, CONV4, FC6 and FC7": ("~50M", 33.5)}
NOTES_GOOGLENET_PARAMS = ("4 million", "5M")     # notes 001 and 003
OTHER_INCEPTION_BOTTLENECK = "358M"              # other course material's version of the notes' 353M

# torchvision's ImageNet weights (IMAGENET1K_V1), acc@5 (%) as its model pages print it: one centre
# 224 x 224 crop of the ILSVRC-2012 validation set.
TORCHVISION_ACC5 = {"VGG-16": 90.382, "VGG-19": 90.876, "ResNet-18": 89.078, "ResNet-34": 91.42,
                    "ResNet-50": 92.862, "ResNet-101": 93.546, "ResNet-152": 94.046}

# Single networks, top-5 error (%) on the ILSVRC-2012 validation set: source and protocol. The
# papers' own for AlexNet, ZFNet and GoogLeNet; VGG and ResNet from torchvision's re-trained models
# (100 - acc@5, rounded to 2 decimals; He et al. 2016 give no top-5 error for ResNet-18).
SINGLE_NETWORK_TOP5 = {
    "AlexNet": (18.2, "Krizhevsky et al. 2012, table 2"),
    "ZFNet": (16.5, "Zeiler and Fergus 2014, table 2"),
    "GoogLeNet": (10.07, "Szegedy et al. 2015, table 3, one crop"),
    **{net: (round(100 - acc5, 2), "torchvision, one crop") for net, acc5 in TORCHVISION_ACC5.items()},
}


def _bottleneck() -> str:
    return f"{inception_example()['bottleneck']:,} MACs"


def _vgg_memory() -> str:
    values = vgg16_forward_values()
    return f"{values:,} values ≈ {values * 4 / 1e6:.0f} MB (float32)"


ERRATA = (
    Erratum("erratum-inception-bottleneck", "10_architectures", "notes 004, inception module with 1x1 bottlenecks",
            "total multiply-accumulates", NOTES_INCEPTION["bottleneck"] + " ops", _bottleneck),
    Erratum("erratum-inception-264", "10_architectures", "notes 004, inception module, the 5x5 line",
            "input channels of the 5x5 convolution", f"28 × 28 × 96 × 5 × 5 × {NOTES_INCEPTION['5x5_c_in']}",
            lambda: f"28 × 28 × 96 × 5 × 5 × {INCEPTION_BOTTLENECK['ch5x5red']} (the 1x1 reduction's output)"),
    Erratum("erratum-vgg-memory", "10_architectures", "notes 004, VGG16 table, total memory",
            "values stored per image, forward pass", f"{NOTES_VGG16['values']} values ≈ {NOTES_VGG16['megabytes']}",
            _vgg_memory),
    Erratum("erratum-vgg-ensemble", "10_architectures", "notes 001 and 003, VGG",
            "what 7.3% top-5 error is", "VGG-E (19 layers), or one network: 7.3%",
            lambda: (f"{ILSVRC_TOP5['VGG'][1]}% is the ILSVRC 2014 entry, an ensemble of {ILSVRC_TOP5['VGG'][2]} "
                     f"networks; one network: {ILSVRC_TOP5['VGG'][0]}%")),
    Erratum("erratum-pre-cnn-best", "10_architectures", "notes 003, AlexNet",
            "best top-5 error before CNNs", f"\"pre-CNN best was {NOTES_PRE_CNN_BEST}\"",
            lambda: (f"{NOTES_PRE_CNN['SIFT + FVs'][1]}% on ILSVRC-2010 (SIFT + Fisher vectors); "
                     f"{ALEXNET_RESULTS['runner_up']}% on ILSVRC-2012 (the best entry without a CNN)")),
    Erratum("erratum-googlenet-training", "10_architectures", "notes 001, GoogLeNet",
            "how GoogLeNet was trained", "\"It used batch normalization, image distortions and RMSprop\"",
            lambda: ("image distortions and asynchronous SGD with momentum 0.9; batch normalisation came with "
                     "Inception-v2 (Ioffe and Szegedy 2015), RMSProp with Inception-v3 (Szegedy et al. 2016)")),
    Erratum("erratum-zfnet-clarifai", "10_architectures", "notes 004, ZFNet",
            "ZFNet's top-5 error", f"{NOTES_ZFNET_TOP5} in ILSVRC'13",
            lambda: (f"{NOTES_ZFNET_TOP5} is the winning ILSVRC 2013 entry (Clarifai's); the paper's network: "
                     f"{ILSVRC_TOP5['ZFNet'][0]}% (one net, validation), {ILSVRC_TOP5['ZFNet'][1]}% "
                     f"({ILSVRC_TOP5['ZFNet'][2]} nets, test)")),
    Erratum("erratum-resnet101-size", "10_architectures", "notes 001, accuracy against model size",
            "parameters of ResNet-101 and VGG-16", f"\"{NOTES_RESNET101_VS_VGG16}\", \"about the same\" size",
            lambda: (f"ResNet-101 {resnet_params(101):,}, VGG-16 {vgg16_params():,} parameters "
                     f"({vgg16_params() / resnet_params(101):.1f} times as many)")),
)
