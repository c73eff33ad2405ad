# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*)
# Exact versions where this machine has them on disk; elsewhere pip resolves the ranges in pyproject.toml.
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1

.PHONY: demo test lint fuzz bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs torch first (pinned if available), then the core (with Optuna, for ganframe sweep) and every plugin, editable.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(BIN)/pip install --quiet $(TORCH_PINS) || $(BIN)/pip install --quiet "torch>=2.4"
	$(BIN)/pip install --quiet -e ".[sweep]" $(addprefix -e ,$(PLUGINS))
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/ganframe train gaussian --seed 0

test: install-test lint
	$(BIN)/python -m pytest

# ruff (lint and format check) and mypy on the core, the plugins and the rest of the tree; settings in pyproject.toml.
PACKAGES := ganframe $(filter-out %.egg-info,$(wildcard plugins/*/ganframe_*))
lint: install-test
	$(BIN)/ruff check --quiet ganframe plugins benchmarks examples
	$(BIN)/ruff format --check --quiet .
	$(BIN)/mypy $(PACKAGES)

# Seeded fuzz test of the command line and config files (tests/fuzz.py): a table of outcomes per
# class of case and the failures; non-zero exit status on any bug-shaped outcome.
fuzz: install-test
	$(BIN)/python -m tests.fuzz --cases 1200 --seed 0

# The benchmark suite (benchmarks/suite.py): ganframe against hand-written PyTorch loops, time to
# the quality bar; a Markdown report in benchmarks/results/latest.md. About 13 minutes on 2 cores.
bench: install
	$(BIN)/python benchmarks/suite.py

clean:
	rm -rf $(VENV) runs .pytest_cache
