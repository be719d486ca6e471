# trustplane — the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test venv lint typecheck pytest system-deps tools lock bench clean

# the demo's README commands include `trustplane gate`, which needs checkov (.tools/)
demo: venv tools
	$(BIN)/trustplane demo

test: venv system-deps tools lint typecheck pytest

venv: $(STAMP)

$(STAMP): requirements/dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# PostgreSQL 15 and Chromium from Debian when missing (needs root), checkov in its own venv.
system-deps:
	@bash scripts/system-deps.sh

tools: .tools/checkov/.installed-stamp

.tools/checkov/.installed-stamp: requirements/checkov.lock
	@test -x .tools/checkov/bin/python || $(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --require-hashes -r requirements/checkov.lock
	@touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy .

pytest: venv
	$(BIN)/python -m pytest -n 2 --cov --cov-report=term -q

lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --custom-compile-command "make lock" -o requirements/dev.lock
	# pip 23 in --require-hashes mode rejects a dependency asked for with an extra
	# (pytest-cov -> coverage[toml]) unless the pin names that extra too
	sed -i 's/^coverage==/coverage[toml]==/' requirements/dev.lock
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --custom-compile-command "make lock" -o requirements/runtime.lock
	uv pip compile requirements/checkov.in --generate-hashes --python-version 3.11 --custom-compile-command "make lock" -o requirements/checkov.lock

bench: venv
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
