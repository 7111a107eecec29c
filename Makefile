# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails and the printed logins point at the server `make run` starts.
export SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install migrate demo worker scheduler lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The npm test tools (axe-core, ical.js), installed like the venv when npm is on PATH. If npm ci
# fails (no network) the run goes on and those tests are skipped, unless E2E_REQUIRED=1 (CI).
NPM := $(shell command -v npm 2>/dev/null)

node_modules/.package-lock.json: package-lock.json
	@echo "npm ci  (axe-core and ical.js, for the tests)"
	@npm ci --silent --no-audit --no-fund || { \
	  if [ "$$E2E_REQUIRED" = 1 ]; then echo "npm ci failed and E2E_REQUIRED=1" >&2; exit 1; fi; \
	  echo "npm ci failed: the ical.js and browser tests will be skipped" >&2; }

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo_content

run: demo
	@mkdir -p var/mail
	@echo ""
	@echo "  Site:    http://$(HOST):$(PORT)/"
	@echo "  Editing: http://$(HOST):$(PORT)/admin/  (the login is printed above by load_demo_content)"
	@echo "  Emails the worker sends are written to var/mail/"
	@echo ""
	@$(BIN)/python manage.py db_worker --queue-name '*' --interval 1 & \
	  WORKER=$$!; $(BIN)/python manage.py run_scheduler --interval 30 & \
	  SCHEDULER=$$!; trap 'kill $$WORKER $$SCHEDULER 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install
	$(BIN)/python manage.py db_worker --queue-name '*'

scheduler: install
	$(BIN)/python manage.py run_scheduler

test: install $(if $(NPM),node_modules/.package-lock.json)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/availability.py

clean:
	rm -rf $(VENV) var db.sqlite3* node_modules test-results
