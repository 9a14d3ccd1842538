PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST := 127.0.0.1
PORT := 5000

.PHONY: venv run test bench bench-api bench-statements crash-test load-run clean

venv: $(VENV)/.installed

# Reinstalled only when the dependencies in setup.cfg change.
$(VENV)/.installed: setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

run: venv
	$(BIN)/flask --app wsgi db-upgrade
	$(BIN)/flask --app wsgi seed-demo
	@echo "Timebank is at http://$(HOST):$(PORT)"
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy ledger timebank api
	$(BIN)/pytest

bench: venv
	$(BIN)/python bench/ledger_bench.py

bench-api: venv
	$(BIN)/python bench/api_bench.py

crash-test: venv
	$(BIN)/python bench/crash_test.py

load-run: venv
	$(BIN)/python bench/load_run.py

bench-statements: venv
	$(BIN)/python bench/statements_bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
