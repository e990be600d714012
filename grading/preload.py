"""Modules every grading worker needs, imported once by the fork server (grading/grade.py) so that
the workers fork with them loaded instead of importing them each (several seconds of CPU)."""

import nbconvert.exporters.html  # noqa: F401
import nbgrader.apps  # noqa: F401
import nbgrader.converters  # noqa: F401

import grading.worker  # noqa: F401

for _optional in ("grading.evidence", "grading.flags"):
    try:
        __import__(_optional)
    except ImportError:
        pass
