# Two commands on a fresh machine: `make demo` and `make test`; `make plugin=NAME test` tests one plugin.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*)
# Exact versions where this machine has them on disk; elsewhere pip resolves the ranges in pyproject.toml.
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1

# Test environments: the core alone with its test extras (CORE_VENV), and per plugin a hard-linked
# copy of it with that plugin and the local plugins it needs (PLUGIN_VENVS/ganframe-NAME).
CORE_VENV := .venv-core
PLUGIN_VENVS := .venv-plugins
PLUGIN_NAMES := $(notdir $(wildcard plugins/ganframe-*))
PYTEST := -m pytest

# `make plugin=NAME test`: NAME is `mnist`, `ganframe-mnist` or `plugins/ganframe-mnist`.
ifdef plugin
PLUGIN := ganframe-$(patsubst ganframe-%,%,$(notdir $(patsubst %/,%,$(plugin))))
ifeq ($(filter $(PLUGIN),$(PLUGIN_NAMES)),)
$(error unknown plugin '$(plugin)'; the plugins are: $(patsubst ganframe-%,%,$(PLUGIN_NAMES)))
endif
endif

# The environments' stamps are made through pattern rules: keep them (not intermediate files).
.SECONDARY: $(CORE_VENV)/.installed $(foreach name,$(PLUGIN_NAMES),$(PLUGIN_VENVS)/$(name)/.installed)

.PHONY: demo test test-core test-plugins test-integration lint fuzz bench install install-test clean

$(BIN)/python:
	@echo "creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip

# Installs torch first (pinned if available), then the core (with Optuna, for ganframe sweep) and every plugin, editable.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(wildcard plugins/*/pyproject.toml)
	@echo "installing PyTorch, the core and the plugins into $(VENV)"
	@$(BIN)/pip install --quiet $(TORCH_PINS) || $(BIN)/pip install --quiet "torch>=2.4"
	@$(BIN)/pip install --quiet -e ".[sweep]" $(addprefix -e ,$(PLUGINS))
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	@echo "installing the test extras into $(VENV)"
	@$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	@echo "ganframe train gaussian --seed 0"
	@$(BIN)/ganframe train gaussian --seed 0

# The core-only test environment: torch (and torchvision, which plugins need), the core editable
# with its test extras, setuptools to build the plugins in the copies without a build environment; no plugin.
$(CORE_VENV)/bin/python:
	@echo "creating $(CORE_VENV)"
	@$(PYTHON) -m venv $(CORE_VENV)
	@$@ -m pip install --quiet --upgrade pip "setuptools>=77"

$(CORE_VENV)/.installed: $(CORE_VENV)/bin/python pyproject.toml
	@echo "installing PyTorch and the core with its test extras into $(CORE_VENV)"
	@$< -m pip install --quiet $(TORCH_PINS) || $< -m pip install --quiet "torch>=2.4" "torchvision>=0.19"
	@$< -m pip install --quiet -e ".[test]"
	@touch $@

# One plugin's test environment, made anew from CORE_VENV: a copy with hard links (cp -al; a full copy
# where the file system has none), the copy's own path put into its scripts (ganframe, pytest, pip), then
# the plugin and the local plugins it needs (tools/plugin_deps.py) installed editable. pip and Python
# replace files rather than write into them, so installing into a copy leaves CORE_VENV as it was.
$(PLUGIN_VENVS)/%/.installed: $(CORE_VENV)/.installed $(wildcard plugins/*/pyproject.toml) tools/plugin_deps.py
	@echo "making $(PLUGIN_VENVS)/$*: $(CORE_VENV) with $* and the local plugins it needs"
	@rm -rf $(PLUGIN_VENVS)/$*
	@mkdir -p $(PLUGIN_VENVS)
	@cp -al $(CORE_VENV) $(PLUGIN_VENVS)/$* 2>/dev/null || { echo "no hard links here: copying $(CORE_VENV) in full" >&2; \
		rm -rf $(PLUGIN_VENVS)/$*; cp -a $(CORE_VENV) $(PLUGIN_VENVS)/$*; }
	@rm -f $(PLUGIN_VENVS)/$*/.installed
	@grep -lI "$(CURDIR)/$(CORE_VENV)/" $(PLUGIN_VENVS)/$*/bin/* | xargs -r sed -i "s|$(CURDIR)/$(CORE_VENV)/|$(CURDIR)/$(PLUGIN_VENVS)/$*/|g"
	@deps=$$($(PYTHON) tools/plugin_deps.py deps $*) && \
		$(PLUGIN_VENVS)/$*/bin/python -m pip install --quiet --no-build-isolation $$(printf -- ' -e plugins/%s' $$deps)
	@touch $@

ifdef plugin
# Only that plugin's tests, in its own environment.
test: test-plugin-$(PLUGIN)
else
# The core's tests without plugins, each plugin's tests in its own environment, then the tests that
# need every plugin in .venv.
test: lint test-core test-plugins test-integration
endif

# The core's tests (all but tests/integration) in the core-only environment.
test-core: $(CORE_VENV)/.installed
	$(PYTHON) tools/plugin_deps.py check
	$(CORE_VENV)/bin/python $(PYTEST) tests --ignore=tests/integration

# Every plugin's tests, each in an environment with the core, the plugin and what it needs only.
test-plugins: $(addprefix test-plugin-,$(PLUGIN_NAMES))

# test-plugin-ganframe-NAME: first checks that the environment holds exactly the plugins it should.
test-plugin-%: $(PLUGIN_VENVS)/%/.installed
	$(PLUGIN_VENVS)/$*/bin/python tools/plugin_deps.py verify $*
	$(PLUGIN_VENVS)/$*/bin/python $(PYTEST) plugins/$*/tests

# The tests that need every plugin installed (tests/integration), in .venv; nothing to run without that folder.
test-integration: $(VENV)/.installed-test
	@if [ -d tests/integration ]; then \
		echo "$(BIN)/python $(PYTEST) tests/integration"; $(BIN)/python $(PYTEST) tests/integration; \
	else echo "no tests/integration folder: no all-plugins tests to run"; fi

# ruff (lint and format check) and mypy on the core, the plugins and the rest of the tree; settings in pyproject.toml.
PACKAGES := ganframe $(filter-out %.egg-info,$(wildcard plugins/*/ganframe_*))
lint: install-test
	$(BIN)/ruff check --quiet ganframe plugins benchmarks examples tests tools
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

# Removes every environment and the runs.
clean:
	rm -rf $(VENV) $(CORE_VENV) $(PLUGIN_VENVS) runs .pytest_cache
