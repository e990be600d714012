"""grading/cells.py: the one rule for which cells of a submission the student wrote."""

from __future__ import annotations

import nbformat
import pytest
from helpers.grading import blank_submission, full_submission, source_nb

from grading.cells import Release, student_cells

pytestmark = pytest.mark.grading


def _code(source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


RELEASE = _notebook(
    _code("import numpy as np"),                                               # instructor, no metadata
    _code("def f(x):\n    raise NotImplementedError()", grade_id="f", solution=True),
    _code("HELPER = 3\nprint(HELPER)"),                                        # instructor, no metadata
    _code("assert f(1) == 2", grade_id="test_f", grade=True, locked=True, points=1),
)


def test_answer_cells_carry_their_template_and_instructor_cells_are_skipped():
    release = Release.of(RELEASE)
    assert release.answers == {"f": "def f(x):\n    raise NotImplementedError()"}
    assert release.locked == {"test_f"}
    submission = _notebook(*(nbformat.from_dict(c) for c in RELEASE.cells))
    submission.cells[1].source = "def f(x):\n    return 2 * x"
    # the unchanged instructor cell AFTER an answer cell is not the student's either
    assert list(student_cells(submission, release)) == [("def f(x):\n    return 2 * x", release.answers["f"])]


def test_added_and_changed_cells_are_the_students_and_locked_ids_never_are():
    release = Release.of(RELEASE)
    submission = _notebook(
        _code("import numpy as np"),
        _code("HELPER = 4\nprint(HELPER)"),                               # an instructor cell, changed
        _code("scratch = 1"),                                             # added
        _code("assert True", grade_id="test_f", grade=True, locked=True),  # a test, rewritten: put back by the grader
        _code("copied = 2", grade_id="from_elsewhere"),                   # an id the release does not know
    )
    assert [s for s, _ in student_cells(submission, release)] == ["HELPER = 4\nprint(HELPER)", "scratch = 1", "copied = 2"]


def test_without_a_release_every_unlocked_code_cell_counts():
    nb = _notebook(_code("a = 1"), _code("b = 2", grade_id="t", grade=True, locked=True),
                   _code("c = 3", grade_id="x", solution=True), nbformat.v4.new_markdown_cell("text"))
    assert [s for s, _ in student_cells(nb, Release.of(None))] == ["a = 1", "c = 3"]


@pytest.mark.parametrize("a", ["a1", "a2", "a3", "a4", "lab1", "lab2"])
def test_the_release_and_its_nbgrader_source_agree_on_the_answer_cells(a):
    """flags reads the nbgrader source, similarity the release: the same cells are the student's."""
    from_source, from_release = Release.of(source_nb(a)), Release.of(blank_submission(a))
    assert set(from_source.answers) == set(from_release.answers) and from_release.answers
    assert from_source.locked == from_release.locked
    full = full_submission(a)
    assert [s for s, _ in student_cells(full, from_source)] == [s for s, _ in student_cells(full, from_release)]
