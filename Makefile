# Nexus Wiki — `make run` serves the wiki, `make test` runs the whole suite.
# Both create .venv, install the pinned requirements and apply migrations first.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 5000
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test setup lint format bench bench-load clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Test and lint tools: never in the production image.
$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade

run: setup
	PORT=$(PORT) bin/serve

test: setup $(VENV)/.installed-dev
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup $(VENV)/.installed-dev
	$(BIN)/python bench/run_all.py

bench-load: setup $(VENV)/.installed-dev
	$(BIN)/python bench/bench_load.py

clean:
	rm -rf $(VENV) .pytest_cache
