"""cnnlab.grading.compare: comparing results and saying what differs."""

from __future__ import annotations

import numpy as np
import pytest

import cnnlab.functional as F
from cnnlab.grading import Case, GradingError, check_array, check_function, describe, seeded_cases

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


def test_describe_abbreviates_every_large_array():
    """(2, 4, 5, 5) has no axis longer than 6: it is abbreviated all the same, on one line."""
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 5))
    text = describe(x)
    assert "\n" not in text and len(text) < 120
    assert "shape=(2, 4, 5, 5)" in text and f"min {x.min():.4g}" in text and f"max {x.max():.4g}" in text
    assert describe(np.arange(3.0)) == "array(shape=(3,), dtype=float64) [0., 1., 2.]"


def test_the_verdict_line_comes_first_and_the_message_is_short():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 7, 7)), rng.normal(size=(4, 3, 3, 3))
    wrong = lambda x, w: F.conv2d(x, w) + 1e-3  # noqa: E731
    msg = _message(check_function, wrong, lambda x, w: F.conv2d(x, w), [Case("random", x, w)])
    lines = msg.splitlines()
    assert lines[0].startswith("<lambda> -> result: values differ, largest relative error")
    assert lines[1].startswith("input: <lambda>(array(shape=(2, 3, 7, 7)") and len(lines) <= 5


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
