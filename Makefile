# Two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run lint test test-sqlite test-postgres test-e2e install install-test bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: create the venv, migrate the SQLite database, seed demo data on first run, serve on
## http://$(HOST):$(PORT) (127.0.0.1:5000 unless HOST or PORT is set, e.g. `PORT=8000 make run`)
run: install
	$(BIN)/reviewapp init-db
	$(BIN)/reviewapp seed-demo --if-empty --host $(HOST) --port $(PORT)
	$(BIN)/flask --app reviewapp run --host $(HOST) --port $(PORT)

## make lint: ruff (style, bugbear, pyupgrade, import order, complexity) and mypy (types of reviewapp/);
## both are configured in pyproject.toml, and `make test` runs them first
lint: install-test
	$(BIN)/ruff check reviewapp tests benchmarks
	$(BIN)/mypy

## make test: lint, then the whole suite on SQLite, then again on PostgreSQL
test: lint
	$(BIN)/python -m tests.support.ensure_postgres
	$(BIN)/pytest -q -p no:cacheprovider
	TEST_DATABASE_URL=$(PG_URL)/reviewapp_test $(BIN)/pytest -q -p no:cacheprovider

test-sqlite: lint
	$(BIN)/pytest -q

test-postgres: install-test
	$(BIN)/python -m tests.support.ensure_postgres
	TEST_DATABASE_URL=$(PG_URL)/reviewapp_test $(BIN)/pytest -q

bench: install-test
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
