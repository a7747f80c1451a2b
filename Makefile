# dudao — make demo | make test | make lint | make bench
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT  ?= 8000

.PHONY: demo test test-sqlite test-pg lint bench clean venv messages serve

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/dudao demo --out var/demo --reports out
	$(VENV)/bin/dudao users demo
	$(VENV)/bin/dudao serve --port $(PORT)

serve: $(STAMP)
	$(VENV)/bin/dudao serve --port $(PORT)

messages: $(STAMP)
	$(PY) scripts/messages.py extract
	$(PY) scripts/messages.py compile
	$(PY) scripts/messages.py check

test: test-sqlite test-pg

test-sqlite: $(STAMP)
	DUDAO_DATA_DIR=var/test $(PY) -m pytest -p no:cacheprovider

test-pg: $(STAMP)
	PY=$(PY) scripts/pg-test

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/mypy
	$(PY) scripts/messages.py check

bench: $(STAMP)
	$(PY) bench/bench_import.py
	$(PY) bench/bench_assess.py --spark
	$(PY) bench/bench_web.py

clean:
	rm -rf var out .pytest_cache
