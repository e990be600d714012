"""The public API is a contract: the book, the assignments and the graders call these names.

Every public function and class of the numpy library has a docstring and type hints, and every
name the course relies on is exported where the docs say it is.
"""

import importlib
import inspect

import pytest

import cnnlab.functional
from helpers.modules import numpy_modules

NUMPY_MODULES = numpy_modules()

# Names other parts of the course import from cnnlab.functional.
FUNCTIONAL_CONTRACT = """
step identity sigmoid tanh relu leaky_relu elu swish silu maxout softmax log_softmax
relu_forward relu_backward sigmoid_forward sigmoid_backward tanh_forward tanh_backward
softmax_forward softmax_backward log_softmax_forward log_softmax_backward maxout_forward maxout_backward
squared_error_forward squared_error_backward mse_loss_forward mse_loss_backward mse_loss
binary_cross_entropy_forward binary_cross_entropy_backward binary_cross_entropy
cross_entropy_forward cross_entropy_backward cross_entropy
linear_forward linear_backward linear flatten_forward flatten_backward flatten
conv2d_forward conv2d_backward conv2d_forward_naive conv2d_backward_naive conv2d
conv_transpose2d_forward conv_transpose2d_backward conv_transpose2d correlate1d convolve1d conv_matrix
spatially_separable_conv2d separate_kernel depthwise_separable_conv2d_forward
depthwise_separable_conv2d_backward depthwise_separable_conv2d
max_pool2d_forward max_pool2d_backward max_pool2d max_pool2d_with_indices max_unpool2d_forward max_unpool2d_backward max_unpool2d
avg_pool2d_forward avg_pool2d_backward avg_pool2d l2_pool2d_forward l2_pool2d_backward l2_pool2d
global_avg_pool2d_forward global_avg_pool2d_backward global_avg_pool2d
upsample_nearest2d_forward upsample_nearest2d_backward upsample_bilinear2d_forward upsample_bilinear2d_backward
dropout_forward dropout_backward dropout batchnorm_forward batchnorm_backward
""".split()


def _public_objects():
    for module_name in NUMPY_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module_name}.{name}", obj


def test_every_public_function_and_class_has_a_docstring():
    missing = [name for name, obj in _public_objects() if not inspect.getdoc(obj)]
    assert not missing, f"public names without a docstring: {missing}"


def test_every_public_function_has_type_hints():
    missing = [name for name, obj in _public_objects()
               if inspect.isfunction(obj) and not obj.__annotations__]
    assert not missing, f"public functions without type hints: {missing}"


def test_forward_docstrings_give_shapes():
    """A forward function states its shapes: (N, C, H, W) in the package notation, or any shape."""
    vague = [name for name, obj in _public_objects()
             if name.startswith("cnnlab.functional.") and name.endswith("_forward")
             and "(" not in inspect.getdoc(obj) and "any shape" not in inspect.getdoc(obj)]
    assert not vague, f"forward functions whose docstrings give no shapes: {vague}"


@pytest.mark.parametrize("name", FUNCTIONAL_CONTRACT)
def test_functional_exports_the_contract(name):
    assert callable(getattr(cnnlab.functional, name, None)), f"cnnlab.functional.{name} is missing"


def test_no_function_shadows_a_functional_submodule():
    """``import cnnlab.functional.<module>`` gives the module: no exported function has a module's name."""
    import pkgutil
    for info in pkgutil.iter_modules(cnnlab.functional.__path__):
        module = importlib.import_module(f"cnnlab.functional.{info.name}")
        assert getattr(cnnlab.functional, info.name) is module, \
            f"cnnlab.functional.{info.name} is {getattr(cnnlab.functional, info.name)!r}, not the module"
