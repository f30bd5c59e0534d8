# Pyydä apua! — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
export PYTHONPATH := $(CURDIR)
# The services whose texts are gettext catalogs (services/<svc>/locale), by the module that names each one.
TRANSLATED := services.intake.i18n services.routing.i18n services.reporting.i18n services.network.i18n

.PHONY: vendor run test bench test-unit test-integration test-faults test-fuzz install infra-up infra-down infra-status infra-reset lint typecheck rebuild-routing rebuild-notify rebuild-reporting translations lock docs image

run: install ## Kafka, PostgreSQL, the five services and the demo data; Ctrl-C stops everything
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

# The locks are resolved for what runs them: CPython 3.11 on x86-64 Linux (the image's base, CI). Each pin carries
# the hashes of every file its release publishes, so an arm64 image installs the same lock (resolving for
# aarch64 gives the same packages today). A pin already in the lock is kept while pyproject.toml allows it;
# `make lock UPGRADE=1` moves every pin to the newest release.
LOCK := $(PYTHON) -m uv pip compile pyproject.toml build-requirements.in --python-version 3.11 --python-platform linux \
	--generate-hashes --quiet $(if $(UPGRADE),--upgrade)

lock: ## requirements-dev.lock (CI and `make install`: the dev extras too) and requirements.lock (the image), with hashes
	$(LOCK) --extra dev -o requirements-dev.lock
	$(LOCK) -c requirements-dev.lock -o requirements.lock

# The one version: pyproject.toml's (the package's, read by the services through importlib.metadata).
VERSION = $(shell $(PYTHON) -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")

image: ## the one image for every service and command, labelled with the version, the commit and the time
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD) \
	  --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) -t pyyda-apua:$(VERSION) .

docs: ## docs/configuration.md from the settings classes
	$(PYTHON) -m deploy.configdoc --write

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
