# One entry point for every routine task. Each target sets up the virtual
# environment first, so `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install demo run chat test test-sqlite lint format bench i18n clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## The assistant with demo data: console chat, or Telegram when OCOP_TELEGRAM_TOKEN is set.
demo: $(STAMP)
	$(BIN)/ocop-bot run --demo

run: $(STAMP)
	$(BIN)/ocop-bot run

chat: $(STAMP)
	$(BIN)/ocop-bot chat --demo

## Unit, flow and end-to-end tests, each on SQLite and on PostgreSQL.
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Every benchmark; figures go to BENCHMARKS.md (see there for each one's own command).
bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.labels_bench
	$(BIN)/python -m bench.web_bench
	$(BIN)/python -m bench.catalogue_bench
	$(BIN)/python -m bench.broadcast_bench
	$(BIN)/python -m bench.scheduler_bench
	$(BIN)/python -m bench.burst_bench
	$(BIN)/python -m bench.zalo_bench
	$(BIN)/python -m bench.webhook_bench

## Extract message keys from the code and merge them into the vi and en catalogs.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k t -k N_ -k Invalid -k Step:2 -k Check:1 \
		--no-default-keywords --omit-header --sort-output -o bot/i18n/messages.pot .
	$(BIN)/pybabel update -i bot/i18n/messages.pot -d bot/i18n/locales -D messages \
		--no-fuzzy-matching --ignore-obsolete -w 100

clean:
	rm -rf $(VENV) data build *.egg-info
