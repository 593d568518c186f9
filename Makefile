# The two commands that matter:
#   make up     set up a Debian machine and run the whole platform (prints the web and gateway URLs)
#   make test   run every test (unit, integration, cross-service) against real PostgreSQL and RabbitMQ
SHELL := /bin/bash
PY := .venv/bin/python
GATEWAY_URL ?= http://127.0.0.1:8000
WEB_URL ?= http://127.0.0.1:8080
export PYTHONWARNINGS := ignore

.PHONY: up down setup services data demo test test-browser test-faults test-unit bench status logs clean-test-data

setup:
	deploy/setup.sh

services:
	deploy/setup.sh --services-only

data: setup
	$(PY) -m common.manage setup

up: data
	deploy/run.sh start
	@for i in $$(seq 1 120); do curl -fs $(GATEWAY_URL)/readyz >/dev/null && break; sleep 1; done
	@curl -fs $(GATEWAY_URL)/readyz >/dev/null || { echo "the platform did not become ready: see var/log/"; exit 1; }
	@for i in $$(seq 1 60); do curl -fs $(WEB_URL)/ >/dev/null && break; sleep 1; done
	$(PY) deploy/demo.py --gateway $(GATEWAY_URL)
	@echo
	@echo "Web site: $(WEB_URL)   (open it in a browser)"
	@echo "Platform ready: $(GATEWAY_URL)   (API under $(GATEWAY_URL)/api/v1, OpenAPI at $(GATEWAY_URL)/openapi.json)"
	@if [ "$${STAGES_LOCAL_OIDC:-1}" = 1 ]; then echo "Local OpenID provider (ÉduConnect and FIM stand-ins): http://127.0.0.1:8090/educonnect/.well-known/openid-configuration and http://127.0.0.1:8090/fim/.well-known/openid-configuration"; fi
	@echo "Logs: var/log/   Mails caught in development: var/mail/   Stop with: make down"

down:
	deploy/run.sh stop

status:
	deploy/run.sh status

logs:
	tail -f var/log/*.log

# Tests create their own databases (t<run>_*) and vhosts and remove them afterwards.
# The browser tests (tests/browser, real Chromium) run in their own pytest invocation: they must not load the
# root conftest, whose eventlet patching hangs Playwright (see tests/browser/README.md).
test: setup
	STAGES_TEST_PG=$${STAGES_TEST_PG:-postgresql://stages:stages@127.0.0.1:5432/postgres} \
	STAGES_TEST_AMQP=$${STAGES_TEST_AMQP:-amqp://guest:guest@127.0.0.1:5672/} \
	STAGES_TEST_REDIS=$${STAGES_TEST_REDIS:-redis://127.0.0.1:6379/0} \
	$(PY) -m pytest $(PYTEST_ARGS)
	$(MAKE) test-browser
	@if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && { [ "$$(id -u)" = 0 ] || [ "$$(id -un)" = rabbitmq ]; }; then \
	  $(MAKE) test-faults; \
	else echo "make test: the fault suite starts a RabbitMQ node of its own and needs root or the rabbitmq user: run 'sudo make test-faults' (tests/faults/README.md)"; fi

test-browser: setup
	STAGES_TEST_PG=$${STAGES_TEST_PG:-postgresql://stages:stages@127.0.0.1:5432/postgres} \
	STAGES_TEST_AMQP=$${STAGES_TEST_AMQP:-amqp://guest:guest@127.0.0.1:5672/} \
	STAGES_TEST_REDIS=$${STAGES_TEST_REDIS:-redis://127.0.0.1:6379/0} \
	$(PY) -m pytest -c tests/browser/pytest.ini tests/browser $(BROWSER_PYTEST_ARGS)

# The fault suite (tests/faults/README.md): the platform on a private RabbitMQ node of its own (testkit.broker),
# restarted, services killed with SIGKILL, database connections terminated. Its own pytest invocation; the shared
# broker is never used (STAGES_TEST_AMQP is not read: the run refuses to start if a setting names another broker).
test-faults: setup
	STAGES_TEST_PG=$${STAGES_TEST_PG:-postgresql://stages:stages@127.0.0.1:5432/postgres} \
	STAGES_TEST_REDIS=$${STAGES_TEST_REDIS:-redis://127.0.0.1:6379/0} \
	$(PY) -m pytest -c tests/faults/pytest.ini tests/faults $(FAULTS_PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest -q services/*/tests/unit

bench: setup
	$(PY) bench/run_all.py

# Removes test databases, vhosts and Redis keys left behind by interrupted test runs (t<run>_*).
clean-test-data:
	@for db in $$(psql -h 127.0.0.1 -U stages -d postgres -tAc "SELECT datname FROM pg_database WHERE datname ~ '^t[0-9a-f]{8}_'"); do \
	  psql -h 127.0.0.1 -U stages -d postgres -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)" && echo "dropped $$db"; done
	@for vh in $$(rabbitmqctl -q list_vhosts | grep -E '^t[0-9a-f]{8}'); do rabbitmqctl -q delete_vhost "$$vh" && echo "deleted vhost $$vh"; done
	@redis-cli --scan --pattern 't[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*' | xargs -r redis-cli del >/dev/null || true
