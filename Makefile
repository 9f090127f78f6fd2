# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a step of them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := inspection/web/static/vendor
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
# `make demo PORT=8080 HOST=0.0.0.0` serves the demo elsewhere.
PORT ?= 8000
HOST ?= 127.0.0.1
export INSPECTION_DATA_DIR ?= $(CURDIR)/data

.PHONY: demo test install assets system-packages lint typecheck test-sqlite test-postgres bench serve clean

demo: install
	$(BIN)/inspection demo --host $(HOST) --port $(PORT)

install: $(STAMP) assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $$($(BIN)/python -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["labelled-data"]))')
	touch $(STAMP)

assets: $(VENDOR)/.built

$(VENDOR)/.built: package.json package-lock.json inspection/web/scss/app.scss inspection/web/scss/_app-components.scss
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/govuk
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(VENDOR)/govuk/
	cp -r node_modules/govuk-frontend/dist/govuk/assets $(VENDOR)/govuk/
	rm -rf $(VENDOR)/govuk/assets/fonts
	node_modules/.bin/sass --pkg-importer=node --style=compressed --no-source-map --quiet-deps \
		inspection/web/scss/app.scss inspection/web/static/app.css
	touch $@

lint: install
	$(BIN)/ruff check inspection tests bench
	$(BIN)/ruff format --check inspection tests bench

typecheck: install
	$(BIN)/mypy

test-sqlite: install
	INSPECTION_TEST_DATABASE=sqlite $(BIN)/pytest -q

test-postgres: install
	INSPECTION_TEST_DATABASE=$(PG_TEST_URL) INSPECTION_REQUIRE_POSTGRES=1 $(BIN)/pytest -q

# Debian packages the browser and spreadsheet tests drive: Chromium and LibreOffice Calc.
system-packages:
	@if [ ! -x /usr/bin/chromium ] || ! command -v soffice >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium libreoffice-calc-nogui fonts-liberation; \
		else \
			echo "Install Debian's chromium and libreoffice-calc-nogui (needs root)"; exit 1; \
		fi; \
	fi

test: install system-packages lint typecheck test-sqlite test-postgres

bench: install
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

serve: install
	$(BIN)/inspection serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) inspection/web/static/app.css
