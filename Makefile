# Tribunal — the two commands are `make run` and `make test`; everything else is a helper.
# Each target sets up .venv first (scripts/bootstrap.sh: fast no-op when the requirements did not change).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
# Two cores on CI: pytest-xdist's "auto" uses both. `make test PYTEST_ARGS=` runs serially.
PYTEST_ARGS ?= -n auto
# Every benchmarks/bench_*.py module, so a new benchmark is picked up without editing this file.
BENCHES := $(patsubst benchmarks/%.py,benchmarks.%,$(sort $(wildcard benchmarks/bench_*.py)))

.PHONY: help run test assure pytest lint format typecheck bench bench-quick clean reset-data venv venv-dev

help:
	@echo "make run          set up .venv, migrate, load the demo, start workers + beat + web (PORT=8000)"
	@echo "make test         set up .venv with the test tools, lint, run the whole test suite"
	@echo "make assure       the assurance harnesses with their printed counts (docs/assurance.md; slow, serial)"
	@echo "make lint         ruff check + ruff format --check"
	@echo "make typecheck    mypy (configured in pyproject.toml)"
	@echo "make bench        every benchmarks/bench_*.py at full size (slow: GBs of generated data)"
	@echo "make bench-quick  the same with --quick"
	@echo "make clean        remove caches, collected static files and generated benchmark data"
	@echo "make reset-data   also delete var/: the embedded database, uploaded files, mail and broker queue"

venv:
	@scripts/bootstrap.sh run

venv-dev:
	@scripts/bootstrap.sh dev

run: venv
	$(PY) scripts/run.py

test: venv-dev lint typecheck pytest

pytest: venv-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The harnesses behind docs/assurance.md: access matrix, leak crawl, hostile inputs, tamper detection
# (tests/assurance), worker durability and faults (tests/worker), schemathesis, deployment checks, backup and
# restore. Serial with -s, because xdist swallows what the tests print, and their printed counts are the figures.
# tests/assurance includes the API fuzzing (test_api_fuzz.py), which replaced the two schema-conformance tests.
ASSURE_TESTS := tests/assurance tests/worker tests/ops/test_deploy_check.py \
	$(wildcard tests/ops/test_backup_restore.py)

assure: venv-dev
	$(PY) -m pytest -p no:cacheprovider -s -rA $(ASSURE_TESTS)

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: venv-dev
	$(VENV)/bin/mypy .

bench: venv-dev
	@set -e; for module in $(BENCHES); do echo "== $$module"; $(PY) -m $$module; done

bench-quick: venv-dev
	@set -e; for module in $(BENCHES); do echo "== $$module --quick"; $(PY) -m $$module --quick; done

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis staticfiles test-results htmlcov .coverage
	rm -rf var/bench var/cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

# Separate from clean on purpose: var/ holds the embedded mode's data, not build output.
reset-data:
	rm -rf var
