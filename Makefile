# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RUN_DIR ?= runs/demo
DEMO_BUDGET ?= 40

.PHONY: setup demo test test-all lint bench clean

setup: $(STAMP)

# torch: install the CPU 2.13.0 wheel only when no torch is importable, so a user with
# their own (CUDA) build keeps it; pyproject's range then accepts whatever is present.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/actmine search --run-dir $(RUN_DIR) --budget $(DEMO_BUDGET)

test: $(STAMP)
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check agent sandbox evaluators store tests

bench: $(STAMP)
	$(VENV)/bin/actmine bench admission
	$(VENV)/bin/actmine bench lab

clean:
	rm -rf $(VENV) runs .pytest_cache
