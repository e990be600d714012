"""Verdicts a student cannot forge, and fairness to honest students, through the real pipeline.

Each submission below goes through grading/grade.py (nbgrader autograde, the sandbox when there
is one); then grading/evidence.py must verify exactly the parts that were really earned, and
grading/flags.py must name what was attempted. Where grade.py already zeroes unverified parts
and writes a ``flags`` column, the rows of grades.csv are checked too.
"""

from __future__ import annotations

import nbformat
import pytest
from helpers.grading import edit, expected_parts, full_submission, grade_all, grade_cells, parts, replace_cell

from grading.evidence import verify
from grading.flags import scan

pytestmark = [pytest.mark.grading, pytest.mark.slow]
TIMEOUT = 300

STUB_A1 = {  # answers that are wrong but never raise
    "a1_sigmoid": "def sigmoid(x):\n    return x * 0.0\n\ndef sigmoid_grad(x):\n    return x * 0.0\n",
    "a1_softmax": "def softmax(z):\n    return z * 0.0\n",
}
TAMPER = {
    # rebinding a check helper's name: the hidden header imports it again
    "rebinds_check_function": "check_function = lambda *args, **kwargs: None\n",
    # patching cnnlab.grading's internals: the in-kernel comparison passes, the records do not
    "patches_grading": ("import cnnlab.grading.compare as _c\n"
                        "_c.compare_outputs = lambda *a, **k: None\n_c.check_array = lambda *a, **k: None\n"),
    # an IPython hook that swallows every exception: no error output, but cell_passed never runs
    "swallows_errors": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n",
    # numpy patched so that any comparison of arrays looks equal
    "patches_numpy": ("import cnnlab.gradcheck, cnnlab.grading.compare as _c\n"
                      "_c.rel_error = lambda a, b: 0.0\nnp.isfinite = lambda a: np.ones(np.shape(a), bool)\n"),
}
TAMPER_FLAGS = {"rebinds_check_function": "tamper-test-names", "patches_grading": "tamper-module",
                "swallows_errors": "tamper-ipython", "patches_numpy": "tamper-module"}


def _autograded(out, student, a):
    found = sorted(out.rglob(f"autograded/{student}/{a}/{a}.ipynb"))
    assert found, f"no autograded notebook for {student}"
    return nbformat.read(str(found[0]), as_version=4)


def _tampered(name):
    nb = full_submission("a1")
    for gid, src in STUB_A1.items():
        nb = replace_cell(nb, gid, src)
    return edit(nb, "a1_perceptron_predict", "def perceptron_predict", TAMPER[name] + "\n\ndef perceptron_predict")


@pytest.fixture(scope="module")
def a1_graded(tmp_path_factory):
    students = {"honest": full_submission("a1")} | {name: _tampered(name) for name in TAMPER}
    return students, grade_all("a1", students, tmp_path_factory.mktemp("verdicts-a1"), timeout=TIMEOUT)


def test_honest_a1_is_verified_everywhere(a1_graded):
    students, (rows, _, _, out, _) = a1_graded
    results = verify("a1", _autograded(out, "honest", "a1"))
    assert all(ok for ok, _ in results.values()), results
    assert parts(rows["honest"], "a1") == expected_parts("a1")
    assert scan(students["honest"], "a1") == []


@pytest.mark.parametrize("name", list(TAMPER))
def test_tampering_earns_nothing_it_did_not_do(a1_graded, name):
    students, (rows, _, _, out, _) = a1_graded
    results = verify("a1", _autograded(out, name, "a1"))
    stubbed = {f"{gid}_tests" for gid in STUB_A1}
    for gid in stubbed:
        assert not results[gid][0], (name, gid, results[gid])
    assert TAMPER_FLAGS[name] in scan(students[name], "a1")
    row = rows[name]
    if "flags" in row:  # grade.py zeroes the unverified parts and reports the flags
        got = parts(row, "a1")
        assert all(got[gid] == 0 for gid in stubbed), row
        assert TAMPER_FLAGS[name] in row["flags"], row


# --- a3: numpy only, vectorised, no reference, no copies -----------------------------------

