"""grading/flags.py: what the static scan reports, and that honest answers raise no flag."""

from __future__ import annotations

import pytest
from helpers.grading import edit, full_submission, replace_cell

from grading.flags import ORDER, scan

pytestmark = pytest.mark.grading

A3_FAST = "a3_conv_fast"


def _a3(source: str, cell: str = A3_FAST):
    return replace_cell(full_submission("a3"), cell, source)


@pytest.mark.parametrize("a", ["a1", "a2", "a3", "a4", "lab1", "lab2"])
def test_the_solutions_raise_no_flag(a):
    assert scan(full_submission(a), a) == []


CASES = [
    ("get_ipython().events.register('post_run_cell', lambda r: None)", "tamper-ipython"),
    ("ip = get_ipython()\nip.set_custom_exc((Exception,), lambda *a, **k: None)", "tamper-ipython"),
    ("import builtins\nbuiltins.print = lambda *a: None", "tamper-builtins"),
    ("__builtins__.len = lambda x: 0", "tamper-builtins"),
    ("import sys\nsys.modules['cnnlab.grading'] = None", "tamper-interpreter"),
    ("import sys\nsys.setprofile(None)", "tamper-interpreter"),
    ("np.allclose = lambda *a, **k: True", "tamper-module"),
    ("import cnnlab.grading.compare as c\nc.check_array = lambda *a, **k: None", "tamper-module"),
    ("setattr(np, 'sum', len)", "tamper-module"),
    ("def f(): pass\nf.__code__ = (lambda: 1).__code__", "tamper-module"),
    ("def check_function(*a, **k):\n    pass", "tamper-test-names"),
    ("check_function = lambda *a, **k: None", "tamper-test-names"),
    ("reference = conv_forward_naive", "tamper-test-names"),
    ("globals()['Case'] = None", "tamper-test-names"),
    ("import inspect\nexec(inspect.getsource(F.conv2d))", "exec-source"),
    ("eval('1 + 1')", "exec-source"),
    ("import importlib\nm = importlib.import_module('cnnlab.functional.conv')", "exec-source"),
    ("from cnnlab.functional import conv\ny = conv._im2col", "private-helper"),
    ("from cnnlab.functional.conv import _im2col", "private-helper"),
    ("import cnnlab\npath = cnnlab.__file__", "cnnlab-source"),
    ("text = open('../../solutions/a3/a3.ipynb').read()", "file-access"),
    ("import os\nos.listdir('..')", "file-access"),
    ("from pathlib import Path\nPath('x').write_text('y')", "file-access"),
    ("%%writefile x.py\nprint(1)", "file-access"),
    ("import subprocess\nsubprocess.Popen(['sleep', '100'])", "process-access"),
    ("import os\nos._exit(0)", "process-access"),
    ("!ls /", "process-access"),
    ("import socket\nsocket.create_connection(('example.org', 80))", "network"),
    ("import torch\ndef conv_forward_fast(x, w, b, stride=1, padding=0):\n    return torch.conv2d(x, w)", "torch-in-numpy-only"),
    ("from scipy.signal import correlate", "library-in-numpy-only"),
    ("def conv_forward_fast(x, w, b, stride=1, padding=0):\n    return conv_forward_naive(x, w, b, stride, padding)",
     "loops-in-vectorised"),
    ("""def conv_forward_fast(x, w, b, stride=1, padding=0):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho = (h - kh + 2 * padding) // stride + 1
    wo = (wd - kw + 2 * padding) // stride + 1
    xp = pad(x, padding)
    out = np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = np.tensordot(xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw], w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out""", "loops-in-vectorised"),
    ("def oops(:\n    pass", "syntax-error"),
]


@pytest.mark.parametrize("source, flag", CASES, ids=[c[1] + "-" + str(i) for i, c in enumerate(CASES)])
def test_each_attack_raises_its_flag(source, flag):
    assert flag in ORDER
    assert flag in scan(_a3(source), "a3")


def test_torch_is_fine_in_the_labs_and_added_cells_are_scanned():
    nb = full_submission("lab1")
    assert scan(nb, "lab1") == []
    nb = full_submission("a1")
    nb.cells.insert(3, type(nb.cells[3])(cell_type="code", source="import torch", metadata={}, outputs=[],
                                          execution_count=None))
    assert scan(nb, "a1") == ["torch-in-numpy-only"]


def test_repeating_the_released_imports_is_not_tampering():
    nb = edit(full_submission("a3"), "a3_conv_fast", "def conv_forward_fast",
              "import numpy as np\nimport cnnlab.functional as F\n\ndef conv_forward_fast")
    assert scan(nb, "a3") == []


def test_scratch_code_at_the_top_level_is_not_tampering():
    """Names a test cell binds itself before using them (x, rng, cases) may be reused freely."""
    nb = edit(full_submission("a3"), "a3_pool", "def max_pool_forward",
              "x = np.arange(16.0).reshape(1, 1, 4, 4)\nrng = np.random.default_rng(0)\ncases = []\n\n"
              "def max_pool_forward")
    assert scan(nb, "a3") == []


def test_timing_magics_are_not_process_access():
    nb = edit(full_submission("a3"), "a3_pool", "def max_pool_forward",
              "%timeit np.zeros(3)\n%matplotlib inline\n\ndef max_pool_forward")
    assert scan(nb, "a3") == []
