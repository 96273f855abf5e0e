# Everything runs from the repository's own virtualenv, created on first use.
PYTHON3 ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: help venv plan demo test lint typecheck unit docs bench clean policy-venv zizmor

help:
	@echo "make demo   - emulate and verify the $(STACK) stack on moto (loopback), no AWS needed"
	@echo "make plan   - offline plan of the $(STACK) stack (STACK=name for another)"
	@echo "make test   - lint, type-check and run every test"
	@echo "make docs   - regenerate the README's config reference"
	@echo "make bench  - plan 100, 1,000 and 3,000 account-Regions against the SDK floors"
	@echo "              (after verify at 100 and 1,000 against moto)"
	@echo "make policy-venv - the policy pack's virtualenv (policy/.venv)"

$(BIN)/python:
	$(PYTHON3) -m venv $(VENV)

# Reinstall when the declared dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

# The policy pack's own virtualenv, the one policy/PulumiPolicy.yaml names.
policy/.venv/.installed: policy/requirements.txt
	$(PYTHON3) -m venv policy/.venv
	policy/.venv/bin/python -m pip install --quiet -r policy/requirements.txt
	@touch $@

policy-venv: policy/.venv/.installed

plan: venv
	$(BIN)/python -m session_manager plan --stack $(STACK)

demo: venv
	$(BIN)/python -m session_manager demo --stack $(STACK)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/pyright

unit: venv
	$(BIN)/pytest

test: lint typecheck zizmor unit

# GitHub workflow security linter; offline: no GitHub API look-ups.
zizmor: venv
	$(BIN)/zizmor --offline .github/workflows

docs: venv
	$(BIN)/python -m session_manager config-reference --write README.md

# verify's rows first, so the last line is the plan's ratio_vs_floor.
bench: venv
	$(BIN)/python bench/verify_bench.py
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) policy/.venv .pytest_cache .ruff_cache build *.egg-info components/*.egg-info
