#!/usr/bin/env bash
# Stop the project-local PostgreSQL (.local/pg) and Redis (.local/redis) started by scripts/setup.sh.
# Never touches the system services. With --purge, also deletes their data (.local/pg, .local/redis).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
PURGE=0
for arg in "$@"; do
    case "$arg" in
        --purge) PURGE=1 ;;
        -h|--help) sed -n '2,3p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "stop-local: unknown argument: $arg" >&2; exit 2 ;;
    esac
done
log() { echo "stop-local: $*"; }

# PostgreSQL
PGDATA_LOCAL="$LOCAL/pg"
if [ -f "$PGDATA_LOCAL/PG_VERSION" ]; then
    bin="/usr/lib/postgresql/$(cat "$PGDATA_LOCAL/PG_VERSION")/bin"
    run_pg() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi; }
    if run_pg "$bin/pg_ctl" -D "$PGDATA_LOCAL" status >/dev/null 2>&1; then
        log "stopping project-local PostgreSQL (.local/pg)"
        run_pg "$bin/pg_ctl" -D "$PGDATA_LOCAL" -m fast -w -t 60 stop >/dev/null
    else
        log "project-local PostgreSQL not running"
    fi
else
    log "no project-local PostgreSQL cluster"
fi

# Redis (by the pid in its own pidfile)
PIDFILE="$LOCAL/redis/redis.pid"
if [ -f "$PIDFILE" ] && pid="$(cat "$PIDFILE")" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
        && grep -q redis "/proc/$pid/comm" 2>/dev/null; then
    log "stopping project-local Redis (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { log "Redis pid $pid did not exit" >&2; exit 1; }
    rm -f "$PIDFILE"
else
    log "project-local Redis not running"
fi

if [ "$PURGE" -eq 1 ]; then
    log "deleting .local/pg and .local/redis"
    rm -rf "$PGDATA_LOCAL" "$LOCAL/redis"
fi
