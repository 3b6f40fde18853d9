# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Two test processes (pytest-xdist), one per core: the suite takes about half as long.
PYTEST_ARGS ?= -n 2

.PHONY: run test bench bench-messages bench-import bench-waitlist bench-reports lint format services clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

## make run: set up and start web server, Celery worker and beat on the embedded default
## (or on DATABASE_URL / CELERY_BROKER_URL when set). Ctrl-C stops all three.
run: $(VENV)/.run-installed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input -v 0
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py run_clinic --port $(PORT)

## make test: set up, make sure PostgreSQL and Redis answer, run the whole suite on them.
test: $(VENV)/.dev-installed services
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest $(PYTEST_ARGS)

services:
	@bash .ci/services

## make bench: gunicorn on PostgreSQL with demo data, driven by wrk; prints req/s and p50/p99.
bench: $(VENV)/.dev-installed services
	$(BIN)/python bench/run.py

## make bench-reports: each report's ms and SQL queries on 20,000 sessions (PostgreSQL).
bench-reports: $(VENV)/.dev-installed services
	$(BIN)/python bench/reports.py

## make bench-messages: 10,000 due messages through one real worker on PostgreSQL and Redis.
bench-messages: $(VENV)/.dev-installed services
	$(BIN)/python bench/messages.py

## make bench-import: 10,000 patients from one CSV through a real worker; prints rows/s and seconds.
bench-import: $(VENV)/.dev-installed services
	$(BIN)/python bench/import_patients.py
## make bench-waitlist: candidates for a freed slot among 2,000 waitlisted courses (p50/p90, queries).
bench-waitlist: $(VENV)/.dev-installed services
	$(BIN)/python bench/waitlist.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var
