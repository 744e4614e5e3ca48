# Everything installs into .venv from nothing: `make test` on a fresh clone is all CI does.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast lint demo sandbox serve bench schemas check-outside browser lb screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check letexto_mcp tests bench
	$(BIN)/mypy letexto_mcp
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check letexto_mcp tests bench
	$(BIN)/ruff format --check letexto_mcp tests bench
	$(BIN)/mypy letexto_mcp

demo: $(STAMP)
	$(BIN)/letexto-mcp demo

sandbox: $(STAMP)
	$(BIN)/letexto-mcp sandbox --host 127.0.0.1 --port 8787

serve: $(STAMP)
	$(BIN)/letexto-mcp serve --sandbox

bench: $(STAMP)
	$(BIN)/python -m bench

# The browser tests drive Debian's Chromium through Playwright (which cannot download browsers here).
browser:
	@if [ -x /usr/bin/chromium ]; then echo "browser: /usr/bin/chromium is installed"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

# The replica tests and `bench --only replicas` run Debian's HAProxy in front of two replicas
# (docs/deploy/haproxy.cfg, as committed).
lb:
	@if [ -x /usr/sbin/haproxy ]; then echo "lb: /usr/sbin/haproxy is installed"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy; \
	else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy; fi

screenshots: $(STAMP) browser
	$(BIN)/python -m bench.screenshots docs

check-outside: $(STAMP)
	bash .ci/outside-checks.sh

schemas: $(STAMP)
	$(BIN)/python -m letexto_mcp.tools.generate_schemas

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
