#!/bin/sh
# Serve Polku with uvicorn (ASGI: HTTP + websockets) and run the task worker and the periodic
# scheduler beside it. Stopping with Ctrl-C stops all three.
#
# The worker's output comes to this terminal: with the console mailer (EMAIL_URL unset) every
# email Polku sends (invitations, check-in links) is printed here. Links in emails and calendar
# feeds point at this host and port unless POLKU_BASE_URL says otherwise.
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
cd "$(dirname "$0")/.." || exit 1
case "$HOST" in
    0.0.0.0 | :: | "[::]") LINK_HOST=127.0.0.1 ;;
    *:*) LINK_HOST="[$HOST]" ;;
    *) LINK_HOST=$HOST ;;
esac
POLKU_BASE_URL=${POLKU_BASE_URL:-http://$LINK_HOST:$PORT}
export POLKU_BASE_URL
.venv/bin/python manage.py db_worker --interval 1 --no-reload &
WORKER=$!
.venv/bin/python manage.py scheduler >/dev/null &
SCHEDULER=$!
trap 'kill $WORKER $SCHEDULER 2>/dev/null' EXIT INT TERM
# WEB_CONCURRENCY server processes (uvicorn --workers; default 1); with more than one and no
# REDIS_URL their live rooms keep level through the SQLite event log (docs/deploy.md)
WEB_CONCURRENCY=${WEB_CONCURRENCY:-1}
export WEB_CONCURRENCY
.venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" \
    --ws websockets-sansio --ws-per-message-deflate false --lifespan off --no-access-log \
    --timeout-graceful-shutdown 3
