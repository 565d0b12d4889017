#!/bin/sh
# Serve Polku with uvicorn (ASGI: HTTP + websockets) and run the task worker and the periodic
# scheduler beside it. Stopping with Ctrl-C stops all three.
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
cd "$(dirname "$0")/.." || exit 1
.venv/bin/python manage.py db_worker --interval 1 >/dev/null 2>&1 &
WORKER=$!
.venv/bin/python manage.py scheduler >/dev/null 2>&1 &
SCHEDULER=$!
trap 'kill $WORKER $SCHEDULER 2>/dev/null' EXIT INT TERM
.venv/bin/uvicorn config.asgi:application --host "$HOST" --port "$PORT" \
    --ws websockets-sansio --lifespan off --no-access-log --timeout-graceful-shutdown 3
