"""cnnlab.grading.traps: calls into the reference, its private helpers, copies of it, torch."""

from __future__ import annotations

import collections
import importlib.util
import inspect
import os
import sys
import textwrap
import types

import numpy as np
import pytest

import cnnlab
import cnnlab.functional as F
from cnnlab.grading import (Case, GradingError, ReferenceCalled, check_function, check_not_using,
                            forbid_reference, uses_module)
from cnnlab.grading import traps

pytestmark = pytest.mark.grading

X = np.random.default_rng(0).normal(size=(1, 2, 5, 5))
W = np.random.default_rng(1).normal(size=(3, 2, 3, 3))
B = np.zeros(3)


def _conv_module() -> types.ModuleType:
    return sys.modules[F.conv2d.__module__]


def _private_helpers() -> list[str]:
    mod = _conv_module()
    return [n for n, v in vars(mod).items() if n.startswith("_") and isinstance(v, types.FunctionType)
            and v.__module__ == mod.__name__]


def test_forbid_reference_traps_every_route_and_restores():
    from cnnlab.functional import softmax as alias

    def via_alias(z):
        return alias(z)

    def via_import_inside(z):
        import cnnlab.functional as G
        return G.softmax(z)

    z = np.array([[1.0, 2.0]])
    for fn in (via_alias, via_import_inside):
        with pytest.raises(ReferenceCalled, match="softmax"):
            with forbid_reference(F):
                fn(z)
        np.testing.assert_allclose(fn(z), F.softmax(z))  # restored
    with pytest.raises(GradingError, match="reference implementation"):
        check_function(via_alias, F.softmax, [Case("z", z)], forbid=[F])


def test_private_helpers_of_submodules_are_trapped():
    names = _private_helpers()
    assert names, "the conv module has private helpers to call"
    mod = _conv_module()
    for name in names:
        with pytest.raises(ReferenceCalled):
            with forbid_reference(F):
                getattr(mod, name)()  # the trap fires before the arguments are looked at


def test_source_copied_and_execd_is_caught():
    """A copy of conv2d_forward_naive, exec'd from its source: the copy or its helpers trap."""
    namespace: dict = {}
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(F.conv2d_forward_naive)))
    exec(compile(source, "<copied>", "exec"), vars(_conv_module()).copy() | namespace, namespace)
    copied = namespace["conv2d_forward_naive"]
    with pytest.raises(GradingError, match="reference implementation"):
        check_function(lambda x, w, b: copied(x, w, b), lambda x, w, b: F.conv2d(x, w, b),
                       [Case("x", X, W, B)], forbid=[F])


REFERENCE_SOURCE = """
def im2col_sum(x, k):
    total = 0.0
    rows = []
    for i in range(x.shape[0] - k + 1):
        for j in range(x.shape[1] - k + 1):
            window = x[i:i + k, j:j + k]
            rows.append(window.reshape(-1))
            total = total + float(window.sum())
    return total, len(rows)
"""


@pytest.fixture
def fake_reference(monkeypatch):
    """A self-contained reference module (no helpers to trap): only the fingerprint sees a copy."""
    module = types.ModuleType("cnnlab.fake_reference")
    path = os.path.join(os.path.dirname(cnnlab.__file__), "fake_reference.py")  # as if in cnnlab
    exec(compile(REFERENCE_SOURCE, path, "exec"), vars(module))
    module.im2col_sum.__module__ = module.__name__
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


@pytest.mark.parametrize("edit", [
    lambda s: s,                                                                        # exec'd as is
    lambda s: s.replace("total", "acc").replace("window", "w").replace("    ", "  "),  # renamed, reindented
])
def test_copies_of_a_reference_function_are_caught(fake_reference, edit):
    namespace: dict = {}
    exec(compile(edit(REFERENCE_SOURCE), "<cell>", "exec"), namespace)
    copied = namespace["im2col_sum"]
    assert traps.fingerprint(copied.__code__) == traps.fingerprint(fake_reference.im2col_sum.__code__)
    x = np.arange(16.0).reshape(4, 4)
    with pytest.raises(GradingError, match="copy of the reference implementation cnnlab.fake_reference.im2col_sum"):
        check_function(copied, fake_reference.im2col_sum, [Case("x", x, 2)], forbid=[fake_reference])
    check_function(copied, fake_reference.im2col_sum, [Case("x", x, 2)])   # no forbid: no trap


def test_generated_code_is_not_a_copy():
    """A namedtuple's methods are the same for everyone (cnnlab's caches are namedtuples)."""
    Pair = collections.namedtuple("Pair", "a b")

    def swap(p):
        return p._replace(a=p.b, b=p.a)._replace(a=p.b)
    check_function(lambda x: np.asarray(swap(Pair(x, x))), lambda x: np.stack([x, x]),
                   [Case("x", np.ones(2))], forbid=[F])


def test_a_second_copy_of_the_module_loaded_from_its_file_is_caught():
    path = _conv_module().__file__
    spec = importlib.util.spec_from_file_location("my_conv", path)
    mine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mine)
    with pytest.raises(GradingError, match="reference implementation"):
        check_function(lambda x, w, b: mine.conv2d(x, w, b), lambda x, w, b: F.conv2d(x, w, b),
                       [Case("x", X, W, B)], forbid=[F])


def test_a_swallowed_trap_still_fails():
    def sneaky(z):
        try:
            return F.softmax(z)
        except Exception:
            return np.full_like(z, 0.5)
    with pytest.raises(GradingError, match="reference implementation"):
        check_function(sneaky, lambda z: np.full_like(z, 0.5), [Case("z", np.ones((1, 2)))], forbid=[F])


def test_switching_the_hook_off_fails():
    def unhook(z):
        sys.setprofile(None)
        return z
    with pytest.raises(GradingError, match="switched off"):
        check_function(unhook, lambda z: z, [Case("z", np.ones(2))], forbid=[F])


def test_honest_code_passes_and_short_functions_are_not_called_copies():
    def relu(x):
        return np.maximum(x, 0)
    check_function(relu, F.relu, [Case("x", np.array([-1.0, 2.0]))], forbid=[F])
    assert traps.fingerprint(relu.__code__) is None


def test_numpy_only_blocks_torch_import_and_calls(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setitem(traps._STATE, "numpy_only", True)

    def with_torch(x):
        return torch.relu(torch.from_numpy(x)).numpy()
    with pytest.raises(GradingError, match="numpy only"):
        check_function(with_torch, F.relu, [Case("x", np.array([-1.0, 2.0]))])
    check_function(lambda x: np.maximum(x, 0), F.relu, [Case("x", np.array([-1.0, 2.0]))])


def test_numpy_only_makes_torch_unimportable():
    code = ("import cnnlab.grading as g, torch; g.numpy_only()\n"
            "try:\n    import torch\nexcept ImportError as e:\n    print('blocked', e)\n")
    import subprocess
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "blocked" in out.stdout and "numpy only" in out.stdout, out.stderr


def test_uses_module_sees_imports_inside_functions():
    def clean(x):
        return np.tanh(x)

    def dirty(x):
        from cnnlab import functional
        return functional.tanh(x)

    assert not uses_module(clean) and uses_module(dirty)
    check_not_using(clean)
    with pytest.raises(GradingError, match="imports cnnlab"):
        check_not_using(dirty)
