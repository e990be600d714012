"""Assignment 1 through the real pipeline, plus every robustness case of the grader.

One ``nbgrader autograde`` call grades all the handcrafted students below; each test then checks
one row of grades.csv. a1 carries the generic cases (timeout, exception, huge output, deleted and
edited test cells, a malformed notebook); the other assignments carry their own subject's bugs.
"""

from __future__ import annotations

import copy
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
        # a kernel that dies in one answer costs that part only (grading/execute.py restarts it)
        "exits_in_relu": edit(full, "a1_relu", "def relu(x):", "def relu(x):\n    import os; os._exit(0)"),
        "sigkill_in_cross_entropy": edit(full, "a1_cross_entropy", "def cross_entropy(z, t):",
                                         "def cross_entropy(z, t):\n    import os, signal; os.kill(os.getpid(), signal.SIGKILL)"),
        "segfault_in_sigmoid": edit(full, "a1_sigmoid", "def sigmoid(x):",
                                    "def sigmoid(x):\n    import ctypes; ctypes.string_at(0)"),
        "exits_at_top_level": edit(full, "a1_squared_error", "def squared_error(o, t):",
                                   "import os; os._exit(3)\n\n\ndef squared_error(o, t):"),
        # a deleted answer with its test, and edited metadata, cost the affected part only
        "deleted_answer_and_test": delete_cells(full, "a1_relu", "a1_relu_tests"),
        "edited_metadata": _edited_metadata(full),
    }


def _edited_metadata(full):
    nb = copy.deepcopy(full)
    cell(nb, "a1_softmax_tests").metadata.nbgrader["points"] = 100   # more points
    cell(nb, "a1_cross_entropy_tests").metadata.nbgrader["grade"] = False  # not graded
    cell(nb, "a1_relu_tests").metadata.nbgrader["grade_id"] = "a1_relu_tests_mine"  # renamed
    del cell(nb, "a1_sigmoid").metadata["nbgrader"]  # the answer cell is no longer an answer
    cell(nb, "a1_squared_error_tests").cell_type = "markdown"  # the test is text
    cell(nb, "a1_squared_error_tests").pop("outputs", None)
    cell(nb, "a1_squared_error_tests").pop("execution_count", None)
    return nb


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
    same = {k: v for k, v in rows["solution"].items() if k not in ("student", "log")}
    again = {k: v for k, v in rows["solution_again"].items() if k not in ("student", "log")}
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


def _hidden_lines() -> list[str]:
    from grading.feedback import hidden_lines
    from helpers.grading import source_nb

    return sorted(set().union(*(hidden_lines(c.source) for c in source_nb(A).cells)))


def test_feedback_shows_scores_first_and_no_hidden_tests_or_paths(graded):
    out = graded[3]
    secret = _hidden_lines()
    assert len(secret) > 10
    for student in ("wrong_sign", "solution", "exception", "segfault_in_sigmoid"):
        text = (out / "feedback" / student / A / f"{A}.html").read_text()
        leaked = [line for line in secret if line in text or line.replace('"', "&quot;") in text]
        assert leaked == [], (student, leaked[:3])
        assert str(REPO) not in text and "/cnnlab/grading" not in text and "site-packages" not in text
        assert "cdnjs" not in text and "../../_mathjax/tex-svg-full.js" in text
    text = (out / "feedback" / "wrong_sign" / A / f"{A}.html").read_text()
    summary = text.index("Your grade: 16 / 20")
    assert summary < text.index("largest relative error")  # the verdict comes first, in the table
    assert summary < text.index("Assignment 1:")            # before the notebook itself
    assert (out / "feedback" / "_mathjax" / "tex-svg-full.js").exists()


@pytest.mark.parametrize("student,part", [
    ("exits_in_relu", "a1_relu_tests"), ("sigkill_in_cross_entropy", "a1_cross_entropy_tests"),
    ("segfault_in_sigmoid", "a1_sigmoid_tests"), ("exits_at_top_level", "a1_squared_error_tests")])
def test_a_kernel_that_dies_costs_that_part_only(graded, student, part):
    _check(graded, student, zero=(part,))
    nb = json.loads((graded[3] / "autograded" / student / A / f"{A}.ipynb").read_text())
    died = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("ename") == "KernelDied"]
    assert len(died) == 1, died  # said once, in the cell that killed it


def test_deleted_answer_and_test_cost_that_part_only(graded):
    _check(graded, "deleted_answer_and_test", zero=("a1_relu_tests",))


def test_edited_metadata_is_restored_from_the_release(graded):
    _check(graded, "edited_metadata")


def test_grades_csv_columns(graded):
    header = (graded[3] / "grades.csv").read_text().splitlines()[0].split(",")
    assert header == ["student", "assignment", *grade_cells(A), "total", "max_score", "status",
                      "flags", "closest", "log"]
