# make bench — creates .venv if needed, installs bohpo, runs the quick suite, writes its report and figures into
#              build/bench (make bench BENCH_OUT=benchmarks/results/quick refreshes the committed ones)
# make test  — creates .venv if needed, installs bohpo with its test extras, runs ruff, mypy and the test suite

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
TORCH  := torch==2.13.0

.PHONY: bench test lint typecheck pytest install install-test clean

BENCH_OUT ?= build/bench

bench: $(VENV)/.installed
	rm -f $(BENCH_OUT)/runs.db $(BENCH_OUT)/runs.db-wal $(BENCH_OUT)/runs.db-shm
	$(VENV)/bin/bohpo bench run --suite quick --db $(BENCH_OUT)/runs.db --make-dirs --workers 2
	$(VENV)/bin/bohpo bench report --db $(BENCH_OUT)/runs.db --out $(BENCH_OUT) --title "Quick suite"

test: $(VENV)/.installed-test lint typecheck pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check bohpo tests benchmarks
	$(VENV)/bin/ruff format --check bohpo tests benchmarks

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy

pytest: $(VENV)/.installed-test
	$(PY) -m pytest -q

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first, pinned, so that nothing after it can pull another build.
$(VENV)/.torch: | $(PY)
	$(PIP) install $(TORCH)
	touch $@

$(VENV)/.installed: pyproject.toml constraints.txt $(VENV)/.torch
	$(PIP) install -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.torch
	$(PIP) install -c constraints.txt -e ".[test]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
