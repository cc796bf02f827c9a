# EmDash: `make run` to try it, `make test` to check it. `make help` lists every target.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JOBS ?= 2
PG_URL ?= postgres://postgres@127.0.0.1:5432/emdash_$(shell date +%s)_$$$$

.DEFAULT_GOAL := help
.PHONY: help install constraints run test test-sqlite test-postgres lint format bench openapi clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "EmDash needs Python 3.12 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install it (e.g. 'pyenv install 3.12' or your OS's python3.12 package) and retry,"; \
	  echo "or point make at it: make PYTHON=python3.12 $(MAKECMDGOALS)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

install: $(VENV)/.installed ## Create .venv and install EmDash with its pinned dependencies

# Pins go through a throwaway venv so that nothing installed by hand in .venv is pinned.
# Existing pins are kept; delete a line (or pass UPGRADE=1 for all) to take a newer one.
constraints: ## Re-pin constraints.txt after changing dependencies in pyproject.toml
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp" && \
	"$$tmp/bin/python" -m pip install --quiet $(if $(UPGRADE),,-c constraints.txt) -e ".[dev]" && \
	"$$tmp/bin/python" -m pip freeze --exclude-editable > "$$tmp/constraints.txt" && \
	mv "$$tmp/constraints.txt" constraints.txt && echo "constraints.txt re-pinned"

run: install ## Migrate, seed demo content and serve on http://127.0.0.1:8000
	$(VENV)/bin/emdash serve

test: install ## Run every test on SQLite, then the database tests on PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install ## Run the whole suite on SQLite
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

test-postgres: install ## Run the database tests on PostgreSQL at 127.0.0.1:5432
	@if $(PY) -m tests.services postgres; then \
	  DATABASE_URL=$(PG_URL) $(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS); \
	elif [ "$$EMDASH_REQUIRE_SERVICES" = "1" ]; then \
	  echo "PostgreSQL is not available at 127.0.0.1:5432 (EMDASH_REQUIRE_SERVICES=1)"; exit 1; \
	else echo "PostgreSQL is not available at 127.0.0.1:5432: skipping the PostgreSQL pass"; fi

lint: install ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

openapi: install ## Regenerate the committed OpenAPI snapshot
	$(PY) manage.py export_openapi_schema --api emdash.api.api --output emdash/api/openapi.json --indent 2 --sorted

bench: install ## Measure requests/s and latency under bounded load (see benchmarks/)
	$(PY) -m benchmarks.run

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
