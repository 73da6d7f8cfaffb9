#!/usr/bin/env bash
# Start a throw-away PostgreSQL for the qbo_sync tests and print its SQLAlchemy URL.
#
# Idempotent: a second run finds the server running and only prints the URL.
# Installs the server with apt-get when its binaries are missing (CI runs as
# root on a fresh machine). PostgreSQL refuses to run as root, so the cluster
# belongs to the `postgres` OS user.
#
# Environment:
#   QBO_SYNC_PG_DIR   cluster folder           (default /tmp/qbo-sync-pg)
#   QBO_SYNC_PG_PORT  port on 127.0.0.1        (default 54329)
#
# stdout: exactly one line, the URL (last line); everything else goes to stderr.
set -euo pipefail

PG_DIR="${QBO_SYNC_PG_DIR:-/tmp/qbo-sync-pg}"
PG_PORT="${QBO_SYNC_PG_PORT:-54329}"
DB_NAME="qbo_sync_test"
DB_USER="qbo_sync"
DB_PASS="qbo_sync_test_pw"
URL="postgresql+psycopg://${DB_USER}:${DB_PASS}@127.0.0.1:${PG_PORT}/${DB_NAME}"

log() { echo "start-postgres: $*" >&2; }

find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

BINDIR="$(find_bindir || true)"
if [[ -z "$BINDIR" ]]; then
    if [[ "$(id -u)" != "0" ]]; then
        log "PostgreSQL server binaries are missing and we are not root: install 'postgresql'"
        exit 1
    fi
    log "installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends postgresql >&2
    BINDIR="$(find_bindir)"
fi
log "using $BINDIR"

# The user that owns the cluster: `postgres` when we are root, ourselves otherwise.
if [[ "$(id -u)" == "0" ]]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

psql_super() {
    # The superuser talks over the cluster's own Unix socket (trust); TCP needs a password.
    as_pg "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres "$@"
}

mkdir -p "$PG_DIR"
if [[ "$(id -u)" == "0" ]]; then
    chown postgres: "$PG_DIR"
fi
chmod 700 "$PG_DIR"

if [[ ! -f "$PG_DIR/data/PG_VERSION" ]]; then
    log "initialising a cluster in $PG_DIR/data"
    as_pg "$BINDIR/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 \
        --no-locale >&2
fi

if as_pg "$BINDIR/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    log "already running"
else
    log "starting on 127.0.0.1:$PG_PORT"
    # Throw-away test server: durability off for speed.
    as_pg "$BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2
fi

for _ in $(seq 1 50); do
    if as_pg "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
        break
    fi
    sleep 0.2
done

if [[ "$(psql_super -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != "1" ]]; then
    log "creating role $DB_USER"
    psql_super -d postgres -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASS'" >&2
fi
if [[ "$(psql_super -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]]; then
    log "creating database $DB_NAME"
    psql_super -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
fi

echo "$URL"
