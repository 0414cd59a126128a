# The two commands: `make run` starts the server, `make test` runs the whole suite.
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS_SDK := tests/js/node_modules/.installed

.PHONY: run test lint bench clean js-sdk

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Bytecode compiled first: start-up reads it even where PYTHONDONTWRITEBYTECODE is set
run: $(STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/profilestack serve

# Test files run in parallel processes, one more than the cores (much of a test's time is spent waiting on its
# servers), three at most: each process's servers hold PostgreSQL connections (up to 68 at once with three, of
# the 100 a default PostgreSQL allows). Each file stays in one process, so that its servers start once
# (TEST_WORKERS=0: no parallelism).
TEST_WORKERS ?= $(shell cores=$$(nproc 2>/dev/null || echo 1); echo $$(( cores < 2 ? cores + 1 : 3 )))

test: $(STAMP) js-sdk
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The AWS SDK for JavaScript, for tests/e2e/test_javascript_sdk.py (skipped without Node.js, unless CI requires it)
js-sdk:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(JS_SDK); \
	else echo "npm not found: the JavaScript SDK test will be skipped"; fi

$(JS_SDK): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_SDK)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .profilestack .pytest_cache .ruff_cache tests/js/node_modules
