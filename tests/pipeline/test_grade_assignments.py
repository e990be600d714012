"""a2, a3, a4, lab1 and lab2 through the real pipeline: each assignment's handcrafted students.

For every assignment one ``nbgrader autograde`` call grades: the full solution (full marks), the
blank release (0), and faulty submissions built from the solution by editing one answer cell,
each expected to lose exactly the listed parts. The generic robustness cases (timeouts, huge
output, deleted test cells, malformed notebooks) are in test_grading_a1.py.
"""

from __future__ import annotations

import pytest

from helpers.grading import (REPO, blank_submission, edit, expected_parts, full_submission, grade_all,
                        grade_cells, json_equal, parts, replace_cell)

pytestmark = [pytest.mark.grading, pytest.mark.slow]
TIMEOUT = 300  # generous: these notebooks hold no infinite loop, and CI machines can be slow

LENET_FROM_CNNLAB = """
class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        import cnnlab.models as M
        self.net = M.lenet5(num_classes=num_classes)

    def forward(self, x):
        return self.net(x)
"""


def _variants(a: str) -> dict:
    """{student: (notebook, parts that must score 0)} for assignment ``a``."""
    full = full_submission(a)
    everything = tuple(grade_cells(a))
    v = {"solution": (full, ()), "blank": (blank_submission(a), everything)}
    if a == "a2":
        v["tanh_wrong_local_grad"] = (edit(full, "a2_scalar", "(1.0 - t * t,)", "(1.0 + t * t,)"),
                                      ("a2_scalar_tests",))
        v["wrong_sign"] = (edit(full, "a2_mlp_backward", "dz2 = dO * o * (1 - o)", "dz2 = -dO * o * (1 - o)"),
                           ("a2_mlp_backward_tests", "a2_notes_example_tests", "a2_train_iris_tests"))
        v["forgot_bias_grad"] = (edit(full, "a2_mlp_backward", "db1 = dz1.sum(axis=0)", "db1 = np.zeros(W1.shape[0])"),
                                 ("a2_mlp_backward_tests",))
        v["calls_cnnlab"] = (edit(full, "a2_numerical_gradient", "x = np.array(x, dtype=np.float64)",
                                  "return gradcheck.numerical_gradient(f, x, h=h)"),
                             ("a2_numerical_gradient_tests",))
    elif a == "a3":
        v["off_by_one_padding"] = (edit(full, "a3_pad", "((0, 0), (0, 0), (p, p), (p, p))",
                                        "((0, 0), (0, 0), (p + 1, p + 1), (p + 1, p + 1))"),
                                   ("a3_pad_tests", "a3_conv_naive_tests", "a3_conv_fast_tests",
                                    "a3_conv_backward_tests"))
        v["forgot_bias_grad"] = (edit(full, "a3_conv_backward", "db = dout.sum(axis=(0, 2, 3))",
                                      "db = np.zeros(w.shape[0])"),
                                 ("a3_conv_backward_tests",))
        v["output_size_off_by_one"] = (edit(full, "a3_output_size", "// stride + 1", "// stride"),
                                       # conv_backward reads H', W' from dout: unaffected
                                       ("a3_output_size_tests", "a3_conv_naive_tests", "a3_conv_fast_tests",
                                        "a3_pool_tests"))
        v["calls_cnnlab"] = (edit(full, "a3_pool", "def max_pool_forward(x, k):",
                                  "def max_pool_forward(x, k):\n    return F.max_pool2d(x, kernel_size=k)"),
                             ("a3_pool_tests",))
    elif a == "a4":
        v["xavier_uses_fan_in_only"] = (edit(full, "a4_init", "np.sqrt(6.0 / (fan_in + fan_out))",
                                             "np.sqrt(6.0 / fan_in)"), ("a4_init_tests",))
        v["dropout_not_inverted"] = (edit(full, "a4_dropout", "mask = (rng.random(x.shape) >= p) / (1 - p)",
                                          "mask = (rng.random(x.shape) >= p) * 1.0"), ("a4_dropout_tests",))
        v["batchnorm_forgot_dbeta"] = (edit(full, "a4_batchnorm", "dbeta = dout.sum(axis=0)",
                                            "dbeta = np.zeros_like(gamma)"), ("a4_batchnorm_backward_tests",))
        v["calls_cnnlab"] = (edit(full, "a4_batchnorm", "def batchnorm_train_forward(x, gamma, beta, eps=1e-5):",
                                  "def batchnorm_train_forward(x, gamma, beta, eps=1e-5):\n"
                                  "    import cnnlab.functional as G\n"
                                  "    out, c, _ = G.batchnorm_forward(x, gamma, beta, running_mean=np.zeros_like(gamma),"
                                  " running_var=np.ones_like(gamma), eps=eps)\n"
                                  "    return out, (x, gamma, (x - x.mean(0)) / np.sqrt(x.var(0) + eps), 1 / np.sqrt(x.var(0) + eps))"),
                            ("a4_batchnorm_forward_tests",))
    elif a == "lab1":
        v["residual_without_skip"] = (edit(full, "lab1_residual", "out = out + identity", "out = out"),
                                      ("lab1_residual_tests",))
        v["calls_cnnlab"] = (replace_cell(full, "lab1_lenet", LENET_FROM_CNNLAB), ("lab1_lenet_tests", "lab1_train_tests"))
        # a tqdm progress bar writes to stderr, which nbgrader counts as a failure: must not cost points
        v["progress_bar"] = (edit(full, "lab1_train", "for x, y in train_loader:",
                                  "for x, y in __import__('tqdm').tqdm(train_loader):"), ())
    elif a == "lab2":
        v["no_noise"] = (edit(full, "lab2_noise", "return (x + noise_std * torch.randn(x.shape, generator=g).to(x.device)).clamp(0, 1)",
                              "return x.clone()"),
                         # a denoiser trained on clean inputs is a plain autoencoder: it does not denoise enough
                         ("lab2_noise_tests", "lab2_train_denoiser_tests"))
        v["head_not_replaced"] = (edit(full, "lab2_transfer", "model.fc = nn.Linear(model.fc.in_features, num_classes)",
                                       "pass"), ("lab2_transfer_tests",))
    return v


ASSIGNMENTS = ["a2", "a3", "a4", "lab1", "lab2"]
CASES = [(a, s) for a in ASSIGNMENTS if (REPO / "solutions" / a).is_dir() for s in _variants(a)]
_graded: dict = {}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    def get(a):
        if a not in _graded:
            students = {name: nb for name, (nb, _) in _variants(a).items()}
            _graded[a] = grade_all(a, students, tmp_path_factory.mktemp(a), timeout=TIMEOUT)
        return _graded[a]
    return get


@pytest.mark.parametrize("a", [a for a in ASSIGNMENTS if (REPO / "solutions" / a).is_dir()])
def test_release_is_what_nbgrader_generates(graded, a):
    work = graded(a)[2]
    assert json_equal(work / "exercises" / a / f"{a}.ipynb", REPO / "exercises" / a / f"{a}.ipynb"), \
        f"exercises/{a} is stale: run `make release` and commit"


@pytest.mark.parametrize("a,student", CASES)
def test_scores(graded, a, student):
    rows, _, _, _, log = graded(a)
    assert student in rows, f"{student} missing from grades.csv; log:\n{log}"
    row = rows[student]
    assert row["status"] == "graded", row
    zero = _variants(a)[student][1]
    want = expected_parts(a, zero)
    assert parts(row, a) == want, (student, row)
    assert float(row["total"]) == sum(want.values())
