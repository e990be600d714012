"""Lab 2 (GPU, Colab): a denoising autoencoder and transfer learning."""

from grading.nbsource import COLAB_INSTALL, answer, md, setup, tests

NAME = "lab2"

CELLS = [
    md("""
    # Lab 2: denoising autoencoders and transfer learning

    Open this notebook in Google Colab with a GPU runtime (*Runtime > Change runtime type*); it
    also runs on a CPU. The data are scikit-learn's 8x8 handwritten digits (`cnnlab.data.load_digits`),
    small enough to train in seconds; on Colab, try the same code on MNIST (`cnnlab.data.load_mnist()`).

    | Part | What you write | Points |
    |---|---|---|
    | 1 | `add_noise`: corrupt the inputs | 3 |
    | 2 | `DenoisingAE`: a fully connected autoencoder | 5 |
    | 3 | `train_denoiser`: learn to undo the noise | 5 |
    | 4 | `prepare_for_transfer`: freeze a network and give it a new head | 4 |
    | 5 | `fine_tune`: train only what is trainable | 3 |
    | | **Total** | **20** |

    `cnnlab.models` and `cnnlab.train` hold reference versions of all this; using them in your
    answers earns no points.
    """),
    setup("lab2_colab", COLAB_INSTALL),
    setup("lab2_imports", """
    import torch
    from torch import nn

    import cnnlab.models
    import cnnlab.train
    from cnnlab.data import load_digits
    from cnnlab.grading import (Case, GradingError, check_function, check_module_output, check_not_using,
                                count_parameters, forbid_reference, stderr_to_stdout)
    from cnnlab.train import get_device

    device = get_device()          # the GPU when there is one
    if device.type == "cpu":
        torch.set_num_threads(1)   # these small models train faster on one thread than on two that compete
    print("device:", device)
    """),
    md("""
    ## Part 1: noise (3 points)

    A denoising autoencoder sees a corrupted input and must reconstruct the clean one.
    `add_noise(x, noise_std, g)` adds Gaussian noise of standard deviation `noise_std`, drawn with
    `torch.randn(x.shape, generator=g)`, and clamps the result to the pixel range `[0, 1]`.
    It must not change `x`.
    """),
    answer("lab2_noise", """
    def add_noise(x, noise_std, g):
        \"\"\"x plus N(0, noise_std^2) noise drawn from generator g, clamped to [0, 1].\"\"\"
        ### BEGIN SOLUTION
        return (x + noise_std * torch.randn(x.shape, generator=g)).clamp(0, 1)
        ### END SOLUTION
    """),
    tests("lab2_noise_tests", 3, """
    def your_noise(x, noise_std, seed):
        return add_noise(x, noise_std, torch.Generator().manual_seed(seed))

    def reference_noise(x, noise_std, seed):
        g = torch.Generator().manual_seed(seed)
        return (x + noise_std * torch.randn(x.shape, generator=g)).clamp(0, 1)

    x = torch.rand(4, 64, generator=torch.Generator().manual_seed(1))
    check_function(your_noise, reference_noise, [Case("std 0.3", x, 0.3, 0)])
    ### BEGIN HIDDEN TESTS
    before = x.clone()
    check_function(your_noise, reference_noise, [Case("std 0.5", x, 0.5, 1), Case("std 1.0", x[:2], 1.0, 2)])
    if not torch.equal(before, x):
        raise GradingError("add_noise changed its input x in place")
    ### END HIDDEN TESTS
    print("add_noise: tests passed")
    """),
    md("""
    ## Part 2: the autoencoder (5 points)

    `DenoisingAE(n_in=64, n_hidden=32)`: an encoder `Linear(n_in, n_hidden)` + ReLU and a decoder
    `Linear(n_hidden, n_in)` + sigmoid (pixels live in `[0, 1]`). Keep them as the attributes
    `encoder` and `decoder`; `forward(x)` returns the reconstruction of `x: (N, n_in)`.
    """),
    answer("lab2_autoencoder", """
    class DenoisingAE(nn.Module):
        def __init__(self, n_in=64, n_hidden=32):
            super().__init__()
            ### BEGIN SOLUTION
            self.encoder = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU())
            self.decoder = nn.Sequential(nn.Linear(n_hidden, n_in), nn.Sigmoid())
            ### END SOLUTION

        def forward(self, x):
            ### BEGIN SOLUTION
            return self.decoder(self.encoder(x))
            ### END SOLUTION
    """),
    tests("lab2_autoencoder_tests", 5, """
    ae = DenoisingAE()
    out = check_module_output("DenoisingAE()", ae, (5, 64), (5, 64))
    if count_parameters(ae) != 64 * 32 + 32 + 32 * 64 + 64:
        raise GradingError(f"DenoisingAE() has {count_parameters(ae)} parameters, expected 4192")
    ### BEGIN HIDDEN TESTS
    check_not_using(DenoisingAE)
    with forbid_reference(cnnlab.models):
        ae = DenoisingAE(n_in=20, n_hidden=7)
        out = check_module_output("DenoisingAE(20, 7)", ae, (3, 20), (3, 20))
    if not (out.min() >= 0 and out.max() <= 1):
        raise GradingError("the reconstruction should lie in [0, 1] (a sigmoid output)")
    if not hasattr(ae, "encoder") or ae.encoder(torch.zeros(1, 20)).shape != (1, 7):
        raise GradingError("DenoisingAE(20, 7).encoder should map (N, 20) to the (N, 7) code")
    ### END HIDDEN TESTS
    print("DenoisingAE: tests passed")
    """),
    md("""
    ## Part 3: training the denoiser (5 points)

    `train_denoiser(model, x_train, noise_std, epochs, lr, seed)`: with `g = torch.Generator().manual_seed(seed)`,
    for each epoch shuffle the rows of `x_train` (`torch.randperm(len(x_train), generator=g)`), and for
    each batch of 64 rows, corrupt the batch with your `add_noise(batch, noise_std, g)`, reconstruct
    it, and take an Adam step (learning rate `lr`) on the mean squared error between the
    reconstruction and the **clean** batch. Return the model. The test checks that your trained
    model removes noise: its reconstructions of noisy test digits are closer to the clean digits
    than the noisy digits are.
    """),
    answer("lab2_train_denoiser", """
    def train_denoiser(model, x_train, noise_std, epochs, lr, seed):
        ### BEGIN SOLUTION
        g = torch.Generator().manual_seed(seed)
        model.to(device).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        for epoch in range(epochs):
            order = torch.randperm(len(x_train), generator=g)
            for start in range(0, len(x_train), 64):
                clean = x_train[order[start:start + 64]]
                noisy = add_noise(clean, noise_std, g)
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model(noisy.to(device)), clean.to(device))
                loss.backward()
                optimizer.step()
        return model
        ### END SOLUTION
    """),
    tests("lab2_train_denoiser_tests", 5, """
    digits = load_digits(size=8, normalize=False, flatten=True)      # pixels in [0, 1]
    torch.manual_seed(0)
    with stderr_to_stdout():        # a progress bar on stderr must not fail the test
        ae = train_denoiser(DenoisingAE(), digits.x_train, 0.5, epochs=15, lr=1e-2, seed=0).cpu().eval()
    clean = digits.x_test
    g = torch.Generator().manual_seed(123)
    noisy = (clean + 0.5 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    with torch.no_grad():
        denoised = ae(noisy)
    before, after = nn.functional.mse_loss(noisy, clean).item(), nn.functional.mse_loss(denoised, clean).item()
    print(f"MSE to the clean digits: noisy {before:.4f}, denoised {after:.4f}")
    if not after < 0.4 * before:
        raise GradingError(f"the trained denoiser's MSE ({after:.4f}) should be below 0.4 times the noisy input's "
                           f"({before:.4f}); is it trained on the clean batch as the target?")
    print("train_denoiser: tests passed")
    """),
    md("""
    ## Part 4: transfer learning (4 points)

    A network trained on one task has learned features that help on another. `SmallCNN` below was
    pretrained to recognise the digits 0-4; we reuse it for the digits 5-9. Write
    `prepare_for_transfer(model, num_classes)`: freeze every parameter (`requires_grad = False`),
    then replace the head `model.fc` by a new, trainable `nn.Linear` with `num_classes` outputs.
    Return the model.
    """),
    setup("lab2_smallcnn", """
    class SmallCNN(nn.Module):
        \"\"\"Two conv layers and a linear head, for 8x8 digits.\"\"\"

        def __init__(self, num_classes=5):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            )
            self.fc = nn.Linear(32, num_classes)

        def forward(self, x):
            return self.fc(self.features(x))
    """),
    answer("lab2_transfer", """
    def prepare_for_transfer(model, num_classes):
        ### BEGIN SOLUTION
        for p in model.parameters():
            p.requires_grad = False
        model.fc = nn.Linear(model.fc.in_features, num_classes)
        return model
        ### END SOLUTION
    """),
    tests("lab2_transfer_tests", 4, """
    torch.manual_seed(0)
    model = SmallCNN(num_classes=5)
    old_head = model.fc
    with forbid_reference(cnnlab.train, cnnlab.models):
        model = prepare_for_transfer(model, 3)
    if model.fc is old_head or model.fc.out_features != 3:
        raise GradingError(f"model.fc should be a new nn.Linear with 3 outputs, got {model.fc}")
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    if sorted(trainable) != ["fc.bias", "fc.weight"]:
        raise GradingError(f"only the new head should be trainable; trainable parameters: {trainable}")
    ### BEGIN HIDDEN TESTS
    check_not_using(prepare_for_transfer)
    ### END HIDDEN TESTS
    print("prepare_for_transfer: tests passed")
    """),
    md("""
    ## Part 5: fine-tuning (3 points)

    `fine_tune(model, loader, epochs, lr)`: train with Adam on the cross-entropy, giving the
    optimiser **only** the parameters that require gradients. The test pretrains `SmallCNN` on the
    digits 0-4, freezes it and swaps its head, fine-tunes it with your function on the digits
    5-9, and checks that the frozen features did not move and that the new head reaches 75% test accuracy.
    """),
    answer("lab2_fine_tune", """
    def fine_tune(model, loader, epochs, lr):
        ### BEGIN SOLUTION
        model.to(device).train()
        optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
        for epoch in range(epochs):
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
        return model
        ### END SOLUTION
    """),
    tests("lab2_fine_tune_tests", 3, """
    from torch.utils.data import DataLoader, TensorDataset

    def subset(x, y, classes):
        keep = (y >= classes[0]) & (y <= classes[-1])
        return x[keep], y[keep] - classes[0]

    digits = load_digits(size=8)
    torch.manual_seed(0)
    base = SmallCNN(num_classes=5)
    xa, ya = subset(digits.x_train, digits.y_train, (0, 4))
    optimizer = torch.optim.Adam(base.parameters(), lr=1e-2)
    for epoch in range(15):                                   # pretraining on 0-4 (done for you)
        for x, y in DataLoader(TensorDataset(xa, ya), batch_size=64, shuffle=True,
                               generator=torch.Generator().manual_seed(epoch)):
            optimizer.zero_grad()
            nn.functional.cross_entropy(base(x), y).backward()
            optimizer.step()
    for p in base.parameters():
        p.requires_grad = False
    base.fc = nn.Linear(32, 5)
    frozen = [p.detach().clone() for p in base.features.parameters()]
    xb, yb = subset(digits.x_train, digits.y_train, (5, 9))
    loader = DataLoader(TensorDataset(xb, yb), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    with forbid_reference(cnnlab.train), stderr_to_stdout():
        model = fine_tune(base, loader, epochs=40, lr=1e-2).cpu().eval()
    if any(not torch.equal(a, b) for a, b in zip(frozen, model.features.parameters())):
        raise GradingError("fine_tune changed the frozen feature extractor")
    xt, yt = subset(digits.x_test, digits.y_test, (5, 9))
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(f"accuracy on the digits 5-9 with frozen 0-4 features: {acc:.3f}")
    if acc < 0.75:
        raise GradingError(f"the fine-tuned head reaches {acc:.3f} test accuracy on 5-9; 0.75 is needed")
    print("fine_tune: tests passed")
    """),
]
