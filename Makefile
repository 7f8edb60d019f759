# Legato Analytics — developer and CI entry points (GNU make).
#
#   make run      install, migrate, seed the demo platform once, serve http://127.0.0.1:8050
#   make test     install dev tools (+ Chromium, chromedriver, PostgreSQL, Redis when root), lint,
#                 pytest
#   make lint     ruff check, ruff format --check, import-linter contracts
#   make format   ruff format + ruff check --fix
#   make bench    run every bench/*.py
#   make clean    remove caches (keeps .venv and instance/); `make distclean` also drops .venv
#
# Variables: PYTHON (interpreter that creates .venv, default python3), PYTEST_ARGS (extra pytest
# arguments, e.g. PYTEST_ARGS="-n 2 -m 'not browser'"), PORT (make run, default 8050).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Stamps record which requirements were installed; make reinstalls when a file is newer.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=
PORT ?= 8050

# Debian packages the tests use: headless browser tests, the throwaway PostgreSQL server and
# the throwaway Redis server (the Celery broker of the scale-out tests). system-deps checks
# each by the command it provides; keep the two lists in step.
TEST_SYSTEM_PACKAGES := chromium chromium-driver postgresql redis-server

.PHONY: help venv install install-dev system-deps run test lint format bench clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# ------------------------------------------------------------------------------ environment

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "error: $(PYTHON) is older than Python 3.11; set PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

venv: $(PY) ## create .venv (python3 -m venv) if missing

install: $(RUNTIME_STAMP) ## install runtime requirements into .venv (only when they changed)

install-dev: $(DEV_STAMP) ## install runtime + test/lint requirements into .venv

# Installs what the tests need from Debian when missing and running as root; otherwise says
# what is missing and carries on (the tests that need it are then skipped). Recommended
# packages are kept: Chromium's (fonts, Mesa) are part of the setup the browser tests ran on.
system-deps: ## install Chromium, chromedriver, PostgreSQL and Redis when missing (root only)
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing test system packages:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq; \
		apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "NOTE: missing system packages:$$missing"; \
		echo "      install them with: sudo apt-get install$$missing"; \
		echo "      (browser / PostgreSQL / Celery tests will be skipped until then)"; \
	fi

# ------------------------------------------------------------------------------ run

run: install ## migrate, seed the demo once, serve on http://127.0.0.1:8050 with jobs in-process
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo seed --if-empty
	JOBS_IN_PROCESS=true PORT=$(PORT) $(PY) -m app

# ------------------------------------------------------------------------------ checks

lint: install-dev ## ruff check, ruff format --check, import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: install-dev ## apply ruff formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# LEGATO_REQUIRE_* make the PostgreSQL, browser and Redis (Celery) tests fail, not skip, when
# their software is installed but does not work; they default to 0 only where it is missing.
test: install-dev system-deps lint ## lint, then the whole test suite on SQLite and PostgreSQL
	@require_pg=$${LEGATO_REQUIRE_POSTGRES:-$$(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null && echo 1 || echo 0)}; \
	require_browser=$${LEGATO_REQUIRE_BROWSER:-$$(command -v chromium >/dev/null && command -v chromedriver >/dev/null && echo 1 || echo 0)}; \
	require_redis=$${LEGATO_REQUIRE_REDIS:-$$(command -v redis-server >/dev/null && echo 1 || echo 0)}; \
	echo "LEGATO_REQUIRE_POSTGRES=$$require_pg LEGATO_REQUIRE_BROWSER=$$require_browser LEGATO_REQUIRE_REDIS=$$require_redis $(BIN)/pytest $(PYTEST_ARGS)"; \
	LEGATO_REQUIRE_POSTGRES=$$require_pg LEGATO_REQUIRE_BROWSER=$$require_browser LEGATO_REQUIRE_REDIS=$$require_redis $(BIN)/pytest $(PYTEST_ARGS)

bench: install-dev ## run every bench/*.py script
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmarks in bench/"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
		echo "== $$script"; \
		PYTHONPATH=. $(PY) "$$script"; \
	done

# ------------------------------------------------------------------------------ cleanup

clean: ## remove caches and build leftovers (keeps .venv and instance/)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .import_linter_cache .grimp_cache bench/.cache ./*.egg-info

distclean: clean ## also remove .venv (instance/ with your local data is kept)
	rm -rf $(VENV)
