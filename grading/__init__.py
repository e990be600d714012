"""Instructor-side grading scripts for cnnlab (nbgrader driver, grade export, preprocessors)."""
