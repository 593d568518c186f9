#!/usr/bin/env bash
# Prepares a Debian machine for the platform, idempotently:
#   system packages (PostgreSQL, RabbitMQ, Redis, the libraries weasyprint needs, Chromium for the
#   browser tests, Node.js for the local OpenID provider), PostgreSQL, RabbitMQ and Redis started, the `stages`
#   database role, the Python virtual environment with every service installed, the provider's node modules.
# Usage: deploy/setup.sh [--services-only]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# -- system packages ---------------------------------------------------------
need=()
command -v psql >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
command -v rabbitmqctl >/dev/null 2>&1 || need+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)  # the web front end's sessions
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # browser tests (tests/browser)
dpkg -s chromium-l10n >/dev/null 2>&1 || need+=(chromium-l10n)  # French date inputs in the browser tests
dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || need+=(libharfbuzz-subset0)
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
$PY -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v node >/dev/null 2>&1 || need+=(nodejs)  # the local OpenID provider (deploy/oidc-provider)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# -- Redis (sessions of the web front end) --------------------------------------------
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  say "starting Redis"
  $SUDO service redis-server start >/dev/null 2>&1 || \
    $SUDO redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null
fi

# -- PostgreSQL ----------------------------------------------------------------
PGPORT=${PGPORT:-5432}
if ! pg_isready -q -h 127.0.0.1 -p "$PGPORT"; then
  say "starting PostgreSQL"
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || $SUDO pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 1; done
fi
pg_admin() {  # run SQL as the postgres superuser (peer auth as the postgres OS user, else TCP)
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
    runuser -u postgres -- psql -p "$PGPORT" -qtAc "$1"
  else
    psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qtAc "$1"
  fi
}
if ! pg_admin "SELECT 1 FROM pg_roles WHERE rolname = 'stages'" | grep -q 1; then
  say "creating the PostgreSQL role 'stages' (development only)"
  pg_admin "CREATE ROLE stages LOGIN SUPERUSER PASSWORD 'stages'"
fi

# -- RabbitMQ ------------------------------------------------------------------
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  say "starting RabbitMQ"
  $SUDO rabbitmq-server -detached || true
  for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
  $SUDO rabbitmqctl -q await_startup || true
fi

# -- Redis (request budgets and closed sessions, shared by every gateway replica) ------
REDIS_PORT=${REDIS_PORT:-6379}
if ! (exec 3<>/dev/tcp/127.0.0.1/"$REDIS_PORT") 2>/dev/null; then
  say "starting Redis"
  if [ "$REDIS_PORT" != 6379 ] || ! $SUDO service redis-server start >/dev/null 2>&1; then
    rdir=/var/lib/redis; [ -d "$rdir" ] || rdir=/tmp
    $SUDO redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$rdir" --daemonize yes >/dev/null
  fi
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/"$REDIS_PORT") 2>/dev/null && break; sleep 1; done
fi

[ "${1:-}" = "--services-only" ] && exit 0

# -- Python environment ----------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment"
  $PY -m venv .venv
fi
stamp=.venv/.stages-installed
if [ ! -f "$stamp" ] || [ -n "$(find services gateway web requirements-dev.txt -name 'pyproject.toml' -newer "$stamp" -o -name 'requirements-dev.txt' -newer "$stamp" 2>/dev/null)" ]; then
  say "installing the services and their dependencies"
  .venv/bin/pip install -q --upgrade 'pip' 'setuptools<82' wheel
  .venv/bin/pip install -q -c constraints.txt -r requirements-dev.txt \
    -e services/common -e services/testkit -e services/identity -e services/offers -e services/applications \
    -e services/conventions -e services/notifications -e gateway -e web
  touch "$stamp"
fi

# -- The local OpenID provider standing in for ÉduConnect and FIM (development and tests) ------------------
oidc=deploy/oidc-provider
if [ ! -d "$oidc/node_modules/oidc-provider" ] || [ "$oidc/package-lock.json" -nt "$oidc/node_modules/.package-lock.json" ]; then
  say "installing the local OpenID provider's node modules (npm ci)"
  (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error)
fi

# -- Events for other systems (docs/bus.md): the replay streams and a read-only development user -----------
say "declaring the event streams and the read-only user 'subscriber' (development password: subscriber)"
.venv/bin/python deploy/subscribers.py streams
.venv/bin/python deploy/subscribers.py grant subscriber --password "${SUBSCRIBER_PASSWORD:-subscriber}"
say "ready"
