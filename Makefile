# The two commands: `make run` and `make test`. Both create the virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run chat test lint typecheck format bench bench-telegram bench-viber bench-kiosk bench-scale bench-guide bench-memory diagrams catalogs privacy clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ecitizen serve

chat: $(STAMP)
	$(BIN)/ecitizen chat

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench.engine

bench-telegram: $(STAMP)
	$(BIN)/python -m bench.telegram

bench-viber: $(STAMP)
	$(BIN)/python -m bench.viber

bench-kiosk: $(STAMP)
	$(BIN)/python -m bench.kiosk

# PostgreSQL at $ECITIZEN_BENCH_PG (default: postgresql://postgres@127.0.0.1:5432/postgres)
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

bench-guide: $(STAMP)
	$(BIN)/python -m bench.guide_search

bench-memory: $(STAMP)
	$(BIN)/python -m bench.memory

diagrams: $(STAMP)
	$(BIN)/python -m ecitizen.diagram docs/flows

catalogs: $(STAMP)
	$(BIN)/python -m flows.engine.i18n derive

privacy: $(STAMP)
	$(BIN)/python -m ecitizen.privacy

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
