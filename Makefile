# Two set-up commands (see README): `make demo` (see it work) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint install demo browser font bench bench-quick

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Headless Chromium for the transcript test; never fails the run (the test skips instead).
browser:
	@sh scripts/ensure-chromium.sh

# Tests run on every core (pytest-xdist); the demo-based tests share one worker (xdist_group)
# so the short demo is played once.
test: lint browser
	$(BIN)/pytest -n auto --dist loadgroup

# A Chinese font for the charts (Debian's fonts-wqy-zenhei); never fails the run (without
# one the charts are labelled in English, and the log says so once).
font:
	@sh scripts/ensure-chromium.sh --font-only

# The whole product on this machine: a simulated street plays a reporting day (no token).
demo: $(STAMP) font
	$(BIN)/gridbot demo

# Every benchmark scenario (long), or the one-minute set; a table and bench/results/latest.json.
bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick
