# Vigil: `make run` serves the demo, `make test` runs the suite. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/vigil init --demo-if-empty
	$(BIN)/vigil serve --host 127.0.0.1 --port 8000

# ODK's own form engine for tests/browser/test_odk_engine.py, from the npm registry as locked;
# without npm that test skips and says how to get it.
ENGINE := tests/odk_engine
ENGINE_STAMP := $(ENGINE)/dist/odk-engine.js

$(ENGINE_STAMP): $(ENGINE)/package-lock.json $(ENGINE)/entry.js
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(ENGINE) --no-audit --no-fund --loglevel=error && \
	  npm run --prefix $(ENGINE) --silent build; \
	else echo "npm not found: the ODK engine test will be skipped"; fi

test: $(STAMP) $(ENGINE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) vigil-data
