#!/usr/bin/env bash
# Start a throw-away Redis on loopback for the qbo_sync tests and print its URL.
#
# Idempotent: a second run finds the server answering and only prints the URL.
# Installs redis-server with apt-get when it is missing (CI runs as root on a
# fresh machine). Nothing is persisted: no RDB snapshots, no AOF.
#
# Environment:
#   QBO_SYNC_REDIS_DIR   working folder      (default /tmp/qbo-sync-redis)
#   QBO_SYNC_REDIS_PORT  port on 127.0.0.1   (default 63790)
#
# stdout: exactly one line, the URL (last line); everything else goes to stderr.
set -euo pipefail

DIR="${QBO_SYNC_REDIS_DIR:-/tmp/qbo-sync-redis}"
PORT="${QBO_SYNC_REDIS_PORT:-63790}"
URL="redis://127.0.0.1:${PORT}/0"

log() { echo "start-redis: $*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
    if [[ "$(id -u)" != "0" ]]; then
        log "redis-server is missing and we are not root: install 'redis-server'"
        exit 1
    fi
    log "installing redis-server with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends redis-server >&2
fi

if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
    log "already running on port $PORT"
    echo "$URL"
    exit 0
fi

mkdir -p "$DIR"
redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --dir "$DIR" \
    --save "" --appendonly no --logfile "$DIR/redis.log" --pidfile "$DIR/redis.pid" >&2
for _ in $(seq 1 50); do
    if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
        log "ready on port $PORT"
        echo "$URL"
        exit 0
    fi
    sleep 0.1
done
log "redis did not answer on port $PORT; log follows"
cat "$DIR/redis.log" >&2 || true
exit 1
