"""cnnlab/models/lenet.py: LeNet-5, classic (1998) and modern."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.models import lenet5, summary  # noqa: E402
from helpers.models import n_params, one_torch_thread, overfit_one_batch  # noqa: E402,F401


def test_classic_lenet5_has_61706_parameters():
    # C1 156 + C3 2,416 + C5 48,120 + F6 10,164 + output 850 ("only 60K parameters" in the notes)
    model = lenet5()
    assert n_params(model) == 61_706
    assert [n_params(m) for m in (model.c1, model.c3, model.c5, model.f6, model.output)] == [
        156, 2_416, 48_120, 10_164, 850]


def test_variants_and_padding_keep_the_parameter_count():
    assert n_params(lenet5(variant="modern")) == 61_706
    assert n_params(lenet5(padding=2)) == 61_706
    assert n_params(lenet5(num_classes=26, in_channels=3)) == 61_706 + 2 * 150 + 16 * 84 + 16


def test_layers_follow_the_paper():
    model = lenet5()
    assert isinstance(model.act1, torch.nn.Tanh) and isinstance(model.s2, torch.nn.AvgPool2d)
    modern = lenet5(variant="modern")
    assert isinstance(modern.act1, torch.nn.ReLU) and isinstance(modern.s2, torch.nn.MaxPool2d)
    shapes = [r.output_shape for r in summary(model, (1, 32, 32)).rows_of_type("Conv2d", "AvgPool2d")]
    assert shapes == [(1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10), (1, 16, 5, 5), (1, 120, 1, 1)]


def test_padding_two_takes_28x28_digits():
    model = lenet5(padding=2).eval()
    assert summary(model, (1, 28, 28))["c1"].output_shape == (1, 6, 28, 28)


def test_classic_init_is_lecuns_uniform():
    model = lenet5()
    assert model.c1.weight.abs().max() <= 2.4 / 25 and model.c3.weight.abs().max() <= 2.4 / 150
    assert model.c1.bias.abs().max() == 0


@pytest.mark.parametrize("variant", ["classic", "modern"])
def test_overfits_one_batch(variant):
    torch.manual_seed(0)
    x, y = torch.randn(16, 1, 32, 32), torch.arange(16) % 10
    first, last = overfit_one_batch(lenet5(variant=variant), x, y, steps=50, lr=3e-3)
    assert first > 2.0 and last < 0.05


def test_paper_lenet5_counts_what_the_notes_compute():
    from cnnlab.models.summary import count_parameters
    from cnnlab.notes.ch10_architectures import lenet5_params
    model = lenet5(variant="paper")
    counts = lenet5_params(c3="paper")
    assert count_parameters(model) == sum(counts.values())
    assert [n_params(getattr(model, k.lower())) for k in counts] == list(counts.values())
    assert n_params(model.output) == 0 and model.output.centres.shape == (10, 84)  # fixed RBF centres
    assert count_parameters(lenet5(variant="paper", num_classes=26)) == sum(counts.values())


def test_partial_c3_is_a_masked_convolution():
    # oracle: a full torch convolution whose kernel is zero where the paper's table has no connection
    from cnnlab.models.lenet import PartialConv2d
    from cnnlab.notes.ch10_architectures import LENET5_C3_TABLE
    torch.manual_seed(0)
    c3 = PartialConv2d(LENET5_C3_TABLE, 5).double()
    x = torch.randn(2, 6, 14, 14, dtype=torch.float64, requires_grad=True)
    w = c3.full_weight()
    mask = torch.as_tensor(LENET5_C3_TABLE.T, dtype=torch.float64)[:, :, None, None]
    assert torch.equal(w * (1 - mask), torch.zeros_like(w))
    assert ((w != 0).any(-1).any(-1) == torch.as_tensor(LENET5_C3_TABLE.T)).all()
    ref = torch.nn.functional.conv2d(x, w.detach() * mask, c3.bias.detach())
    out = c3(x)
    torch.testing.assert_close(out, ref)
    assert torch.autograd.gradcheck(c3, (x[:1, :, :7, :7],))
    # an input map that a C3 map does not read leaves that map unchanged
    x2 = x.detach().clone()
    x2[:, 0] += 1.0
    unread = [j for j in range(16) if not LENET5_C3_TABLE[0, j]]
    torch.testing.assert_close(c3(x2)[:, unread], out[:, unread].detach())


def test_paper_lenet5_trains_and_rejects_bad_tables():
    from cnnlab.models.lenet import PartialConv2d
    torch.manual_seed(0)
    x, y = torch.randn(16, 1, 32, 32), torch.arange(16) % 10
    first, last = overfit_one_batch(lenet5(variant="paper"), x, y, steps=60, lr=3e-3)
    assert last < first / 4
    import numpy as np
    with pytest.raises(ValueError, match="PartialConv2d: table"):
        PartialConv2d(np.zeros((6, 16), dtype=bool), 5)
