# The two commands a new machine needs: `make run` and `make test` (README.md).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
IDP_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgresql lint clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "idp needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/idp db upgrade
	$(BIN)/idp demo setup
	$(BIN)/idp serve

test: $(VENV)/.installed-test
	@scripts/install-test-deps.sh
	@echo "== idp test suite on SQLite"
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if $(BIN)/python -m tests.support.databases "$(IDP_TEST_POSTGRES_URL)"; then \
		echo "== idp test suite on PostgreSQL ($(IDP_TEST_POSTGRES_URL))"; \
		IDP_TEST_DATABASE_URL="$(IDP_TEST_POSTGRES_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else \
		echo "== PostgreSQL SKIPPED: none answers at $(IDP_TEST_POSTGRES_URL) (set IDP_TEST_POSTGRES_URL)"; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
