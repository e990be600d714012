# cnnlab: `make book` builds the textbook, `make test` runs the whole suite.
# Both create and reuse a virtual environment in .venv; nothing else on the machine is touched.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SETUP := $(VENV)/.cnnlab-setup
# Jupyter finds the venv's kernel and tools first.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup book notebooks test test-gpu release grade bench clean

$(SETUP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("cnnlab needs Python 3.10 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

setup: $(SETUP)

# The install source (pyproject.toml: [project.urls] Source, version) goes into every file first;
# after the build, the chapters' Colab notebooks book/*.ipynb are generated from the executed chapters.
book: $(SETUP)
	$(BIN)/python tools/notebooks.py --sources
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	$(BIN)/python tools/notebooks.py
	@echo "The book is in _build/html/index.html"

# book/*.ipynb (what the Colab buttons open) from the MyST chapters, never edited by hand; glued
# values come from the book's execution cache (a chapter missing from it is executed).
notebooks: $(SETUP)
	$(BIN)/python tools/notebooks.py

test: $(SETUP)
	$(BIN)/python -m pytest

# The CUDA suite (tests/cuda): on a GPU its `cuda` tests run, elsewhere they skip and its CPU-side device
# checks still run. Needs only torch, numpy, matplotlib, scikit-learn, tqdm and pytest, so it uses the venv
# when there is one and does not build it: `make test-gpu PYTHON=python3` on a bare GPU machine.
GPU_PYTHON := $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON))
test-gpu:
	$(GPU_PYTHON) -m pytest tests/cuda

# The student release exercises/ is generated from the nbgrader sources in solutions/, never edited.
release: $(SETUP)
	$(BIN)/python tools/notebooks.py --sources
	$(BIN)/python grading/release.py

# make grade SUBMISSIONS=<folder of <student>/<assignment>/> [JOBS=<n>] [FORCE=1] [TIMEOUT=<s per cell>]
#            [OUT=<results folder>] [UNSAFE_NO_SANDBOX=1]
# writes results/grades.csv, feedback/, autograded/ and logs/ (see book/instructors.md). grade.py
# exits 0 (all graded), 1 (some could not be), 2 (usage), 3 (no sandbox); make turns any failure
# into its own status 2 and prints grade.py's status ("Error 1", "Error 3").
grade: $(SETUP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of <student>/<assignment>/> [JOBS=n] [FORCE=1]" >&2; exit 2; }
	$(BIN)/python grading/grade.py "$(SUBMISSIONS)" $(if $(OUT),--out "$(OUT)") $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(FORCE),--force) $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(UNSAFE_NO_SANDBOX),--unsafe-no-sandbox)

# Speed and training targets, each printed against torch or its target in the same run (a few minutes).
bench: $(SETUP)
	$(BIN)/python benchmarks/bench_functional.py
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_grading.py

clean:
	rm -rf _build .pytest_cache .hypothesis
