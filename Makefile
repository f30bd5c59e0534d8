# Pyydä apua! — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
export PYTHONPATH := $(CURDIR)
# The services whose texts are gettext catalogs (services/<svc>/locale), by the module that names each one.
TRANSLATED := services.intake.i18n services.routing.i18n services.reporting.i18n services.network.i18n

.PHONY: vendor run test bench test-unit test-integration test-faults test-fuzz install infra-up infra-down infra-status infra-reset lint typecheck rebuild-routing rebuild-notify rebuild-reporting translations

run: install ## Kafka, PostgreSQL, the four services and a demo region; Ctrl-C stops everything
	$(PYTHON) -m deploy.local.run

test: install ## every test, against a real Kafka and PostgreSQL the tests start on free ports
	$(PYTHON) -m pytest

test-unit:
	$(PYTHON) -m pytest tests/unit

test-integration: install
	$(PYTHON) -m pytest tests/integration

test-faults: install ## the whole system as processes under load while Kafka, PostgreSQL, each service and SMTP fail in turn
	$(PYTHON) -m pytest tests/faults -m faults -s -p no:cacheprovider

bench: install ## every benchmark beside its baseline (about 10 minutes); prints one table and rewrites docs/benchmarks.md
	$(PYTHON) -m bench

test-fuzz: install ## property-based tests: every service's OpenAPI (schemathesis) and the event codec (hypothesis)
	$(PYTHON) -m pytest tests/fuzz

install:
	@bash deploy/local/install.sh

infra-up: install ## Kafka on 19092 and PostgreSQL on 55432 (APUA_KAFKA_PORT, APUA_PG_PORT)
	$(PYTHON) -m deploy.local.infra up

infra-down:
	$(PYTHON) -m deploy.local.infra down

infra-status:
	$(PYTHON) -m deploy.local.infra status

infra-reset: ## stop both and delete their data in .local/
	$(PYTHON) -m deploy.local.infra reset

rebuild-routing rebuild-notify rebuild-reporting: ## replay the stream into a fresh projection and swap it in
	$(PYTHON) -m services.$(subst rebuild-,,$@) rebuild

vendor: ## copy Chart.js and Swagger UI from node_modules (package.json pins them) into the services' static files
	npm ci --no-audit --no-fund
	cp node_modules/chart.js/dist/chart.umd.min.js services/reporting/static/vendor/
	cp node_modules/chart.js/LICENSE.md services/reporting/static/vendor/chart.js-LICENSE.md
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/favicon-32x32.png node_modules/swagger-ui-dist/LICENSE \
	   node_modules/swagger-ui-dist/NOTICE shared/static/swagger-ui/

translations: ## extract the keys code and templates use into each service's .pot, update its fi/sv/en .po files, check them
	$(PYTHON) -m shared.catalogs $(TRANSLATED)

lint:
	ruff check .

typecheck:
	mypy
