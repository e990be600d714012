"""nbgrader configuration for cnnlab (see book/instructors.md).

The course directory is the repository root: nbgrader source notebooks live in solutions/<a>/,
`nbgrader generate_assignment` (via `make release`) writes the student version to exercises/<a>/.
`make grade SUBMISSIONS=<folder>` (grading/grade.py) grades every submission in a course folder of
its own and overrides root, db_url, the sandbox's folders and the timeouts.
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when this file is loaded)

ROOT = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)  # for grading.* below

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
# interrupted and the next cell runs), a kernel that dies is restarted (grading/execute.py),
# deleted or altered nbgrader cells are restored by grade id (grading/restore.py), and output is
# cut both by lines (nbgrader's LimitOutput) and by characters (a single gigantic line).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120
c.OverwriteCells.add_missing_cells = False  # RestoreCells does it (nbgrader's crashes on some deletions)
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern,
    LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from grading.execute import SandboxExecute  # noqa: E402
from grading.feedback import SanitizeFeedback  # noqa: E402
from grading.nbgrader_ext import LimitOutputChars  # noqa: E402
from grading.restore import RestoreCells  # noqa: E402

c.LimitOutputChars.max_chars = 20000
# nbgrader 0.9's default lists, with RestoreCells first, the sandboxed SandboxExecute instead of
# Execute, LimitOutputChars after LimitOutput, and SanitizeFeedback before the feedback is rendered.
c.Autograde.sanitize_preprocessors = [
    ClearOutput, RestoreCells, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, LimitOutputChars,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
c.GenerateFeedback.preprocessors = [GetGrades, SanitizeFeedback, CSSHTMLHeaderPreprocessor]

# `nbgrader zip_collect <a>`: archives in downloaded/<a>/archive/ (an LMS download), files named
# <student>_<anything>_<assignment>.ipynb or <student>/<assignment>.ipynb, end up in
# submitted/<student>/<a>/<a>.ipynb (then: make grade SUBMISSIONS=submitted).
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.zipcollect.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = (
    r"^(?:.*/)?(?P<student_id>[A-Za-z0-9.-]+)(?:_[^/]*?)?[_/](?P<file_id>(?:a\d|lab\d)\.ipynb)$")
