# Everything runs from the repository's own virtualenv, created on first use.
PYTHON3 ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: help venv venv-locked locked-check lock plan demo test test-lowest lint typecheck unit docs bench clean policy-venv \
	zizmor checkov-venv scan-plans

help:
	@echo "make demo   - emulate and verify the $(STACK) stack on moto (loopback), no AWS needed"
	@echo "make plan   - offline plan of the $(STACK) stack (STACK=name for another)"
	@echo "make test   - lint, type-check and run every test"
	@echo "make test-lowest - plan the organization example with the lowest declared versions"
	@echo "make docs   - regenerate docs/configuration-reference.md (the config reference)"
	@echo "make bench  - verify at 100 and 1,000 account-Regions against moto (verify_bench.py);"
	@echo "              a sharded plan at 1,000, 3,000 and 10,000 with 1, 2 and 4 jobs, and"
	@echo "              verify at 1,000 with 1 and 2 (shards_bench.py); then one plan at"
	@echo "              100, 1,000 and 3,000 against the SDK floors (bench.py)"
	@echo "make policy-venv - the policy pack's virtualenv (policy/.venv)"
	@echo "make scan-plans  - checkov on every example's plan as Terraform plan JSON"

$(BIN)/python:
	$(PYTHON3) -m venv $(VENV)

# Reinstall when the declared dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

# What CI plans, verifies and deploys with: the runtime dependencies exactly as locked in
# requirements-lock.txt (every file's hash checked, nothing resolved again), no dev tools.
# setuptools, the build backend, is locked too, so the editable install builds offline.
LOCK := requirements-lock.txt
venv-locked: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

# Fails when the virtualenv holds another version of a locked package than the lock
# (pip's dry run would install it).
locked-check: | $(BIN)/python
	$(BIN)/python -m pip install --dry-run --quiet --no-deps --require-hashes -r $(LOCK) \
	  --report - | $(BIN)/python -c 'import json, sys; \
	  extra = [i["metadata"]["name"] for i in json.load(sys.stdin)["install"]]; \
	  sys.exit(f"not the locked version: {extra}" if extra else 0)'

# Regenerate the lock from PyPI after changing [project] dependencies (tests/test_lock.py
# fails while it is stale). The runtime versions are chosen so that the dev tools accept
# them too (constrained by a throwaway resolve with [dev]): CI then tests exactly the
# locked versions (make locked-check). Local pip settings (extra indexes, wheel folders)
# are left out: the hashes are PyPI's.
LOCK_PIP := env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(BIN)/pip-compile --quiet \
	--allow-unsafe --strip-extras --index-url https://pypi.org/simple --no-emit-index-url
lock: venv
	$(LOCK_PIP) --extra dev -o $(VENV)/dev-constraints.txt pyproject.toml
	$(LOCK_PIP) --generate-hashes --build-deps-for=editable -c $(VENV)/dev-constraints.txt \
	  -o $(LOCK) pyproject.toml

# The policy pack's own virtualenv, the one policy/PulumiPolicy.yaml names.
policy/.venv/.installed: policy/requirements.txt
	$(PYTHON3) -m venv policy/.venv
	policy/.venv/bin/python -m pip install --quiet -r policy/requirements.txt
	@touch $@

policy-venv: policy/.venv/.installed

# checkov's own virtualenv: it pins many packages that would clash with the project's.
checkov/.venv/.installed: checkov/requirements.txt
	$(PYTHON3) -m venv checkov/.venv
	checkov/.venv/bin/python -m pip install --quiet -r checkov/requirements.txt
	@touch $@

checkov-venv: checkov/.venv/.installed

# The dev stack's and every example's plan as Terraform plan JSON, judged by checkov
# against checkov/allowlist.yaml (each accepted check with its reason).
scan-plans: venv checkov-venv
	$(BIN)/python checkov/scan.py

plan: venv
	$(BIN)/python -m session_manager plan --stack $(STACK)

demo: venv
	$(BIN)/python -m session_manager demo --stack $(STACK)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/pyright

unit: venv checkov-venv
	$(BIN)/pytest

test: lint typecheck zizmor unit scan-plans

# GitHub workflow security linter; offline: no GitHub API look-ups.
zizmor: venv
	$(BIN)/zizmor --offline .github/workflows

# pyproject.toml's floors, exactly, in their own kept virtualenv (.venv/lowest): slow
# the first time (about two minutes of wheels), seconds after.
test-lowest: venv
	$(BIN)/python tests/lowest_versions.py

docs: venv
	$(BIN)/python -m session_manager config-reference --write docs/configuration-reference.md

# verify's rows first, so the last line is the plan's ratio_vs_floor.
bench: venv
	$(BIN)/python bench/verify_bench.py
	$(BIN)/python bench/shards_bench.py
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) policy/.venv checkov/.venv .pytest_cache .ruff_cache build *.egg-info components/*.egg-info
