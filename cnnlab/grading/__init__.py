"""Checks that teach: the helpers the assignments' test cells call.

Every check compares a student's result with cnnlab's reference and, when they differ, raises a
:class:`GradingError` whose first line says what is wrong, then which input was used, what was
expected and what came back -- never a bare ``AssertionError``. numpy only; torch is imported
when a torch check is called.

    compare        check_array, check_scalar, check_function, describe, Case, seeded_cases
    traps          forbid_reference, check_not_using, uses_module, numpy_only
    loops          check_vectorised: a vectorised function's Python must not grow with its input
    torch_checks   check_module_output, count_parameters
    evidence       what each check recorded, emitted for the grader (begin_cell, cell_passed)
"""

from cnnlab.grading.compare import (Case, GradingError, check_array, check_function,
                                    check_no_mutation, check_scalar, describe, seeded_cases,
                                    stderr_to_stdout)
from cnnlab.grading.evidence import begin_cell, cell_passed
from cnnlab.grading.loops import check_vectorised
from cnnlab.grading.torch_checks import check_module_output, count_parameters
from cnnlab.grading.traps import (ReferenceCalled, check_not_using, forbid_reference, numpy_only,
                                  uses_module)

__all__ = [
    "GradingError", "ReferenceCalled", "Case", "check_array", "check_scalar", "check_function",
    "check_no_mutation", "forbid_reference", "uses_module", "check_not_using", "describe",
    "seeded_cases", "check_module_output", "count_parameters", "stderr_to_stdout",
    "check_vectorised", "numpy_only", "begin_cell", "cell_passed",
]
