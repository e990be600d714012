"""Test helpers, one module per area: tolerances, strategies (hypothesis), ops (numpy op vs torch /
finite differences), models (torch model checks), grading (the nbgrader pipeline driver), book
(paths and notebook readers), modules (the one list of cnnlab's numpy modules).

pytest puts tests/ on sys.path (pyproject's `pythonpath`), so a test imports
``from helpers.tolerances import TORCH_TOL``.
"""
