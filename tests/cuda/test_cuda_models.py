"""On a CUDA GPU: every model family forward and backward, the autoencoders' noise, the numpy bridge.

Each model runs in float64 on the GPU and on the CPU from the same weights and input; logits and
gradients must agree (float64, so TF32 and kernel choice cannot hide a real difference).
Skipped cleanly without CUDA; imports only torch, numpy and pytest.
"""

import copy

import pytest

pytestmark = [pytest.mark.torch, pytest.mark.cuda]
torch = pytest.importorskip("torch")

import cnnlab.models as M  # noqa: E402

from helpers.devices import SMALL_MODELS as MODELS  # noqa: E402  (the CPU-side checks' small variants)

CUDA = torch.device("cuda")


def _loss(out):
    return sum((o.double() ** 2).mean() for o in _flat(out))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_backward_match_the_cpu(name):
    factory, shape = MODELS[name]
    torch.manual_seed(0)
    cpu = factory().double().train()
    for m in cpu.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0                                          # dropout masks are drawn per device
    gpu = copy.deepcopy(cpu).to(CUDA)
    x = torch.rand(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    noisy = isinstance(cpu, M.DenoisingAutoencoder)            # its CPU-drawn noise is the same on both
    out_cpu = cpu(x, generator=torch.Generator().manual_seed(2)) if noisy else cpu(x)
    out_gpu = gpu(x.to(CUDA), generator=torch.Generator().manual_seed(2)) if noisy else gpu(x.to(CUDA))
    _loss(out_cpu).backward()
    _loss(out_gpu).backward()
    for a, b in zip(_flat(out_cpu), _flat(out_gpu)):
        assert b.device.type == "cuda"
        torch.testing.assert_close(b.cpu(), a, rtol=1e-9, atol=1e-10)
    for (n, p), q in zip(cpu.named_parameters(), gpu.parameters()):
        torch.testing.assert_close(q.grad.cpu(), p.grad, rtol=1e-7, atol=1e-10, msg=f"{name}: grad of {n}")


def _flat(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("noise", ["masking", "salt_and_pepper", "gaussian"])
def test_corrupt_is_the_same_on_cpu_and_cuda(noise):
    x = torch.rand(16, 20)
    a = M.corrupt(x, noise=noise, generator=torch.Generator().manual_seed(0))
    b = M.corrupt(x.to(CUDA), noise=noise, generator=torch.Generator().manual_seed(0))
    assert b.device.type == "cuda" and torch.equal(a, b.cpu())
    torch.manual_seed(4)
    c = M.corrupt(x.to(CUDA), noise=noise)                     # the global CPU generator, seeded
    torch.manual_seed(4)
    assert torch.equal(M.corrupt(x, noise=noise), c.cpu())


def test_the_big_models_run_on_cuda():
    """The paper-sized nets (224 x 224) take one forward and backward step on the GPU."""
    for factory, size in ((M.resnet50, 224), (M.googlenet, 224), (M.vgg11, 224), (M.alexnet, 227)):
        torch.manual_seed(0)
        model = factory(num_classes=10).to(CUDA).train()
        out = model(torch.randn(2, 3, size, size, device=CUDA))
        out = out.logits if hasattr(out, "logits") else out
        out.sum().backward()
        assert out.shape == (2, 10) and all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_numpy_bridge_with_cuda_tensors():
    """numpy_twin's layers take CUDA tensors (through the CPU) and give CUDA results equal to torch's."""
    from cnnlab.models.bridge import numpy_twin

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(12, 4)).double()
    twin = numpy_twin(model).to(CUDA)
    model = model.to(CUDA)
    x = torch.randn(5, 2, 4, 4, dtype=torch.float64, device=CUDA, requires_grad=True)
    xt = x.detach().clone().requires_grad_(True)
    out, ref = twin(x), model(xt)
    assert out.device.type == "cuda"
    torch.testing.assert_close(out, ref)
    out.square().sum().backward()
    ref.square().sum().backward()
    torch.testing.assert_close(x.grad, xt.grad)
    for p, q in zip(twin.parameters(), model.parameters()):
        assert p.grad.device.type == "cuda"
        torch.testing.assert_close(p.grad, q.grad)
    torch.testing.assert_close(twin[1].running_mean, model[1].running_mean)
