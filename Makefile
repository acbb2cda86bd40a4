# ScalperNet: the two commands the README opens with are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tests get their own server and data folder, so they never touch the demo's graph.
# TEST_BOLT_PORT lets two checkouts on one machine run their suites side by side. The test
# server's memory is pinned (not chosen from the machine's): some tests start more servers.
TEST_BOLT_PORT ?= 7688
TEST_ENV := SCALPERNET_DATA_DIR=$(CURDIR)/.test-data SCALPERNET_BOLT_PORT=$(TEST_BOLT_PORT) \
	SCALPERNET_NEO4J_HEAP=$(or $(SCALPERNET_NEO4J_HEAP),1g) \
	SCALPERNET_NEO4J_PAGECACHE=$(or $(SCALPERNET_NEO4J_PAGECACHE),1g)

.PHONY: install demo test lint neo4j-start neo4j-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check src tests bench

demo: install
	scripts/demo.sh

test: install
	$(TEST_ENV) $(BIN)/scalpernet db start
	$(BIN)/ruff check src tests bench; lint=$$?; \
	$(TEST_ENV) $(BIN)/pytest -q $(PYTEST_ARGS); rc=$$?; \
	$(TEST_ENV) $(BIN)/scalpernet db stop; \
	if [ $$lint -ne 0 ]; then exit $$lint; fi; exit $$rc

neo4j-start: install
	$(BIN)/scalpernet db start

neo4j-stop: install
	$(BIN)/scalpernet db stop

clean:
	-$(TEST_ENV) $(BIN)/scalpernet db stop
	rm -rf .test-data .pytest_cache .ruff_cache
