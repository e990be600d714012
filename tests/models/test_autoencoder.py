"""cnnlab/models/autoencoder.py: fully connected (tied or not), denoising, stacked, convolutional.

The greedy pretraining loop that feeds StackedAutoencoder is tested in tests/train/test_pretrain.py."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


from cnnlab.models import (ConvAutoencoder, DenoisingAutoencoder, FCAutoencoder, StackedAutoencoder,  # noqa: E402
                           corrupt, summary)
from helpers.models import fit_reconstruction, n_params, one_torch_thread  # noqa: E402,F401


def test_shapes_and_parameter_counts():
    ae = FCAutoencoder(784, (128, 32))
    tied = FCAutoencoder(784, (128, 32), tied=True)
    assert ae(torch.rand(3, 784)).shape == (3, 784) and ae.encode(torch.rand(3, 784)).shape == (3, 32)
    encoder = 784 * 128 + 128 + 128 * 32 + 32
    assert n_params(ae) == 2 * encoder - 32 + 784 - 128 + 128   # mirrored weights, decoder biases 128 + 784
    assert n_params(tied) == encoder + 128 + 784                  # tied: the decoder owns only its biases


def test_tied_decoder_uses_the_encoder_weight_transposed():
    torch.manual_seed(0)
    ae = FCAutoencoder(6, (4,), tied=True, activation="identity", output_activation="identity")
    w, c = ae.encoder[0].weight, ae.decoder[0].bias
    with torch.no_grad():
        c.uniform_()
    x = torch.randn(5, 6)
    assert torch.allclose(ae(x), (x @ w.T + ae.encoder[0].bias) @ w + c)
    ae(x).sum().backward()   # both uses of W contribute to its gradient
    h = x @ w.T + ae.encoder[0].bias
    ones = torch.ones(5, 6)
    assert torch.allclose(w.grad, (ones @ w.T).T @ x + h.T @ ones, atol=1e-5)


def test_tied_summary_counts_the_weight_once():
    s = summary(FCAutoencoder(784, (128, 32), tied=True), (784,))
    assert s.total_params == sum(r.params for r in s.rows)
    assert s.total_macs == 2 * (784 * 128 + 128 * 32)


def test_linear_autoencoder_learns_a_low_rank_subspace():
    # Linear layers + squared error: the autoencoder spans the top principal subspace (the notes' PCA remark).
    torch.manual_seed(0)
    x = torch.randn(64, 2) @ torch.randn(2, 8)            # rank-2 data
    ae = FCAutoencoder(8, (2,), activation="identity", output_activation="identity")
    assert fit_reconstruction(ae, x, steps=300) < 1e-3 * x.square().mean().item()


def test_corrupt_masking_and_gaussian():
    g = torch.Generator().manual_seed(0)
    x = torch.ones(100, 100)
    masked = corrupt(x, noise="masking", noise_level=0.25, generator=g)
    assert set(masked.unique().tolist()) == {0.0, 1.0} and abs((masked == 0).float().mean() - 0.25) < 0.02
    salted = corrupt(torch.full((100, 100), 0.5), noise="salt_and_pepper", noise_level=0.2, generator=g)
    assert abs((salted == 0).float().mean() - 0.1) < 0.02 and abs((salted == 1).float().mean() - 0.1) < 0.02
    noisy = corrupt(x, noise="gaussian", noise_level=0.1, generator=g)
    assert abs((noisy - x).std() - 0.1) < 0.01
    assert torch.equal(x, torch.ones(100, 100))          # the input is not modified
    with pytest.raises(ValueError, match="noise must be one of"):
        corrupt(x, noise="salt")
    with pytest.raises(ValueError, match="probability"):
        DenoisingAutoencoder(10, (4,), noise_level=1.5)


def test_denoising_corrupts_only_in_training_mode():
    dae = DenoisingAutoencoder(20, (8,), noise="masking", noise_level=0.5)
    x = torch.rand(4, 20)
    dae.eval()
    assert torch.equal(dae(x), dae.decode(dae.encode(x)))
    dae.train()
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(dae(x, generator=g1), dae(x, generator=g2))
    assert not torch.equal(dae(x), dae.eval()(x))


def test_conv_autoencoder_uses_transposed_convolutions():
    ae = ConvAutoencoder(in_channels=1, channels=(8, 16))
    x = torch.rand(2, 1, 28, 28)
    assert ae.encode(x).shape == (2, 16, 7, 7) and ae(x).shape == x.shape
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in ae.modules()) == 2
    s = summary(ae, (1, 28, 28))
    t = s.rows_of_type("ConvTranspose2d")[0]
    assert t.output_shape == (1, 8, 14, 14) and t.macs == 16 * 7 * 7 * 8 * 3 * 3
    assert ConvAutoencoder(in_channels=3, channels=(4, 8, 8))(torch.rand(1, 3, 32, 32)).shape == (1, 3, 32, 32)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"expected x of shape \(N, 784\)"):
        FCAutoencoder()(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match="hidden_sizes"):
        FCAutoencoder(784, ())
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvAutoencoder()(torch.rand(1, 1, 30, 30))
    with pytest.raises(ValueError, match="activation must be one of"):
        FCAutoencoder(4, (2,), activation="softplus")


def test_corrupt_draws_on_the_generator_device_and_moves():
    """The noise comes from the CPU generator whatever x's device: x on torch's meta device (a second
    device any CPU has) is corrupted without a generator/device mismatch, and stays there."""
    x = torch.rand(3, 8)
    for noise in ("masking", "salt_and_pepper", "gaussian"):
        out = corrupt(x.to("meta"), noise=noise, generator=torch.Generator().manual_seed(0))
        assert out.device.type == "meta" and out.shape == x.shape
        a = corrupt(x, noise=noise, generator=torch.Generator().manual_seed(0))
        assert torch.equal(a, corrupt(x, noise=noise, generator=torch.Generator().manual_seed(0)))
    torch.manual_seed(5)
    a = corrupt(x, noise="gaussian")                                           # global CPU generator
    torch.manual_seed(5)
    assert torch.equal(a, corrupt(x, noise="gaussian", generator=None))
