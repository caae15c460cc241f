# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers: one more than the cores by default, so that a worker waiting on a server,
# a subprocess or a fault test's deadline leaves its core to another (on two idle cores: 3 workers
# 2:34-3:00 in five runs, 2 workers 3:05-3:22, 4 workers 3:03); `make test WORKERS=0` runs the
# suite in one process.
# --dist loadscope: a module's tests stay on one worker, so its module fixtures (a gateway, a
# browser, a compiler run) start once, not once per worker. --no-loadscope-reorder: modules go
# out in the order tests/conftest.py sorts them (the longest first), not largest module first,
# which left the one-test load module to run alone at the end.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
XDIST = -n $(WORKERS) --dist loadscope --no-loadscope-reorder

.PHONY: help demo test quick lint typecheck pytest check-python bench soak lock clean interop

## List the targets with what each does (the `##` line above each).
help:
	@awk '/^## / { text = substr($$0, 4); next } \
		/^[a-z][a-z-]*:/ && text != "" { sub(/:.*/, ""); printf "  make %-10s %s\n", $$0, text } \
		{ text = "" }' $(MAKEFILE_LIST)

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(VENV)/.installed $@

## Serve the adapter on http://$(HOST):$(PORT) with the embedded demo upstream and memory cache.
demo: $(VENV)/.installed
	@echo "Try: curl -u root:abc 'http://$(HOST):$(PORT)/imbachat/v1/users?user_ids=1,2,3'"
	@echo "Open http://$(HOST):$(PORT)/demo/ (sign in as user6 / demo) and http://$(HOST):$(PORT)/graphql"
	IMBACHAT_DEMO_AVATAR_BASE=http://$(HOST):$(PORT)/demo-upstream \
		$(BIN)/imbachat-adapter serve --config config.yaml --host $(HOST) --port $(PORT)

## Format check, lint, strict types, and the whole suite with branch coverage.
test: $(VENV)/.installed-dev
	scripts/ensure-redis
	scripts/ensure-chromium
	$(MAKE) --no-print-directory lint typecheck pytest

## The inner loop: lint, types and every test but those marked `slow` (faults, load, cluster, browser).
quick: $(VENV)/.installed-dev
	scripts/ensure-redis
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/python -m pytest -q $(XDIST) -m "not slow"

## Format, lint, and every imported package declared in pyproject.toml (deptry; see [tool.deptry]).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/deptry adapter
	$(BIN)/deptry tests bench --exclude '.*/__pycache__/' --ignore DEP002,DEP004

## Strict types (mypy --strict over adapter/, tests/ and bench/).
typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

## The whole suite with branch coverage, without lint and types.
pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(XDIST) --cov --cov-report=term-missing:skip-covered -q

## The interop matrix (tests/interop): every third-party site, the heavy ones (minutes to install) too.
interop: $(VENV)/.installed-dev
	IMBACHAT_INTEROP_ALL=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m interop tests/interop

## Benchmarks (about 2 minutes; never part of `make test`): a table, and bench/results/*.json.
bench: $(VENV)/.installed-dev
	scripts/ensure-redis
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench

## The load test of `make test`, with 300,000 calls instead of 2,000 (about 10 minutes here).
soak: $(VENV)/.installed-dev
	IMBACHAT_LOAD_CALLS=300000 $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/faults/test_load.py

## Pin constraints.txt to what the venv holds now (after a dependency change and a green `make test`).
lock: $(VENV)/.installed-dev
	@{ sed -n '/^#/p' constraints.txt; \
		$(BIN)/pip freeze --exclude-editable --all | grep -v '^pip=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

## Remove the venv and the tools' caches.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