A3_CHEATS = {
    "torch_conv": ("a3_conv_fast", "def conv_forward_fast(x, w, b, stride=1, padding=0):\n"
                   "    import torch\n"
                   "    return torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),"
                   " stride=stride, padding=padding).numpy()\n", "torch-in-numpy-only"),
    "naive_renamed": ("a3_conv_fast", "def conv_forward_fast(x, w, b, stride=1, padding=0):\n"
                      "    return conv_forward_naive(x, w, b, stride, padding)\n", "loops-in-vectorised"),
    "private_helper": ("a3_conv_fast", None, "private-helper"),
    "exec_copy": ("a3_conv_naive", "import inspect\nimport cnnlab.functional as _F\n"
                  "_ns = dict(vars(__import__('sys').modules[_F.conv2d_forward_naive.__module__]))\n"
                  "exec(inspect.getsource(inspect.unwrap(_F.conv2d_forward_naive)), _ns)\n"
                  "def conv_forward_naive(x, w, b, stride=1, padding=0):\n"
                  "    return _ns['conv2d_forward_naive'](x, w, b, stride=stride, padding=padding)\n", "exec-source"),
}


def _private_pad() -> str:
    """An import of cnnlab's private padding helper (a private module's pad, or a module's _pad)."""
    import importlib
    import pkgutil

    import cnnlab.functional as F
    for info in pkgutil.iter_modules(F.__path__):
        module = importlib.import_module(f"cnnlab.functional.{info.name}")
        for name in ("pad", "_pad"):
            if (info.name.startswith("_") or name.startswith("_")) and callable(getattr(module, name, None)):
                return f"from cnnlab.functional.{info.name} import {name} as private_pad"
    raise AssertionError("cnnlab.functional has no private pad helper to misuse")


A3_ZERO = {"torch_conv": "a3_conv_fast_tests", "naive_renamed": "a3_conv_fast_tests",
           "private_helper": "a3_conv_fast_tests", "exec_copy": "a3_conv_naive_tests"}


@pytest.fixture(scope="module")
def a3_graded(tmp_path_factory):
    full = full_submission("a3")
    students = {"honest": full} | {name: replace_cell(full, gid, src) for name, (gid, src, _) in A3_CHEATS.items()
                                   if src is not None}
    students["private_helper"] = edit(full, "a3_conv_fast", "xp = pad(x, padding)",
                                      _private_pad() + "\n    xp = private_pad(x, (padding, padding))")
    return students, grade_all("a3", students, tmp_path_factory.mktemp("verdicts-a3"), timeout=TIMEOUT)


@pytest.mark.parametrize("name", list(A3_CHEATS))
def test_a3_cheats_lose_their_part_only(a3_graded, name):
    students, (rows, _, _, out, _) = a3_graded
    zero = A3_ZERO[name]
    assert parts(rows[name], "a3") == expected_parts("a3", (zero,)), rows[name]
    results = verify("a3", _autograded(out, name, "a3"))
    assert not results[zero][0] and all(ok for g, (ok, _) in results.items() if g != zero), results
    assert A3_CHEATS[name][2] in scan(students[name], "a3")


def test_a3_honest_is_full_and_verified(a3_graded):
    _, (rows, _, _, out, _) = a3_graded
    assert parts(rows["honest"], "a3") == expected_parts("a3")
    assert all(ok for ok, _ in verify("a3", _autograded(out, "honest", "a3")).values())


# --- lab1: every variant the text allows earns full marks; warnings cost nothing -------------

RELU_MAX = '''class LeNet5(nn.Module):
    def __init__(self, num_classes=10, padding=0):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=padding), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
'''


@pytest.fixture(scope="module")
def lab1_graded(tmp_path_factory):
    full = full_submission("lab1")
    warns = edit(full, "lab1_lenet", "super().__init__()",
                 "super().__init__()\n        import warnings, sys\n"
                 "        warnings.warn('this is deprecated', FutureWarning)\n"
                 "        print('building LeNet-5', file=sys.stderr)")
    students = {"relu_max": replace_cell(full, "lab1_lenet", RELU_MAX), "warns": warns}
    return grade_all("lab1", students, tmp_path_factory.mktemp("verdicts-lab1"), timeout=TIMEOUT)


@pytest.mark.parametrize("student", ["relu_max", "warns"])
def test_lab1_variants_and_warnings_earn_full_marks(lab1_graded, student):
    rows, _, _, out, _ = lab1_graded
    assert parts(rows[student], "lab1") == expected_parts("lab1"), rows[student]
    results = verify("lab1", _autograded(out, student, "lab1"))
    assert all(ok for ok, _ in results.values()), results
    assert set(results) == set(grade_cells("lab1"))
