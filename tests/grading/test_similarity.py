"""grading/similarity.py: copydetect over the student-written code of one assignment."""

from __future__ import annotations

import csv

import nbformat
import pytest
from helpers.grading import blank_submission, edit, full_submission, replace_cell

from grading.similarity import report, student_code, _release

pytestmark = pytest.mark.grading
A = "a3"

# conv_forward_naive written another way: what an honest classmate might hand in
OWN_NAIVE = '''def conv_forward_naive(x, w, b, stride=1, padding=0):
    """Convolution by loops. x: (N, C, H, W), w: (F, C, kH, kW), b: (F,). Returns (N, F, H', W')."""
    images, channels, rows, cols = x.shape
    filters, _, krows, kcols = w.shape
    out_rows = conv_output_size(rows, krows, stride, padding)
    out_cols = conv_output_size(cols, kcols, stride, padding)
    padded = pad(x, padding)
    result = np.empty((images, filters, out_rows, out_cols), dtype=x.dtype)
    for r in range(out_rows):
        top = r * stride
        for c in range(out_cols):
            left = c * stride
            patch = padded[:, None, :, top:top + krows, left:left + kcols]
            result[:, :, r, c] = (patch * w[None]).sum(axis=(2, 3, 4)) + b
    return result
'''


def _write(tmp_path, students):
    paths = {}
    for name, nb in students.items():
        paths[name] = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, str(paths[name]))
    return paths


def test_only_student_code_is_compared():
    release = _release(A, __import__("grading.similarity").similarity.REPO / "exercises")
    assert student_code(blank_submission(A), release) == ""
    code = student_code(full_submission(A), release)
    assert "span = n - k + 2 * padding" in code and "raise NotImplementedError" not in code
    assert "check_function" not in code  # test cells are not the student's


def test_copies_score_high_and_independent_work_low(tmp_path):
    full = full_submission(A)
    renamed = edit(edit(full, "a3_conv_naive", "window", "patch"), "a3_pad", "return np.pad", "y = 0\n    return np.pad")
    own = replace_cell(full, "a3_conv_naive", OWN_NAIVE)
    own = replace_cell(own, "a3_conv_fast", OWN_NAIVE.replace("conv_forward_naive", "conv_forward_fast"))
    own = replace_cell(own, "a3_conv_backward", "def conv_backward(dout, x, w, b, stride=1, padding=0):\n"
                       "    return None, None, dout.sum(axis=(0, 2, 3))\n")
    paths = _write(tmp_path, {"alice": full, "bob": renamed, "carol": own, "dan": blank_submission(A)})
    result = report(paths, A, tmp_path / "out")
    assert result["alice"][0] == "bob" and result["alice"][1] > 0.9
    assert result["bob"][0] == "alice" and result["bob"][1] > 0.9
    assert result["carol"][1] < result["alice"][1] - 0.2
    assert result["dan"] == ("", 0.0)
    with open(tmp_path / "out" / f"similarity-{A}.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["closest"] == "bob" and set(rows) == {"alice", "bob", "carol", "dan"}
    html = (tmp_path / "out" / f"similarity-{A}.html").read_text()
    assert "alice" in html and "bob" in html and "cdn." not in html and str(tmp_path) not in html


def test_fewer_than_two_students_with_code(tmp_path):
    result = report(_write(tmp_path, {"alice": full_submission(A), "dan": blank_submission(A)}), A, tmp_path / "out")
    assert result == {"alice": ("", 0.0), "dan": ("", 0.0)}
    assert (tmp_path / "out" / f"similarity-{A}.html").exists()
