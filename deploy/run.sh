#!/usr/bin/env bash
# Starts or stops the platform's processes in the background.
#   deploy/run.sh start    five services, the gateway, the web front end and the SMTP catcher; logs in var/log/
#   deploy/run.sh stop     stops what start started
#   deploy/run.sh status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN=$ROOT/var/run; LOG=$ROOT/var/log
mkdir -p "$RUN" "$LOG"
SERVICES="identity offers applications conventions notifications"
export PYTHONWARNINGS=ignore PYTHONUNBUFFERED=1
export STAGES_DEMO=${STAGES_DEMO:-1}  # lets deploy/demo.py seed demo accounts (development only)
export GATEWAY_ADDRESS=${GATEWAY_ADDRESS:-127.0.0.1:8000}
export SMTP_HOST=${SMTP_HOST:-127.0.0.1} SMTP_PORT=${SMTP_PORT:-1025}
export SMTP_CATCHER_DIR=${SMTP_CATCHER_DIR:-$ROOT/var/mail}
export WEB_ADDRESS=${WEB_ADDRESS:-127.0.0.1:8080}
# Links in e-mails, SMS and printed sheets point at the web front end.
export STAGES_PUBLIC_URL=${STAGES_PUBLIC_URL:-http://$WEB_ADDRESS}
export STAGES_GATEWAY_URL=${STAGES_GATEWAY_URL:-http://$GATEWAY_ADDRESS}
export STAGES_WEB_ENV=${STAGES_WEB_ENV:-development}  # plain-HTTP cookies on this machine

start_one() {  # name, then the command
  local name=$1; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    echo "$name already running (pid $(cat "$RUN/$name.pid"))"; return
  fi
  setsid "$@" >>"$LOG/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  echo "$name started (pid $!, log var/log/$name.log)"
}

stop_one() {
  local name=$1 pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid=$(cat "$RUN/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "$name stopped"
  fi
  rm -f "$RUN/$name.pid"
}

case "${1:-}" in
  start)
    if .venv/bin/python -c 'import notifications.catcher' 2>/dev/null; then
      mkdir -p "$SMTP_CATCHER_DIR"
      start_one smtp-catcher .venv/bin/python -m notifications.catcher --host "$SMTP_HOST" --port "$SMTP_PORT" --dir "$SMTP_CATCHER_DIR"
    fi
    for s in $SERVICES; do
      cls="$(echo "${s:0:1}" | tr a-z A-Z)${s:1}Service"
      start_one "$s" .venv/bin/nameko run --config "services/$s/config.yml" "$s.service:$cls"
    done
    start_one gateway .venv/bin/nameko run --config gateway/config.yml gateway.service:GatewayService
    start_one web .venv/bin/gunicorn --chdir web --bind "$WEB_ADDRESS" --workers 2 --threads 4 \
      --access-logfile - stages_web.wsgi
    ;;
  stop)
    for s in web gateway $SERVICES smtp-catcher; do stop_one "$s"; done
    ;;
  status)
    for s in $SERVICES gateway web smtp-catcher; do
      if [ -f "$RUN/$s.pid" ] && kill -0 "$(cat "$RUN/$s.pid")" 2>/dev/null; then echo "$s: running"; else echo "$s: stopped"; fi
    done
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
