# dudao — make demo | make test | make lint | make bench
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT  ?= 8000

.PHONY: demo test test-sqlite test-pg lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/dudao demo --out var/demo

test: test-sqlite test-pg

test-sqlite: $(STAMP)
	DUDAO_DATA_DIR=var/test $(PY) -m pytest -p no:cacheprovider

test-pg: $(STAMP)
	PY=$(PY) scripts/pg-test

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/bench_import.py

clean:
	rm -rf var out .pytest_cache
