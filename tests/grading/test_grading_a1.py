"""Assignment 1 through the real pipeline, plus every robustness case of the grader.

One ``nbgrader autograde`` call grades all the handcrafted students below; each test then checks
one row of grades.csv. a1 carries the generic cases (timeout, exception, huge output, deleted and
edited test cells, a malformed notebook); the other assignments carry their own subject's bugs.
"""

from __future__ import annotations

import json

import pytest

from helpers.grading import (blank_submission, cell, delete_cells, edit, expected_parts, full_submission,
                        grade_all, grade_cells, json_equal, parts, REPO)

pytestmark = [pytest.mark.grading, pytest.mark.slow]
A = "a1"
TIMEOUT = 15  # seconds per cell in the tests (nbgrader_config.py uses 60)


def _students():
    full = full_submission(A)
    edited_tests = blank_submission(A)
    for c in edited_tests.cells:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade"):
            c.source = 'print("tests passed")'  # a student "fixes" the failing tests
    meta_stripped = full_submission(A)
    stripped = cell(meta_stripped, "a1_sigmoid_tests")
    del stripped.metadata["nbgrader"]  # no longer a grade cell: nbgrader must put it back
    stripped.source = "pass"
    return {
        "solution": full,
        "solution_again": full_submission(A),
        "blank": blank_submission(A),
        "wrong_sign": edit(full, "a1_cross_entropy", "return (p - y) / n", "return (y - p) / n"),
        "mutates_input": edit(full, "a1_rosenblatt_step", "return w + step * x_i, b + step",
                              "w += step * x_i\n    return w, b + step"),
        "infinite_loop": edit(full, "a1_squared_error", "return o - t", "while True:\n        pass"),
        "exception": edit(full, "a1_relu", "return np.maximum(x, 0).astype(x.dtype)",
                          "raise ValueError('oops')"),
        "huge_output": edit(full, "a1_sigmoid", "def sigmoid(x):",
                            "print('spam ' * 1_000_000)  # one 5 MB line\n"
                            "for i in range(20000):\n    print(i)\n\n\ndef sigmoid(x):"),
        "calls_cnnlab": edit(full, "a1_perceptron_predict", "return np.where(x @ w + b > 0, 1.0, 0.0)",
                             "return P.perceptron_predict(x, w, b)"),
        "imports_cnnlab_inside": edit(full, "a1_sigmoid", "s = sigmoid(x)\n",
                                      "import cnnlab.functional as G\n"
                                      "    return G.sigmoid_backward(np.ones_like(x), G.sigmoid_forward(x)[1])\n"),
        "deleted_tests": delete_cells(full, "a1_softmax_tests", "a1_relu_tests", "a1_squared_error_tests"),
        "edited_tests": edited_tests,
        "metadata_stripped": meta_stripped,
        "malformed": b'{"cells": [ this is not JSON',
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("a1")
    return grade_all(A, _students(), tmp, timeout=TIMEOUT, feedback=True)


def _check(graded, student, zero=()):
    rows = graded[0]
    assert student in rows, f"{student} missing from grades.csv; log:\n{graded[4]}"
    row = rows[student]
    assert row["status"] == "graded", row
    want = expected_parts(A, zero)
    assert parts(row, A) == want, (student, row)
    assert float(row["total"]) == sum(want.values())
    assert float(row["max_score"]) == sum(grade_cells(A).values())


def test_release_is_what_nbgrader_generates(graded):
    work = graded[2]
    assert json_equal(work / "exercises" / A / f"{A}.ipynb", REPO / "exercises" / A / f"{A}.ipynb"), \
        "exercises/a1 is stale: run `make release` and commit"


def test_solution_scores_full_marks(graded):
    _check(graded, "solution")
    assert float(graded[0]["solution"]["total"]) == 20


def test_same_submission_same_grade(graded):
    rows = graded[0]
    same = {k: v for k, v in rows["solution"].items() if k != "student"}
    again = {k: v for k, v in rows["solution_again"].items() if k != "student"}
    assert same == again


def test_blank_release_scores_zero(graded):
    _check(graded, "blank", zero=tuple(grade_cells(A)))


def test_wrong_sign_in_gradient_costs_that_part(graded):
    _check(graded, "wrong_sign", zero=("a1_cross_entropy_tests",))


def test_mutating_an_input_costs_that_part(graded):
    _check(graded, "mutates_input", zero=("a1_rosenblatt_step_tests",))


def test_infinite_loop_costs_that_part_only(graded):
    _check(graded, "infinite_loop", zero=("a1_squared_error_tests",))


def test_exception_costs_that_part_only(graded):
    _check(graded, "exception", zero=("a1_relu_tests",))


def test_huge_output_is_cut_and_graded(graded):
    _check(graded, "huge_output")
    nb_path = graded[3] / "autograded" / "huge_output" / A / f"{A}.ipynb"
    size = nb_path.stat().st_size
    assert size < 200_000, f"autograded notebook is {size} bytes: output was not cut"
    nb = json.loads(nb_path.read_text())
    texts = ["".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
             for o in c.get("outputs", [])]
    assert any("truncated" in t for t in texts)
    assert max(len(t) for t in texts) < 25_000  # the single 5 MB line is cut too


def test_calling_cnnlab_earns_nothing(graded):
    _check(graded, "calls_cnnlab", zero=("a1_perceptron_predict_tests",))


def test_importing_cnnlab_inside_the_function_is_caught(graded):
    _check(graded, "imports_cnnlab_inside", zero=("a1_sigmoid_tests",))


def test_deleted_test_cells_are_restored(graded):
    _check(graded, "deleted_tests")


def test_edited_test_cells_are_restored(graded):
    _check(graded, "edited_tests", zero=tuple(grade_cells(A)))
    _check(graded, "metadata_stripped")


def test_malformed_notebook_gets_a_clear_error_and_others_are_graded(graded):
    rows, problems = graded[0], graded[1]
    row = rows["malformed"]
    assert row["status"].startswith("error:") and "not JSON" in row["status"], row
    assert float(row["total"]) == 0
    assert any(p.student == "malformed" for p in problems)
    assert sum(r["status"] == "graded" for r in rows.values()) == len(rows) - 1


def test_feedback_html_for_every_graded_student(graded):
    rows, out = graded[0], graded[3]
    for student, row in rows.items():
        html = out / "feedback" / student / A / f"{A}.html"
        assert html.exists() == (row["status"] == "graded"), student
    text = (out / "feedback" / "wrong_sign" / A / f"{A}.html").read_text()
    assert "largest relative error" in text  # the teaching message reaches the student


def test_grades_csv_columns(graded):
    header = (graded[3] / "grades.csv").read_text().splitlines()[0].split(",")
    assert header == ["student", "assignment", *grade_cells(A), "total", "max_score", "status"]
