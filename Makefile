# Polku — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast test-pg test-e2e test-prod dist lint format worker serve migrate demo messages \
        makemessages bench-live bench-jury bench-reports bench-grouping bench-forget clean help

help:
	@echo "make run      install, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test     install test tools and run the whole suite (unit, view, browser)"
	@echo "make lint     ruff, format check, makemigrations --check, mypy, djlint"
	@echo "make worker   run the background task worker (email, reminders, reports)"
	@echo "make test-pg  the suite against PostgreSQL + Redis (DATABASE_URL, REDIS_URL)"
	@echo "make dist     a wheel + sdist in dist/ for a production install (docs/deploy.md)"
	@echo "make test-prod  the production job: dist installed, behind nginx with TLS, walked through"

$(VENV)/.created:
	@PYTHON=$$(scripts/find-python.sh) || exit 1; \
	echo "Creating $(VENV) with $$PYTHON"; \
	$$PYTHON -m venv $(VENV) && $(PIP) install --quiet --upgrade pip && touch $@

$(VENV)/.installed: requirements.txt $(VENV)/.created
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

messages: $(VENV)/.installed
	@$(PY) scripts/compile_messages.py

migrate: $(VENV)/.installed messages
	@$(PY) manage.py migrate --noinput -v0

demo: migrate
	@$(PY) manage.py demo_data

run: demo
	@$(PY) manage.py welcome --host $(HOST) --port $(PORT)
	@scripts/serve.sh $(HOST) $(PORT)

serve: $(VENV)/.installed
	@scripts/serve.sh $(HOST) $(PORT)

worker: $(VENV)/.installed
	@$(PY) manage.py scheduler & trap 'kill $$!' EXIT INT TERM; $(PY) manage.py db_worker

test: $(VENV)/.installed-dev messages
	@scripts/ensure-chromium.sh
	$(VENV)/bin/pytest

test-fast: $(VENV)/.installed-dev messages
	$(VENV)/bin/pytest -m "not e2e"

test-e2e: $(VENV)/.installed-dev messages
	@scripts/ensure-chromium.sh
	$(VENV)/bin/pytest -m e2e

# PostgreSQL + Redis (scale-out mode). Defaults match the CI machine's local services.
test-pg: $(VENV)/.installed-dev messages
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy
	$(VENV)/bin/djlint polku --lint --quiet

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

makemessages: $(VENV)/.installed
	@scripts/makemessages.sh

bench-live: $(VENV)/.installed-dev
	$(PY) scripts/bench_live.py $(BENCH_ARGS)

bench-jury: $(VENV)/.installed-dev
	$(PY) scripts/bench_jury.py $(BENCH_ARGS)

bench-reports: $(VENV)/.installed-dev
	$(PY) scripts/bench_reports.py $(BENCH_ARGS)

bench-forget: $(VENV)/.installed-dev
	$(PY) scripts/bench_forget.py $(BENCH_ARGS)

bench-grouping: $(VENV)/.installed-dev
	$(PY) scripts/bench_grouping.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache dist build polku.egg-info

# A wheel and an sdist in dist/ (templates, static files, compiled catalogues included).
dist: $(VENV)/.installed-dev messages
	rm -rf dist build polku.egg-info
	$(PY) -m build --outdir dist . >/dev/null
	@ls dist

# The production job: install dist/ into a fresh venv as docs/deploy.md says, run two
# instances + worker + scheduler on PostgreSQL + Redis behind nginx with TLS, walk through it
# in Chromium; check --deploy, backup/restore, upgrade from the previous release. The first
# test also builds the site (a venv from the wheel, migrations, demo data): 900 s, not 300.
test-prod: dist
	@scripts/ensure-chromium.sh
	POLKU_PROD_TESTS=1 POLKU_DIST=dist $(VENV)/bin/pytest --timeout 900 tests/prod $(PYTEST_ARGS)
