# Gridwork developer commands. See scripts/setup.sh for what `make setup` does.
SHELL := /bin/bash
PYTEST_ARGS ?=

.PHONY: setup test run lint stop-local help

help:
	@echo "make setup       venv + deps, PostgreSQL/PostGIS, Redis, .env, migrations (idempotent)"
	@echo "make test        setup, then pytest with .env loaded (PYTEST_ARGS='...' passes options)"
	@echo "make run         setup, seed demo data, start Procfile processes with honcho"
	@echo "make lint        ruff check ."
	@echo "make stop-local  stop the project-local PostgreSQL/Redis (if setup started them)"

setup:
	@bash scripts/setup.sh

# pytest's exit code is kept in .local/pytest-exit-code (make itself only says 2); .ci/run reads it.
test: setup
	@rm -f .local/pytest-exit-code; rc=0; \
	scripts/with-env.sh .venv/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	echo $$rc > .local/pytest-exit-code; exit $$rc

run: setup
	@scripts/with-env.sh .venv/bin/flask --app backend.app:create_app seed-demo
	@port=$${PORT:-5000}; \
	echo "API docs: http://127.0.0.1:$$port/docs"; \
	echo "console:  http://127.0.0.1:$$port/console"; \
	echo "portal:   http://127.0.0.1:$$port/portal"; \
	echo "app:      http://127.0.0.1:$$port/app"
	@exec .venv/bin/honcho start -f Procfile

lint:
	@test -x .venv/bin/ruff || bash scripts/setup.sh --venv-only
	.venv/bin/ruff check .

stop-local:
	@bash scripts/stop-local.sh
