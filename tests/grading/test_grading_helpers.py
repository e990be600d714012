"""cnnlab.grading: the checks the assignments' test cells call (fast, no nbgrader)."""

from __future__ import annotations

import numpy as np
import pytest

import cnnlab.functional as F
from cnnlab import grading
from cnnlab.grading import (Case, GradingError, ReferenceCalled, check_array, check_function,
                            check_not_using, forbid_reference, seeded_cases, uses_module)

pytestmark = pytest.mark.grading


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(GradingError) as info:
        fn(*args, **kwargs)
    assert type(info.value) is GradingError
    return str(info.value)


def test_check_array_passes_on_equal_arrays():
    check_array("x", np.arange(3.0), np.arange(3.0))


def test_wrong_values_name_index_expected_actual_and_error():
    msg = _message(check_array, "out", np.array([1.0, 2.5]), np.array([1.0, 2.0]))
    assert "largest relative error" in msg and "index (1,)" in msg
    assert "got 2.5" in msg and "expected 2.0" in msg


@pytest.mark.parametrize("bad, words", [
    (np.array([1.0, np.nan]), "NaN"),
    (np.array([1.0, np.inf]), "inf"),
    (np.ones(3), "wrong shape"),
    (np.ones(2, dtype=np.float32), "wrong dtype"),
    (None, "forget a `return`"),
    ("text", "expected a numpy array"),
])
def test_bad_results_fail_with_a_message(bad, words):
    assert words in _message(check_array, "out", bad, np.ones(2))


def test_check_function_reports_the_input_and_catches_exceptions():
    def broken(x):
        raise ZeroDivisionError("boom")
    msg = _message(check_function, broken, np.sin, [Case("zeros", np.zeros(2))])
    assert "broken(array(shape=(2,)" in msg and "[zeros]" in msg and "ZeroDivisionError: boom" in msg
    msg = _message(check_function, lambda x: (_ for _ in ()).throw(NotImplementedError()), np.sin,
                   [Case("zeros", np.zeros(2))])
    assert "not implemented yet" in msg


def test_check_function_catches_mutation():
    def mutating(x):
        x *= 2
        return x
    assert "modified in place" in _message(check_function, mutating, lambda x: 2 * x, [Case("ones", np.ones(3))])


def test_check_function_tuple_outputs_and_none():
    ref = lambda x: (x, None)  # noqa: E731
    check_function(lambda x: (x.copy(), None), ref, [Case("a", np.ones(2))], output_names=("dx", "db"))
    assert "db: expected None" in _message(check_function, lambda x: (x, x), ref, [Case("a", np.ones(2))],
                                           output_names=("dx", "db"))


def test_stderr_of_the_student_goes_to_stdout(capsys):
    import sys

    def noisy(x):
        print("progress", file=sys.stderr)
        return x

    check_function(noisy, lambda x: x, [Case("a", np.ones(2))])
    out, err = capsys.readouterr()
    assert "progress" in out and err == ""


def test_seeded_cases_are_reproducible():
    make = lambda r: Case("r", r.normal(size=3))  # noqa: E731
    a, b = seeded_cases(make, 2, seed=5), seeded_cases(make, 2, seed=5)
    assert all(np.array_equal(x.args[0], y.args[0]) for x, y in zip(a, b))


def test_forbid_reference_traps_every_route_and_restores():
    from cnnlab.functional import softmax as alias

    def via_alias(z):
        return alias(z)

    def via_import_inside(z):
        import cnnlab.functional as G
        return G.softmax(z)

    z = np.array([[1.0, 2.0]])
    for fn in (via_alias, via_import_inside):
        with forbid_reference(F):
            with pytest.raises(ReferenceCalled, match="softmax"):
                fn(z)
        np.testing.assert_allclose(fn(z), F.softmax(z))  # restored
    msg = _message(check_function, via_alias, F.softmax, [Case("z", z)], forbid=[F])
    assert "reference implementation" in msg


def test_uses_module_sees_imports_inside_functions():
    def clean(x):
        return np.tanh(x)

    def dirty(x):
        from cnnlab import functional
        return functional.tanh(x)

    assert not uses_module(clean) and uses_module(dirty)
    check_not_using(clean)
    assert "imports cnnlab" in _message(check_not_using, dirty)


@pytest.mark.torch
def test_torch_helpers():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    assert grading.count_parameters(layer) == 8
    grading.check_module_output("Linear", layer, (4, 3), (4, 2))
    assert "output shape" in _message(grading.check_module_output, "Linear", layer, (4, 3), (4, 3))
