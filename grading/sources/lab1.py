"""Lab 1 (GPU, Colab): CNN architectures in torch."""

from grading.nbsource import COLAB_INSTALL, answer, md, setup, tests

NAME = "lab1"

CELLS = [
    md("""
    # Lab 1: CNN architectures in PyTorch

    Open this notebook in Google Colab and choose *Runtime > Change runtime type > GPU*; it also
    runs (more slowly) on a laptop CPU. You build the blocks of the classic architectures, count
    their parameters, and train LeNet-5 on handwritten digits.

    | Part | What you write | Points |
    |---|---|---|
    | 1 | `LeNet5` | 5 |
    | 2 | `vgg_block` | 3 |
    | 3 | `ResidualBlock` | 4 |
    | 4 | `InceptionBlock` | 3 |
    | 5 | `conv_params`: counting parameters | 2 |
    | 6 | `train`: train LeNet-5 to 90% test accuracy | 3 |
    | | **Total** | **20** |

    Use `torch.nn` building blocks (`nn.Conv2d`, `nn.BatchNorm2d`, ...); the models of
    `cnnlab.models` are the reference the tests compare with, and using them in your answers earns
    no points.
    """),
    setup("lab1_colab", COLAB_INSTALL),
    setup("lab1_imports", """
    import torch
    from torch import nn

    import cnnlab.models
    from cnnlab import arithmetic
    from cnnlab.data import load_digits
    from cnnlab.grading import (Case, GradingError, check_function, check_module_output, check_not_using,
                                count_parameters, forbid_reference, stderr_to_stdout)
    from cnnlab.train import get_device

    device = get_device()          # the GPU when there is one
    if device.type == "cpu":
        torch.set_num_threads(1)   # these small models train faster on one thread than on two that compete
    torch.manual_seed(0)
    print("device:", device)
    """),
    md("""
    ## Part 1: LeNet-5 (5 points)

    LeNet-5 takes `(N, 1, 32, 32)` images: a 5x5 convolution to 6 channels, 2x2 pooling, a 5x5
    convolution to 16 channels, 2x2 pooling, then fully connected layers 400 -> 120 -> 84 ->
    `num_classes`. Use `tanh` activations and average pooling as in the original (or ReLU and
    max pooling: the tests check shapes and the parameter count, 61,706 for 10 classes).
    """),
    answer("lab1_lenet", """
    class LeNet5(nn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            ### BEGIN SOLUTION
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
                nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
                nn.Linear(84, num_classes),
            )
            ### END SOLUTION

        def forward(self, x):
            ### BEGIN SOLUTION
            return self.classifier(self.features(x))
            ### END SOLUTION
    """),
    tests("lab1_lenet_tests", 5, """
    model = LeNet5()
    check_module_output("LeNet5()", model, (2, 1, 32, 32), (2, 10))
    n = count_parameters(model)
    if n != count_parameters(cnnlab.models.lenet5()):
        raise GradingError(f"LeNet5() has {n} parameters, expected 61706 "
                           "(conv 156 + 2416, fully connected 48120 + 10164 + 850)")
    ### BEGIN HIDDEN TESTS
    check_not_using(LeNet5)
    with forbid_reference(cnnlab.models):
        try:
            model = LeNet5(num_classes=5)
            check_module_output("LeNet5(num_classes=5)", model, (3, 1, 32, 32), (3, 5))
        except Exception as exc:
            raise GradingError(f"LeNet5: {exc}") from None
    ### END HIDDEN TESTS
    print("LeNet5: tests passed")
    """),
    md("""
    ## Part 2: a VGG block (3 points)

    A VGG block is `num_convs` 3x3 convolutions (padding 1, each followed by ReLU) and a 2x2 max
    pooling with stride 2. Return it as an `nn.Sequential`. The first convolution maps
    `in_channels` to `out_channels`, the others keep `out_channels`.
    """),
    answer("lab1_vgg", """
    def vgg_block(in_channels, out_channels, num_convs):
        ### BEGIN SOLUTION
        layers = []
        for i in range(num_convs):
            layers += [nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1), nn.ReLU()]
        layers.append(nn.MaxPool2d(2, 2))
        return nn.Sequential(*layers)
        ### END SOLUTION
    """),
    tests("lab1_vgg_tests", 3, """
    block = vgg_block(3, 8, 2)
    check_module_output("vgg_block(3, 8, 2)", block, (2, 3, 16, 16), (2, 8, 8, 8))
    expected = arithmetic.conv_params(3, 8, 3) + arithmetic.conv_params(8, 8, 3)
    if count_parameters(block) != expected:
        raise GradingError(f"vgg_block(3, 8, 2) has {count_parameters(block)} parameters, expected {expected}")
    ### BEGIN HIDDEN TESTS
    with forbid_reference(cnnlab.models):
        block = vgg_block(16, 32, 3)
    check_module_output("vgg_block(16, 32, 3)", block, (1, 16, 8, 8), (1, 32, 4, 4))
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    if len(convs) != 3 or any(c.kernel_size != (3, 3) or c.padding != (1, 1) for c in convs):
        raise GradingError(f"vgg_block(16, 32, 3) should hold three 3x3 convolutions with padding 1, got {convs}")
    ### END HIDDEN TESTS
    print("vgg_block: tests passed")
    """),
    md("""
    ## Part 3: a residual block (4 points)

    ResNet's basic block: `conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN`, plus the shortcut,
    then ReLU. The convolutions have no bias (batch norm has one). When `stride != 1` or the
    channels change, the shortcut is a 1x1 convolution with that stride (no bias) followed by batch
    norm; otherwise it is the identity. The skip connection is what lets the gradient reach the first
    layers of a very deep network.
    """),
    answer("lab1_residual", """
    class ResidualBlock(nn.Module):
        def __init__(self, in_channels, out_channels, stride=1):
            super().__init__()
            ### BEGIN SOLUTION
            self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(out_channels)
            self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels)
            self.shortcut = nn.Identity()
            if stride != 1 or in_channels != out_channels:
                self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                              nn.BatchNorm2d(out_channels))
            ### END SOLUTION

        def forward(self, x):
            ### BEGIN SOLUTION
            identity = self.shortcut(x)
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out = out + identity
            return torch.relu(out)
            ### END SOLUTION
    """),
    tests("lab1_residual_tests", 4, """
    def reference_block(c_in, c_out, stride):
        down = None
        if stride != 1 or c_in != c_out:
            down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
        return cnnlab.models.BasicBlock(c_in, c_out, stride, down)

    for c_in, c_out, stride, size in [(8, 8, 1, 6), (8, 16, 2, 8)]:
        block = ResidualBlock(c_in, c_out, stride)
        check_module_output(f"ResidualBlock({c_in}, {c_out}, {stride})", block, (2, c_in, size, size),
                            (2, c_out, size // stride, size // stride))
        n, want = count_parameters(block), count_parameters(reference_block(c_in, c_out, stride))
        if n != want:
            raise GradingError(f"ResidualBlock({c_in}, {c_out}, {stride}) has {n} parameters, expected {want}")
    ### BEGIN HIDDEN TESTS
    # With every convolution of the main path zeroed, the block must pass relu(x) through its skip.
    with forbid_reference(cnnlab.models):
        block = ResidualBlock(4, 4).eval()
        with torch.no_grad():
            for m in block.modules():
                if isinstance(m, nn.Conv2d):
                    m.weight.zero_()
            x = torch.randn(2, 4, 5, 5, generator=torch.Generator().manual_seed(1))
            out = block(x)
    if not torch.allclose(out, torch.relu(x), atol=1e-6):
        raise GradingError("with the convolutions zeroed, ResidualBlock(4, 4) should return relu(x) "
                           "(the identity shortcut); is the skip connection missing?")
    ### END HIDDEN TESTS
    print("ResidualBlock: tests passed")
    """),
    md("""
    ## Part 4: an inception block (3 points)

    GoogLeNet's block runs four branches on the same input and concatenates their outputs along
    the channels: a 1x1 convolution (`c1` channels); a 1x1 reduction to `c3_reduce` then a 3x3
    convolution (padding 1) to `c3`; a 1x1 reduction to `c5_reduce` then a 5x5 (padding 2) to
    `c5`; a 3x3 max pooling (stride 1, padding 1) then a 1x1 projection to `pool_proj`. Every
    convolution has a bias and is followed by ReLU.
    """),
    answer("lab1_inception", """
    class InceptionBlock(nn.Module):
        def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
            super().__init__()
            ### BEGIN SOLUTION
            def conv(c_in, c_out, k):
                return nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.ReLU())

            self.b1 = conv(in_channels, c1, 1)
            self.b2 = nn.Sequential(conv(in_channels, c3_reduce, 1), conv(c3_reduce, c3, 3))
            self.b3 = nn.Sequential(conv(in_channels, c5_reduce, 1), conv(c5_reduce, c5, 5))
            self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv(in_channels, pool_proj, 1))
            ### END SOLUTION

        def forward(self, x):
            ### BEGIN SOLUTION
            return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)
            ### END SOLUTION
    """),
    tests("lab1_inception_tests", 3, """
    args = (192, 64, 96, 128, 16, 32, 32)          # GoogLeNet's inception (3a)
    block = InceptionBlock(*args)
    check_module_output("InceptionBlock(192, ...) (3a)", block, (1, 192, 8, 8), (1, 256, 8, 8))
    n, want = count_parameters(block), count_parameters(cnnlab.models.Inception(*args))
    if n != want:
        raise GradingError(f"inception (3a) has {n} parameters, expected {want}")
    ### BEGIN HIDDEN TESTS
    with forbid_reference(cnnlab.models):
        block = InceptionBlock(16, 4, 8, 8, 2, 4, 4)
        check_module_output("InceptionBlock(16, 4, 8, 8, 2, 4, 4)", block, (2, 16, 7, 7), (2, 20, 7, 7))
    ### END HIDDEN TESTS
    print("InceptionBlock: tests passed")
    """),
    md("""
    ## Part 5: counting parameters (2 points)

    A convolution from `c_in` to `c_out` channels with `k x k` kernels has `c_out * c_in * k * k`
    weights plus `c_out` biases. Write `conv_params(c_in, c_out, k, bias=True)`.
    """),
    answer("lab1_params", """
    def conv_params(c_in, c_out, k, bias=True):
        ### BEGIN SOLUTION
        return c_out * c_in * k * k + (c_out if bias else 0)
        ### END SOLUTION
    """),
    tests("lab1_params_tests", 2, """
    def reference(c_in, c_out, k, bias=True):
        return arithmetic.conv_params(c_in, c_out, k, bias=bias)

    check_function(conv_params, reference, [Case("AlexNet conv1", 3, 96, 11)])
    ### BEGIN HIDDEN TESTS
    check_function(conv_params, reference, [Case("VGG 3x3", 256, 512, 3), Case("no bias", 64, 64, 3, bias=False),
                                            Case("1x1", 192, 16, 1)], forbid=[arithmetic])
    ### END HIDDEN TESTS
    print("conv_params: tests passed")
    """),
    md("""
    ## Part 6: train LeNet-5 (3 points)

    Write `train(model, train_loader, epochs, lr, device)`: move the model to `device`, and for
    each epoch and batch compute the cross-entropy loss, back-propagate and take an optimiser step
    (Adam with learning rate `lr` works well). Return the model. The test trains your LeNet-5 on
    scikit-learn's digits upsampled to 32x32 (`cnnlab.data.load_digits(size=32)`) and asks for 90%
    test accuracy. On Colab with a GPU, try MNIST too: `cnnlab.data.load_mnist()`.
    """),
    answer("lab1_train", """
    def train(model, train_loader, epochs, lr, device):
        ### BEGIN SOLUTION
        model.to(device).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()
        for epoch in range(epochs):
            for x, y in train_loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
        return model
        ### END SOLUTION
    """),
    tests("lab1_train_tests", 3, """
    def accuracy(model, loader):
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
                total += len(y)
        return correct / total

    torch.manual_seed(0)
    digits = load_digits(size=32)
    train_loader, test_loader = digits.loaders(batch_size=64, seed=0)
    torch.manual_seed(0)
    net = LeNet5()
    ### BEGIN HIDDEN TESTS
    check_not_using(LeNet5)
    with forbid_reference(cnnlab.models):
        torch.manual_seed(0)
        net = LeNet5()
    ### END HIDDEN TESTS
    with stderr_to_stdout():        # a progress bar on stderr must not fail the test
        net = train(net, train_loader, epochs=2, lr=3e-3, device=device)
    acc = accuracy(net, test_loader)
    print(f"test accuracy: {acc:.3f}")
    if acc < 0.9:
        raise GradingError(f"LeNet5 trained by your train() reaches {acc:.3f} test accuracy; 0.9 is needed")
    print("train: tests passed")
    """),
]
