#!/usr/bin/env bash
# Runs the platform's processes under supervisord, which restarts any that dies.
#   deploy/run.sh start    five services, the gateway, the web front end, the SMTP catcher, the local OpenID
#                          provider (ÉduConnect and FIM stand-ins, :8090) and the stand-in of the national pupil
#                          register (Omogen SYGNE API); logs in var/log/
#   deploy/run.sh stop     stops them all, and supervisord
#   deploy/run.sh status   the state of each process (running, restarting, backoff, fatal), with its pid and uptime
#   deploy/run.sh restart NAME
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR=${STAGES_VAR_DIR:-$ROOT/var}
RUN=$VAR/run; LOG=$VAR/log
mkdir -p "$RUN" "$LOG"
SERVICES="identity offers applications conventions notifications"
export PYTHONWARNINGS=ignore PYTHONUNBUFFERED=1
export STAGES_DEMO=${STAGES_DEMO:-1}  # lets deploy/demo.py seed demo accounts (development only)
export GATEWAY_ADDRESS=${GATEWAY_ADDRESS:-127.0.0.1:8000}
export GATEWAY_CORS_ORIGINS=${GATEWAY_CORS_ORIGINS-http://127.0.0.1:8080,http://localhost:8080}  # the local web front end (development)
export SMTP_HOST=${SMTP_HOST:-127.0.0.1} SMTP_PORT=${SMTP_PORT:-1025}
export SMTP_CATCHER_DIR=${SMTP_CATCHER_DIR:-$VAR/mail}
# The national pupil register: the local stand-in of the Omogen SYGNE API (testkit.omogen, demo schools' pupils).
export OMOGEN_PORT=${OMOGEN_PORT:-8095}
export OMOGEN_SYGNE_URL=${OMOGEN_SYGNE_URL-http://127.0.0.1:$OMOGEN_PORT/sygne/api/v1}
export OMOGEN_OAUTH_URL=${OMOGEN_OAUTH_URL-http://127.0.0.1:$OMOGEN_PORT/oauth/token}
export OMOGEN_CLIENT_ID=${OMOGEN_CLIENT_ID:-stages-dev} OMOGEN_CLIENT_SECRET=${OMOGEN_CLIENT_SECRET:-dev}
CONF=$RUN/supervisord.conf
CTL=(.venv/bin/supervisorctl -c "$CONF")
export WEB_ADDRESS=${WEB_ADDRESS:-127.0.0.1:8080}
# Links in e-mails, SMS and printed sheets point at the web front end.
export STAGES_PUBLIC_URL=${STAGES_PUBLIC_URL:-http://$WEB_ADDRESS}
export STAGES_GATEWAY_URL=${STAGES_GATEWAY_URL:-http://$GATEWAY_ADDRESS}
export STAGES_WEB_ENV=${STAGES_WEB_ENV:-development}  # plain-HTTP cookies on this machine

# National sign-in (docs/federation.md): a local OpenID provider (deploy/oidc-provider) stands in for ÉduConnect
# and FIM on this machine (STAGES_LOCAL_OIDC=0 leaves it out; FEDERATION_* set beforehand point elsewhere).
export STAGES_LOCAL_OIDC=${STAGES_LOCAL_OIDC:-1}
if [ "$STAGES_LOCAL_OIDC" = 1 ]; then
  export OIDC_HOST=${OIDC_HOST:-127.0.0.1} OIDC_PORT=${OIDC_PORT:-8090}
  export OIDC_PUBLIC_URL=${OIDC_PUBLIC_URL:-http://$OIDC_HOST:$OIDC_PORT}
  export OIDC_REDIRECT_URIS=${OIDC_REDIRECT_URIS:-$STAGES_PUBLIC_URL/connexion/educonnect/retour,$STAGES_PUBLIC_URL/connexion/agents/retour}
  export OIDC_POST_LOGOUT_REDIRECT_URIS=${OIDC_POST_LOGOUT_REDIRECT_URIS:-$STAGES_PUBLIC_URL/}
  for p in educonnect fim; do
    P=$(echo "$p" | tr a-z A-Z)
    back=educonnect; [ "$p" = fim ] && back=agents
    eval "export FEDERATION_${P}_ISSUER=\${FEDERATION_${P}_ISSUER:-$OIDC_PUBLIC_URL/$p}"
    eval "export FEDERATION_${P}_CLIENT_ID=\${FEDERATION_${P}_CLIENT_ID:-stages-web}"
    eval "export FEDERATION_${P}_CLIENT_SECRET=\${FEDERATION_${P}_CLIENT_SECRET:-dev-secret-$p}"
    eval "export FEDERATION_${P}_REDIRECT_URIS=\${FEDERATION_${P}_REDIRECT_URIS:-$STAGES_PUBLIC_URL/connexion/$back/retour}"
    eval "export FEDERATION_${P}_END_SESSION_URL=\${FEDERATION_${P}_END_SESSION_URL:-discovery}"
    eval "export FEDERATION_${P}_POST_LOGOUT_REDIRECT_URI=\${FEDERATION_${P}_POST_LOGOUT_REDIRECT_URI:-$STAGES_PUBLIC_URL/}"
  done
fi

# The processes, one per line: name, then its command. The only list of them.
# (STAGES_PROCESSES_FILE replaces it with a file of such lines: the supervision test uses it.)
processes() {
  if [ -n "${STAGES_PROCESSES_FILE:-}" ]; then cat "$STAGES_PROCESSES_FILE"; return; fi
  echo "smtp-catcher $ROOT/.venv/bin/python -m testkit.catcher --host $SMTP_HOST --port $SMTP_PORT --dir $SMTP_CATCHER_DIR"
  echo "omogen-standin $ROOT/.venv/bin/python -m testkit.omogen --port $OMOGEN_PORT --require-token"
  for s in $SERVICES; do
    echo "$s $ROOT/.venv/bin/nameko run --config services/$s/config.yml $s.service:$(echo "${s:0:1}" | tr a-z A-Z)${s:1}Service"
  done
  echo "gateway $ROOT/.venv/bin/nameko run --config gateway/config.yml gateway.service:GatewayService"
  if [ "$STAGES_LOCAL_OIDC" = 1 ]; then echo "oidc-provider $(command -v node) $ROOT/deploy/oidc-provider/server.mjs"; fi
  echo "web $ROOT/.venv/bin/gunicorn --chdir web --bind $WEB_ADDRESS --workers 2 --threads 4 --access-logfile - stages_web.wsgi"
}

write_config() {
  cat > "$CONF" <<CONF
; written by deploy/run.sh: do not edit
[supervisord]
logfile=$LOG/supervisord.log
pidfile=$RUN/supervisord.pid
childlogdir=$LOG
directory=$ROOT

[unix_http_server]
file=$RUN/supervisor.sock
chmod=0700

[supervisorctl]
serverurl=unix://$RUN/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
CONF
  processes | while read -r name command; do
    cat >> "$CONF" <<CONF

[program:$name]
command=$command
directory=$ROOT
autostart=true
autorestart=true
startsecs=3
startretries=1000
stopsignal=TERM
stopwaitsecs=20
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOG/$name.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=3
CONF
  done
}

running() { [ -S "$RUN/supervisor.sock" ] && "${CTL[@]}" pid >/dev/null 2>&1; }

case "${1:-}" in
  start)
    write_config
    if running; then
      "${CTL[@]}" update >/dev/null   # picks up new or changed processes
      "${CTL[@]}" start all >/dev/null || true
    else
      .venv/bin/supervisord -c "$CONF"
    fi
    "${CTL[@]}" status || true
    echo "processes run under supervisord (restarted if they die): deploy/run.sh status"
    ;;
  stop)
    if running; then "${CTL[@]}" shutdown >/dev/null; echo "stopped"; else echo "not running"; fi
    ;;
  status)
    if running; then "${CTL[@]}" status; else echo "not running (make up starts it)"; exit 3; fi
    ;;
  restart)
    "${CTL[@]}" restart "${2:?usage: $0 restart NAME}"
    ;;
  *) echo "usage: $0 start|stop|status|restart NAME" >&2; exit 2 ;;
esac
