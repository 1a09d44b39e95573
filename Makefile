# Portfolio: `make run` (embedded service on http://127.0.0.1:5000) and `make test`.
# Needs Python 3.11+, Node.js with npm, and the Debian packages in scripts/os_packages.sh.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

# Test processes (pytest-xdist): 3 on the 2-core machines this runs on, so a core is not idle
# while a worker waits (for Chromium, a subprocess, rq's timings, PostgreSQL); `make test TEST_WORKERS=1` for one.
TEST_WORKERS ?= 3

.PHONY: install assets os-packages os-test-packages run worker test test-fast test-quick bench db-upgrade seed clean

install: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# GOV.UK Frontend (and axe-core for the accessibility tests) from the npm registry,
# pinned in package-lock.json; the GOV.UK files are copied into portfolio/static.
assets: node_modules/.installed portfolio/static/vendor/govuk-frontend.min.css

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

portfolio/static/vendor/govuk-frontend.min.css: node_modules/.installed scripts/vendor_assets.py
	$(BIN)/python scripts/vendor_assets.py

os-packages:
	@bash scripts/os_packages.sh runtime

os-test-packages:
	@bash scripts/os_packages.sh test

db-upgrade: install
	$(FLASK) db upgrade

seed: db-upgrade
	$(FLASK) seed-demo

run: os-packages seed
	@echo "Portfolio is starting on http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style worker: needs REDIS_URL (and the same DATABASE_URL as the web processes).
worker: install
	$(BIN)/python -m workers.run

# The import-linter contracts in pyproject.toml (layers point one way), then everything (CI runs this
# twice: on SQLite, then on PostgreSQL + Redis), in parallel; the slow tests (marked `slow`: browser
# journeys, the worker-fault and schemathesis runs) start first.
test: install os-test-packages
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n $(TEST_WORKERS)

# The benchmark (bench/run.py): needs PostgreSQL and Redis running; writes bench/results/latest.json.
bench: install
	$(BIN)/python -m bench.run

# Everything except the browser tests.
test-fast: install
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not browser"

# What to run while developing: everything but the slow tests (a browser journey counts as slow).
test-quick: install
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not slow and not browser"

clean:
	rm -rf $(VENV) node_modules portfolio/static/vendor portfolio/static/images portfolio/static/manifest.json test-artifacts
