"""nbgrader configuration for cnnlab (see book/instructors.md).

The course directory is the repository root: nbgrader source notebooks live in solutions/<a>/,
`nbgrader generate_assignment` (via `make release`) writes the student version to exercises/<a>/.
`make grade SUBMISSIONS=<folder>` (grading/grade.py) grades in a temporary course directory and
overrides root, db_url and, in the tests, the timeout on the command line.
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when this file is loaded)

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)  # for grading.nbgrader_ext below

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "cnnlab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The gradebook is created on the fly and never committed (gitignored).
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.db"]

# Student release: solutions and hidden tests are stripped by the default markers
# "### BEGIN SOLUTION" / "### END SOLUTION" and "### BEGIN HIDDEN TESTS" / "### END HIDDEN TESTS".
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Autograding: a per-cell timeout (an infinite loop costs that part only: the kernel is
# interrupted and the next cell runs), cells deleted by a student are put back, and output is cut
# both by lines (nbgrader's LimitOutput) and by characters (a single gigantic line).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120
c.OverwriteCells.add_missing_cells = True
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, Execute, IgnorePattern, LimitOutput, SaveAutoGrades)

from grading.nbgrader_ext import LimitOutputChars  # noqa: E402

c.LimitOutputChars.max_chars = 20000
# nbgrader 0.9's default list with LimitOutputChars added right after LimitOutput.
c.Autograde.autograde_preprocessors = [
    Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, LimitOutputChars,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
