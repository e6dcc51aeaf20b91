# Two commands do everything (each creates .venv and installs on first use):
#   make lab    open the notebooks in JupyterLab
#   make test   run the unit tests and every notebook (quick setting) with nbval
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install lab test test-fast lint reproduce reproduce-conventions bench clean course-install student grade course-check

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[lab,test,course,dask]"
	@touch $(STAMP)

install: $(STAMP)

# JupyterLab refuses to run as root unless told to (containers, CI machines).
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: install
	$(BIN)/jupyter lab $(LAB_ARGS) notebooks/

# Quick mode (MLP_QUICK=1): small subsets and few epochs, so the whole suite takes minutes.
# One BLAS thread: the quick runs' matrices are small, and two threads fighting over two
# shared cores made them up to 10x slower on a busy machine.
TEST_ENV := MLP_QUICK=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# Two pytest workers (pytest-xdist; TEST_JOBS=0 runs in one process). --dist loadscope keeps each
# test module, and each notebook's cells, in one worker, in order, as nbval needs.
TEST_JOBS ?= auto
PYTEST_PARALLEL := -n $(TEST_JOBS) --dist loadscope

test: install
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_PARALLEL) --durations=15 --nbval-lax tests notebooks

test-fast: install
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_PARALLEL) tests -m "not browser"

reproduce: install
	$(BIN)/python -m mlp_helpers reproduce $(if $(JOBS),--jobs $(JOBS),) $(if $(SCHEDULER),--scheduler $(SCHEDULER),) $(if $(CACHE_DIR),--cache-dir $(CACHE_DIR),)

# The pre-registered study of the report's conventions (results/preregistration.md).
reproduce-conventions: install
	$(BIN)/python -m mlp_helpers reproduce-conventions $(if $(JOBS),--jobs $(JOBS),) $(if $(SCHEDULER),--scheduler $(SCHEDULER),) $(if $(CACHE_DIR),--cache-dir $(CACHE_DIR),)

# Speed figures (ratios measured in one run; never asserted by a test).
bench: install
	$(BIN)/python benchmarks/epoch.py
	$(BIN)/python benchmarks/explorer.py
	$(BIN)/python benchmarks/reproduce_floor.py

# ruff reads the notebooks too; the configuration is in pyproject.toml.
lint: install
	$(BIN)/ruff check mlp_helpers tests benchmarks notebooks course

# The course kit (docs/instructors.md): student edition, class grading, the three-submission check.
course-install: install
	@$(BIN)/python -c "import nbgrader" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[lab,test,course]"

student: course-install
	$(BIN)/python -m course.student

grade: course-install
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [JOBS=n]  (folder/<student_id>/<notebook>.ipynb)"; exit 2; }
	$(BIN)/python -m course.grade $(if $(JOBS),--jobs $(JOBS),) "$(SUBMISSIONS)"

course-check: course-install
	$(BIN)/python -m course.check $(if $(JOBS),--jobs $(JOBS),)

clean:
	rm -rf $(VENV) runs .pytest_cache build dist
