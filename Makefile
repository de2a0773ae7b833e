# Two set-up commands that work on a fresh machine with only Python and pip:
#   make demo   — creates .venv, installs orthotune, runs the main job on a built-in data set
#   make test   — creates .venv, installs orthotune with its dev extras, lints and runs every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.orthotune-installed

.PHONY: venv demo test lint format bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned to the CPU build on this machine's disk, so the project's range
# (torch<2.14) is already satisfied and pip never downloads a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/orthotune tune

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The report's browser test needs Debian's chromium, the shared-study fault tests Debian's
# PostgreSQL server: installed here when missing (CI runs as root).
# Two pytest workers with one torch thread each use both cores without oversubscribing them
# (two workers × two torch threads each run the small models several times slower). worksteal:
# a worker that runs out of tests takes queued ones from the other (the slowest take 30-80 s).
test: lint
	./scripts/ensure-chromium.sh
	./scripts/ensure-postgres.sh
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist worksteal --durations=15

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
