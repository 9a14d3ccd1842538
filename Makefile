PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST := 127.0.0.1
PORT := 5000

.PHONY: venv browser run test bench bench-api bench-statements crash-test load-run clean

CATALOGUES := $(wildcard timebank/translations/*/LC_MESSAGES/messages.po)

venv: $(VENV)/.installed $(CATALOGUES:.po=.mo)

# Reinstalled only when the dependencies in setup.cfg change.
$(VENV)/.installed: setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

# The translations are compiled here, not committed: a .mo follows its .po.
%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

# The browser tests drive Debian's Chromium, and run axe-core from npm on each page.
CHROMIUM := /usr/bin/chromium
AXE := tests/e2e/node_modules/axe-core/axe.min.js
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

browser: $(CHROMIUM) $(AXE)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends chromium fonts-liberation

$(AXE): tests/e2e/package-lock.json
	npm ci --prefix tests/e2e
	touch $@

run: venv
	$(BIN)/flask --app wsgi db-upgrade
	$(BIN)/flask --app wsgi seed-demo
	@echo "Timebank is at http://$(HOST):$(PORT)"
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: venv browser
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
	rm -rf $(VENV) tests/e2e/node_modules build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
