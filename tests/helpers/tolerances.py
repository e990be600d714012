"""Tolerances, in one place (STYLE.md). Errors are rel_error as defined in cnnlab.gradcheck.

Import them as ``from helpers.tolerances import GRAD_TOL`` (pyproject puts tests/ on pytest's path).
"""

GRAD_TOL = 1e-7        # float64 analytic gradient vs centred finite differences
TORCH_TOL = 1e-10      # float64 forward/backward parity with torch
NAIVE_TOL = 1e-12      # float64 naive loops vs vectorised
FLOAT32_TOL = 1e-5     # float32 results vs a float64 reference
