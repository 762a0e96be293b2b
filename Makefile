# incidentbus — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
BUF_VERSION := 1.75.0
BUF := .tools/node_modules/.bin/buf

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	# a CAP consumer nobody here wrote, for the CAP tests; its pins (lxml 4.6.3, dateutil 2.8.2) have
	# no wheels for Python 3.11, so it is installed without them, on the current lxml and dateutil
	$(PY) -m pip install -q --no-deps capparselib==0.6.6
	touch $@

VENDOR := services/incidentbus/ops/dashboard/static/vendor

$(VENDOR)/.built: web/package.json web/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix web
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet
	cp -r web/node_modules/leaflet/dist/leaflet-src.esm.js web/node_modules/leaflet/dist/leaflet.css \
		web/node_modules/leaflet/dist/images web/node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	touch $@

web: $(VENDOR)/.built ## the dashboard's front-end libraries, from the npm registry into the package

install: $(VENV)/.installed web ## virtual environment with the project, its dev tools and the dashboard's libraries

$(BUF):
	npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION)

buf: $(BUF) ## the buf CLI (from the npm registry)

kafka: ## fetch the pinned Apache Kafka jars from Maven Central
	infra/kafka fetch

broker: kafka ## start the local KRaft broker (no-op with an external KAFKA_BOOTSTRAP_SERVERS)
	infra/kafka start

stop: ## stop the local broker
	infra/kafka stop

proto: install ## regenerate Python code from proto/
	$(PY) -m incidentbus.devtools.protogen

lint: install buf ## ruff, mypy --strict, buf lint/breaking, stale generated code, import rule, topic catalog
	$(BIN)/ruff check services tests bench
	$(BIN)/ruff format --check services tests bench
	$(BIN)/mypy services bench
	cd proto && ../$(BUF) lint
	cd proto && ../$(BUF) breaking --against '../.git#branch=main,subdir=proto'
	$(PY) -m incidentbus.devtools.protogen --check
	$(PY) -m incidentbus.devtools.importrule
	$(BIN)/incidentbus topics check

test: install broker ## run every test (unit and integration) against the broker
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as failure"; exit 1; fi; exit $$rc

demo: install broker ## the whole bus on a compressed day: services as processes, simulated agencies, summary, trace
	$(BIN)/incidentbus topics apply
	$(BIN)/incidentbus sample
	$(BIN)/incidentbus demo

.PHONY: help install web buf kafka broker stop proto lint test demo
