"""cnnlab.grading.torch_checks: checks of torch modules."""

from __future__ import annotations

import pytest

from cnnlab.grading import GradingError, check_module_output, count_parameters

pytestmark = [pytest.mark.grading, pytest.mark.torch]


def test_count_parameters_and_output_shape():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    assert count_parameters(layer) == 8
    out = check_module_output("Linear", layer, (4, 3), (4, 2))
    assert tuple(out.shape) == (4, 2)
    with pytest.raises(GradingError, match="output shape"):
        check_module_output("Linear", layer, (4, 3), (4, 3))


def test_a_module_that_raises_or_returns_nan_fails():
    torch = pytest.importorskip("torch")

    class Nan(torch.nn.Module):
        def forward(self, x):
            return x * float("nan")

    with pytest.raises(GradingError, match="NaN"):
        check_module_output("Nan", Nan(), (1, 2), (1, 2))
    with pytest.raises(GradingError, match="raised RuntimeError"):
        check_module_output("Linear", torch.nn.Linear(3, 2), (1, 5), (1, 2))
