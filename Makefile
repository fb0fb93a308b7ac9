# referral211: the two commands a newcomer needs are `make run` and `make test`.
# Both create .venv on first use (Python 3.11) and reinstall when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT     ?= 8000
AWS_PORT ?= 4566

.PHONY: help venv run test test-fast test-e2e lint package bench events clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create or update the virtual environment

run: $(STAMP) ## Start the whole platform locally (embedded AWS on moto, sample directory, API on :8000)
	$(BIN)/referral211 up --port $(PORT) --aws-port $(AWS_PORT)

test: $(STAMP) ## Run the whole test suite (the browser tests apart: make test-e2e)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not e2e"

test-fast: $(STAMP) ## Unit and integration tests without the slow packaging and local-stack tests
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not slow and not e2e"

E2E_STAMP := $(VENV)/.installed-e2e
$(E2E_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,e2e]'
	@touch $(E2E_STAMP)

test-e2e: $(E2E_STAMP) ## Browser tests of the web pages (needs Debian's chromium: apt-get install chromium)
	REFERRAL211_E2E_REQUIRED=1 $(BIN)/python -m pytest tests/e2e -m e2e

lint: $(STAMP) ## ruff
	$(BIN)/ruff check .

events: $(STAMP) ## Regenerate the event catalogue in events/ from the pydantic models
	$(BIN)/referral211 events generate

package: $(STAMP) ## Build the deployable SAM template and zip (chalice package + infra/) into dist/
	$(BIN)/referral211 package --out dist

bench: $(STAMP) ## Run the benchmarks and print their tables
	$(BIN)/referral211 bench

clean: ## Remove build output (keeps .venv)
	rm -rf dist build .pytest_cache
