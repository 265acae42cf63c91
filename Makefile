# LeadRouter — the two commands a newcomer needs:
#   make run    set up and start the product on its embedded default (SQLite, file broker)
#   make test   install the test tools and run the whole suite
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup lint migrate seed clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed
	@# German/English catalogues: the compiled .mo is in the repo; rebuilt when msgfmt exists.
	@if command -v msgfmt >/dev/null 2>&1; then DEBUG=1 $(PY) manage.py compilemessages --ignore=$(VENV) --verbosity 0; fi
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo

run: setup
	@echo ""
	@echo "  LeadRouter is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DEBUG=1 PORT=$(PORT) honcho start -f Procfile

test: $(VENV)/.installed-dev
	@eval "$$(scripts/service-urls $(PY))"; \
	echo "Database: $${DATABASE_URL:-SQLite (no PostgreSQL found: server tests are skipped)}"; \
	echo "Broker:   $${REDIS_URL:-none (no Redis found: Redis tests are skipped)}"; \
	DEBUG=1 $(VENV)/bin/pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var staticfiles
