"""cnnlab/models/vgg.py: VGG-11/13/16/19 from config tables and the notes' VGG16 table."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

from cnnlab.models import small_vgg, summary, vgg11, vgg13, vgg16, vgg19  # noqa: E402
from cnnlab.models.vgg import VGG_CFGS  # noqa: E402
from helpers.models import n_params, one_torch_thread, overfit_one_batch  # noqa: E402,F401

# The notes' VGG16 table: (values in the layer's output, the notes' rounded "memory", weights).
# The notes count weights only, no biases.
NOTES_VGG16 = [
    (224 * 224 * 64, 3.2e6, 1_728), (224 * 224 * 64, 3.2e6, 36_864), (112 * 112 * 64, 800e3, 0),
    (112 * 112 * 128, 1.6e6, 73_728), (112 * 112 * 128, 1.6e6, 147_456), (56 * 56 * 128, 400e3, 0),
    (56 * 56 * 256, 800e3, 294_912), (56 * 56 * 256, 800e3, 589_824), (56 * 56 * 256, 800e3, 589_824),
    (28 * 28 * 256, 200e3, 0),
    (28 * 28 * 512, 400e3, 1_179_648), (28 * 28 * 512, 400e3, 2_359_296), (28 * 28 * 512, 400e3, 2_359_296),
    (14 * 14 * 512, 100e3, 0),
    (14 * 14 * 512, 100e3, 2_359_296), (14 * 14 * 512, 100e3, 2_359_296), (14 * 14 * 512, 100e3, 2_359_296),
    (7 * 7 * 512, 25e3, 0),
    (4096, 4096, 102_760_448), (4096, 4096, 16_777_216), (1000, 1000, 4_096_000),
]


@pytest.fixture(scope="module")
def vgg16_summary():
    with torch.device("meta"):
        return summary(vgg16(), (3, 224, 224))


@pytest.mark.parametrize("factory, count", [(vgg11, 132_863_336), (vgg13, 133_047_848), (vgg16, 138_357_544),
                                            (vgg19, 143_667_240)])
def test_parameter_counts_match_torchvision(factory, count):
    with torch.device("meta"):
        assert n_params(factory()) == count
        bn = sum(2 * v for v in VGG_CFGS[factory.__name__] if v != "M")   # gamma, beta
        biases = sum(v for v in VGG_CFGS[factory.__name__] if v != "M")   # conv biases dropped
        assert n_params(factory(batch_norm=True)) == count + bn - biases


def test_every_row_of_the_notes_vgg16_table(vgg16_summary):
    rows = vgg16_summary.rows_of_type("Conv2d", "MaxPool2d", "Linear")
    assert len(rows) == len(NOTES_VGG16)
    for row, (values, rounded, weights) in zip(rows, NOTES_VGG16):
        assert row.activations == values
        assert rounded in (values, float(f"{values:.2g}"))      # the notes round to two figures
        bias = row.output_shape[1] if row.params else 0
        assert row.params == weights + bias


def test_notes_vgg16_totals(vgg16_summary):
    s = vgg16_summary
    assert s.input_values == 224 * 224 * 3 == 150_528          # "150K"
    assert s.total_params == 138_357_544                        # "138M parameters"
    assert round(s.total_params / 1e6) == 138
    # Summing the notes' own table (with the input) gives 15,237,608 values = 60.95 MB at float32.
    # The notes' headline "24M * 4 bytes ~= 96MB / image" does not follow from that table: it is
    # cs231n's slide figure, kept in the book as a known discrepancy.
    total = s.total_activations + s.input_values
    assert total == sum(v for v, _, _ in NOTES_VGG16) + 150_528 == 15_237_608
    assert total * 4 == 60_950_432
    assert s.total_macs == 15_470_264_320                       # about 15.5 G multiply-accumulates


def test_relu_dropout_and_flatten_allocate_nothing(vgg16_summary):
    shared = {r.type for r in vgg16_summary.rows if r.shares_input}
    assert shared == {"ReLU", "Flatten", "Dropout"}


def test_small_vgg_sizes():
    with torch.device("meta"):
        assert small_vgg()(torch.empty(1, 3, 32, 32)).shape == (1, 10)
        assert small_vgg(input_size=28, in_channels=1)(torch.empty(1, 1, 28, 28)).shape == (1, 10)
    with pytest.raises(ValueError, match="input_size must be at least 16"):
        small_vgg(input_size=8)


def test_small_vgg_overfits_one_batch():
    torch.manual_seed(0)
    x, y = torch.randn(8, 1, 16, 16), torch.arange(8)
    model = small_vgg(in_channels=1, input_size=16, batch_norm=True, dropout=0.0)
    first, last = overfit_one_batch(model, x, y, steps=50)
    assert first > 2.0 and last < 0.05
