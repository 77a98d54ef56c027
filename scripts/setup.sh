#!/usr/bin/env bash
# Gridwork developer/CI setup. Idempotent: run it as often as you like (`make setup`).
#
#  1. .venv (python3 -m venv) + requirements-dev.txt (skipped when the requirements hash is unchanged)
#  2. PostgreSQL: $DATABASE_URL if it answers, else postgresql://postgres@127.0.0.1:5432, else a
#     project-local cluster in .local/pg on port 55432 (installing postgresql-15 with apt if needed)
#  3. PostGIS available on that server (installs postgresql-<major>-postgis-3 if the server is local)
#  4. databases gridwork + gridwork_test, each with the postgis extension
#  5. Redis: $REDIS_URL if it answers, else 127.0.0.1:6379, else a project-local redis-server on 56379
#  6. .env: DATABASE_URL, TEST_DATABASE_URL, REDIS_URL, TEST_REDIS_URL (always updated), and
#     generated development secrets ($DEV_SECRETS below) only where .env and the environment have
#     none; all other keys are kept
#  7. flask db upgrade on the app database with .env loaded (when backend/app.py and migrations/ exist)
#  8. console and docs assets: npm ci (Leaflet, socket.io-client, swagger-ui-dist pinned in package.json)
#     copied to backend/static/vendor; chromium
#
# Environment read:
#   DATABASE_URL, REDIS_URL          servers to prefer (only their server part is used: the database
#                                    name / db number in them is replaced by the ones below)
#   PYTHON                           interpreter for the venv (default python3)
#   GRIDWORK_NO_SYSTEM_SERVICES=1    do not try the default 127.0.0.1:5432 / 127.0.0.1:6379
#   GRIDWORK_LOCAL_PG_PORT           port of the project-local PostgreSQL (default 55432)
#   GRIDWORK_LOCAL_REDIS_PORT        port of the project-local Redis (default 56379)
#   GRIDWORK_PG_MAJOR                PostgreSQL major to install for the local cluster (default 15)
#   GRIDWORK_SKIP_MIGRATE=1          do not run `flask db upgrade`
#   GRIDWORK_NO_BROWSER=1            do not install Debian's chromium (used only by the browser test)
#   GRIDWORK_DB_NAME, GRIDWORK_TEST_DB_NAME        database names (default gridwork, gridwork_test)
#   GRIDWORK_REDIS_DB, GRIDWORK_TEST_REDIS_DB      Redis db numbers (default 0, 15); use these to keep
#                                    two checkouts sharing one server from stepping on each other
#   --venv-only                      only do step 1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LOCAL="$ROOT/.local"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
HELPER="$ROOT/scripts/setup_helper.py"
PYTHON_BIN="${PYTHON:-python3}"
LOCAL_PG_PORT="${GRIDWORK_LOCAL_PG_PORT:-55432}"
LOCAL_REDIS_PORT="${GRIDWORK_LOCAL_REDIS_PORT:-56379}"
PG_MAJOR_DEFAULT="${GRIDWORK_PG_MAJOR:-15}"
NO_SYSTEM="${GRIDWORK_NO_SYSTEM_SERVICES:-0}"
APP_DB="${GRIDWORK_DB_NAME:-gridwork}"
TEST_DB="${GRIDWORK_TEST_DB_NAME:-gridwork_test}"
APP_REDIS_DB="${GRIDWORK_REDIS_DB:-0}"
TEST_REDIS_DB="${GRIDWORK_TEST_REDIS_DB:-15}"
# Development secrets written to .env when missing (NAME:kind, kind token or key32 = 32 bytes base64url)
DEV_SECRETS="SECRET_KEY:token PII_ENCRYPTION_KEY:key32 PII_HASH_KEY:key32 PLATFORM_SIGNING_KEY:key32"

VENV_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --venv-only) VENV_ONLY=1 ;;
        -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "setup: unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

log() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }
helper() { "$VPY" "$HELPER" "$@"; }

mkdir -p "$LOCAL"

# ---------------------------------------------------------------- privileges and apt
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        echo "needs root (not root, and no password-less sudo) for: $*" >&2
        return 1
    fi
}

APT_UPDATED=0
APT_LOG="$LOCAL/apt.log"
# apt_install PKG... ; on failure, the reason is in $APT_ERROR
APT_ERROR=""
apt_run() { # apt_run ARGS... : one apt-get call, output appended to .local/apt.log, errors kept
    local out="$LOCAL/apt-last.log" rc=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 \
        "$@" </dev/null >"$out" 2>&1 || rc=$?
    cat "$out" >>"$APT_LOG"
    if [ "$rc" -ne 0 ]; then
        APT_ERROR="$( (grep -E '^(E|Err):' "$out" || tail -n 3 "$out") | tail -n 3 | tr '\n' ' ')"
    fi
    rm -f "$out"
    return "$rc"
}
apt_install() {
    APT_ERROR=""
    if ! command -v apt-get >/dev/null 2>&1; then
        APT_ERROR="apt-get not found (not a Debian/Ubuntu machine); install $* by hand"
        return 1
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        apt_run update -q || { APT_ERROR="apt-get update failed: $APT_ERROR"; return 1; }
        APT_UPDATED=1
    fi
    log "apt-get install $* (log: .local/apt.log)"
    apt_run install -y -q --no-install-recommends "$@"
}

# ---------------------------------------------------------------- 1. virtualenv
venv_ok() { [ -x "$VPY" ] && "$VPY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

if ! venv_ok; then
    command -v "$PYTHON_BIN" >/dev/null 2>&1 \
        || die "$PYTHON_BIN not found. Install Python 3.11+ (Debian: apt-get install python3 python3-venv) or set PYTHON=/path/to/python3.11"
    "$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$PYTHON_BIN is $("$PYTHON_BIN" -V 2>&1); Gridwork needs Python 3.11+. Set PYTHON=/path/to/python3.11"
    log "creating .venv with $("$PYTHON_BIN" -V 2>&1) ($(command -v "$PYTHON_BIN"))"
    rm -rf "$VENV"
    if ! "$PYTHON_BIN" -m venv "$VENV" >"$LOCAL/venv.log" 2>&1; then
        rm -rf "$VENV"
        # Debian's system python ships venv/ensurepip separately.
        if [ "$(command -v "$PYTHON_BIN")" = /usr/bin/python3 ] && apt_install python3-venv \
                && "$PYTHON_BIN" -m venv "$VENV" >>"$LOCAL/venv.log" 2>&1; then
            :
        else
            die "python3 -m venv .venv failed: $(tail -n 3 "$LOCAL/venv.log" | tr '\n' ' ') ${APT_ERROR:+(apt: $APT_ERROR)} -- install python3-venv (Debian) and retry"
        fi
    fi
fi

REQ_STAMP="$VENV/.gridwork-requirements.sha256"
req_hash="$( { "$VPY" -V 2>&1; cat requirements.txt requirements-dev.txt; } | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$REQ_STAMP" 2>/dev/null || true)" = "$req_hash" ]; then
    log "python packages up to date (requirements unchanged)"
else
    log "installing requirements-dev.txt into .venv (log: .local/pip.log)"
    if ! "$VPY" -m pip install --disable-pip-version-check --no-input --progress-bar off \
            -r requirements-dev.txt >"$LOCAL/pip.log" 2>&1; then
        grep -v "^WARNING: Location .* is ignored" "$LOCAL/pip.log" | tail -n 15 >&2 || true
        die "pip install -r requirements-dev.txt failed (full log: .local/pip.log). Check network access to PyPI and the pins."
    fi
    echo "$req_hash" >"$REQ_STAMP"
    log "python packages installed"
fi

[ "$VENV_ONLY" -eq 1 ] && exit 0

# ---------------------------------------------------------------- 2. PostgreSQL
PG_BASE=""
PG_TRIED=()
try_pg() { # try_pg URL LABEL
    local base err
    base="$(helper pg-base "$1")" || die "bad PostgreSQL URL in $2"
    if err="$(helper pg-probe "$base" 2>&1 >/dev/null)"; then
        PG_BASE="$base"
        log "PostgreSQL: using $2 ($(helper redact "$base"))"
        return 0
    fi
    PG_TRIED+=("$(helper redact "$base") [$2]: $err")
    log "PostgreSQL at $(helper redact "$base") ($2) did not answer: $err"
    return 1
}

pg_bin() { echo "/usr/lib/postgresql/$1/bin"; }

PGDATA_LOCAL="$LOCAL/pg"
PGLOG_LOCAL="$LOCAL/postgres.log"
run_pg() { # run a command as the owner of the local cluster (postgres when we are root)
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

start_local_pg() {
    local major="" bin
    if [ -f "$PGDATA_LOCAL/PG_VERSION" ]; then
        major="$(cat "$PGDATA_LOCAL/PG_VERSION")"
    elif [ -x "$(pg_bin "$PG_MAJOR_DEFAULT")/initdb" ]; then
        major="$PG_MAJOR_DEFAULT"
    else
        # highest installed server version, if any
        major="$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -n | while read -r v; do
            [ -x "$(pg_bin "$v")/initdb" ] && echo "$v"; done | tail -n 1 || true)"
    fi
    if [ -z "$major" ] || [ ! -x "$(pg_bin "$major")/initdb" ]; then
        major="${major:-$PG_MAJOR_DEFAULT}"
        log "no PostgreSQL answered; installing postgresql-$major for a project-local cluster"
        apt_install "postgresql-$major" "postgresql-$major-postgis-3" \
            || die "PostgreSQL did not answer (tried: ${PG_TRIED[*]}) and apt-get install postgresql-$major postgresql-$major-postgis-3 failed: $APT_ERROR. Install them, or set DATABASE_URL to a running server with PostGIS."
    fi
    bin="$(pg_bin "$major")"

    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 \
            || die "user 'postgres' does not exist (it comes with Debian's postgresql-common package); install postgresql-$major or set DATABASE_URL"
        mkdir -p "$PGDATA_LOCAL"
        touch "$PGLOG_LOCAL"
        chown postgres: "$PGDATA_LOCAL" "$PGLOG_LOCAL"
    else
        mkdir -p "$PGDATA_LOCAL"
        touch "$PGLOG_LOCAL"
    fi
    chmod 700 "$PGDATA_LOCAL"
    run_pg test -w "$PGDATA_LOCAL" -a -w "$PGLOG_LOCAL" \
        || die "the postgres user cannot reach $PGDATA_LOCAL (a parent directory is not searchable by others, e.g. /root). Move the checkout, chmod o+x its parent directories, or set DATABASE_URL to a running server."

    if [ ! -f "$PGDATA_LOCAL/PG_VERSION" ]; then
        log "initdb project-local PostgreSQL $major cluster in .local/pg (trust auth, superuser postgres)"
        run_pg "$bin/initdb" -D "$PGDATA_LOCAL" -U postgres --auth=trust --encoding=UTF8 --no-locale \
            >"$LOCAL/initdb.log" 2>&1 \
            || die "initdb failed: $(tail -n 5 "$LOCAL/initdb.log" | tr '\n' ' ') (full log: .local/initdb.log)"
        echo "include_if_exists = 'gridwork.conf'" >>"$PGDATA_LOCAL/postgresql.conf"
    fi
    # Settings of the local cluster; rewritten every run so a port change takes effect on restart.
    local conf="$PGDATA_LOCAL/gridwork.conf"
    printf "%s\n" "# written by scripts/setup.sh" "port = $LOCAL_PG_PORT" \
        "listen_addresses = '127.0.0.1'" "unix_socket_directories = ''" >"$conf"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$conf"

    if run_pg "$bin/pg_ctl" -D "$PGDATA_LOCAL" status >/dev/null 2>&1; then
        log "project-local PostgreSQL already running (.local/pg)"
    else
        log "starting project-local PostgreSQL $major on 127.0.0.1:$LOCAL_PG_PORT (log: .local/postgres.log)"
        run_pg "$bin/pg_ctl" -D "$PGDATA_LOCAL" -l "$PGLOG_LOCAL" -w -t 60 start >/dev/null 2>&1 \
            || die "could not start the project-local PostgreSQL: $(tail -n 5 "$PGLOG_LOCAL" | tr '\n' ' ') (full log: .local/postgres.log)"
    fi
    local url="postgresql://postgres@127.0.0.1:$LOCAL_PG_PORT" i
    for i in $(seq 1 30); do
        try_pg "$url" "project-local cluster" >/dev/null 2>&1 && break
        sleep 0.5
    done
    [ -n "$PG_BASE" ] || die "project-local PostgreSQL started but does not answer on 127.0.0.1:$LOCAL_PG_PORT (port taken by something else?); see .local/postgres.log"
    log "PostgreSQL: using project-local cluster (postgresql://postgres@127.0.0.1:$LOCAL_PG_PORT)"
}

if [ -n "${DATABASE_URL:-}" ]; then
    try_pg "$DATABASE_URL" "DATABASE_URL" || true
fi
if [ -z "$PG_BASE" ] && [ "$NO_SYSTEM" != 1 ]; then
    try_pg "postgresql://postgres@127.0.0.1:5432" "default server" || true
fi
if [ -z "$PG_BASE" ]; then
    start_local_pg
fi

# ---------------------------------------------------------------- 3. PostGIS
read -r PG_VERSION_NUM PG_HAS_POSTGIS < <(helper pg-probe "$PG_BASE") \
    || die "PostgreSQL at $(helper redact "$PG_BASE") stopped answering"
if [ "$PG_VERSION_NUM" -ge 100000 ]; then PG_SERVER_MAJOR=$((PG_VERSION_NUM / 10000)); else PG_SERVER_MAJOR="$((PG_VERSION_NUM / 10000)).$((PG_VERSION_NUM / 100 % 100))"; fi
if [ "$PG_HAS_POSTGIS" != 1 ]; then
    postgis_pkg="postgresql-$PG_SERVER_MAJOR-postgis-3"
    if helper is-local "$PG_BASE"; then
        log "PostGIS is not available on the PostgreSQL $PG_SERVER_MAJOR server; installing $postgis_pkg"
        apt_install "$postgis_pkg" \
            || die "PostGIS is missing on $(helper redact "$PG_BASE") and apt-get install $postgis_pkg failed: $APT_ERROR"
        read -r _ PG_HAS_POSTGIS < <(helper pg-probe "$PG_BASE") || true
        [ "${PG_HAS_POSTGIS:-0}" = 1 ] \
            || die "installed $postgis_pkg but the server at $(helper redact "$PG_BASE") still lists no postgis extension (is it running from another installation, e.g. a container?). Install PostGIS where that server runs."
    else
        die "the PostgreSQL $PG_SERVER_MAJOR server at $(helper redact "$PG_BASE") has no PostGIS, and it is not on this machine. Install PostGIS 3 on that server (Debian: apt-get install $postgis_pkg) or point DATABASE_URL at a server that has it."
    fi
fi

# ---------------------------------------------------------------- 4. databases
if ! dbs_out="$(helper pg-ensure-dbs "$PG_BASE" "$APP_DB" "$TEST_DB" 2>&1)"; then
    printf '%s\n' "$dbs_out" | sed 's/^/setup:   /' >&2
    die "could not prepare databases $APP_DB/$TEST_DB on $(helper redact "$PG_BASE") (see the message above)"
fi
printf '%s\n' "$dbs_out" | sed 's/^/setup: /'

# ---------------------------------------------------------------- 5. Redis
REDIS_BASE=""
REDIS_TRIED=()
try_redis() { # try_redis URL LABEL
    local base err
    base="$(helper redis-base "$1")" || die "bad Redis URL in $2"
    if err="$(helper redis-probe "$base" 2>&1 >/dev/null)"; then
        REDIS_BASE="$base"
        log "Redis: using $2 ($(helper redact "$base"))"
        return 0
    fi
    REDIS_TRIED+=("$(helper redact "$base") [$2]: $err")
    log "Redis at $(helper redact "$base") ($2) did not answer: $err"
    return 1
}

start_local_redis() {
    local url="redis://127.0.0.1:$LOCAL_REDIS_PORT" server i
    if helper redis-probe "$url" >/dev/null 2>&1; then
        REDIS_BASE="$url"
        log "Redis: using project-local server ($url), already running"
        return 0
    fi
    server="$(command -v redis-server || true)"
    if [ -z "$server" ]; then
        log "no Redis answered; installing redis-server for a project-local server"
        apt_install redis-server \
            || die "Redis did not answer (tried: ${REDIS_TRIED[*]}) and apt-get install redis-server failed: $APT_ERROR. Install redis-server, or set REDIS_URL to a running server."
        server="$(command -v redis-server || echo /usr/bin/redis-server)"
    fi
    mkdir -p "$LOCAL/redis"
    log "starting project-local Redis on 127.0.0.1:$LOCAL_REDIS_PORT (log: .local/redis.log)"
    "$server" --port "$LOCAL_REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
        --dir "$LOCAL/redis" --save "" --appendonly no \
        --pidfile "$LOCAL/redis/redis.pid" --logfile "$LOCAL/redis.log" >/dev/null 2>&1 \
        || die "could not start redis-server: $(tail -n 5 "$LOCAL/redis.log" 2>/dev/null | tr '\n' ' ') (log: .local/redis.log)"
    for i in $(seq 1 40); do
        helper redis-probe "$url" >/dev/null 2>&1 && { REDIS_BASE="$url"; break; }
        sleep 0.25
    done
    [ -n "$REDIS_BASE" ] || die "project-local Redis does not answer on 127.0.0.1:$LOCAL_REDIS_PORT; see .local/redis.log"
    log "Redis: using project-local server ($url)"
}

if [ -n "${REDIS_URL:-}" ]; then
    try_redis "$REDIS_URL" "REDIS_URL" || true
fi
if [ -z "$REDIS_BASE" ] && [ "$NO_SYSTEM" != 1 ]; then
    try_redis "redis://127.0.0.1:6379" "default server" || true
fi
if [ -z "$REDIS_BASE" ]; then
    start_local_redis
fi

# ---------------------------------------------------------------- 6. .env
APP_DB_URL="$(helper pg-url "$PG_BASE" "$APP_DB" psycopg2)"
TEST_DB_URL="$(helper pg-url "$PG_BASE" "$TEST_DB" psycopg2)"
# the Redis db number goes in the URL path
redis_url_db() { # URL DB
    "$VPY" - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit
p = urlsplit(sys.argv[1])
print(urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, "")))
PY
}
APP_REDIS_URL="$(redis_url_db "$REDIS_BASE" "$APP_REDIS_DB")"
TEST_REDIS_URL="$(redis_url_db "$REDIS_BASE" "$TEST_REDIS_DB")"
env_result="$(helper env-update "$ROOT/.env" \
    "DATABASE_URL=$APP_DB_URL" "TEST_DATABASE_URL=$TEST_DB_URL" \
    "REDIS_URL=$APP_REDIS_URL" "TEST_REDIS_URL=$TEST_REDIS_URL")" \
    || die "could not write .env"
log ".env $env_result (DATABASE_URL=$(helper redact "$APP_DB_URL"), REDIS_URL=$(helper redact "$APP_REDIS_URL"))"
# The app refuses to start outside testing without these secrets: generate each once, never replace
# (data encrypted with a PII key is unreadable under a new one). Add new required secrets here.
secrets_result="$(helper env-secrets "$ROOT/.env" $DEV_SECRETS)" || die "could not write secrets to .env"
[ "$secrets_result" = "kept" ] || log ".env secrets $secrets_result (development only; set real ones in production)"

# ---------------------------------------------------------------- 7. migrations
if [ "${GRIDWORK_SKIP_MIGRATE:-0}" = 1 ]; then
    log "migrations skipped (GRIDWORK_SKIP_MIGRATE=1)"
elif [ -f backend/app.py ]; then
    if [ -f migrations/env.py ] && helper alembic-at-head "$(helper pg-url "$PG_BASE" "$APP_DB")" migrations 2>/dev/null; then
        log "database $APP_DB already at the latest migration"
    elif [ -f migrations/env.py ]; then
        log "flask db upgrade on $APP_DB"
        "$ROOT/scripts/with-env.sh" "$VENV/bin/flask" --app backend.app:create_app db upgrade \
            || die "migrations failed: '.venv/bin/flask --app backend.app:create_app db upgrade' against $(helper redact "$APP_DB_URL") (output above)"
    else
        log "backend/app.py exists but migrations/ has no env.py yet; skipping db upgrade"
    fi
else
    log "no backend/app.py yet; skipping migrations"
fi

# ---------------------------------------------------------------- 8. console assets, test browser
# Leaflet (BSD-2-Clause), socket.io-client (MIT) and swagger-ui-dist (Apache-2.0) are pinned in
# package.json; their dist files are copied, not committed, into backend/static/vendor/, which the
# /console page and /docs serve (no CDN, no external tiles).
if [ -f package.json ]; then
    if [ ! -f node_modules/leaflet/dist/leaflet.js ] || [ ! -f node_modules/socket.io-client/dist/socket.io.min.js ] \
        || [ ! -f node_modules/swagger-ui-dist/swagger-ui-bundle.js ]; then
        command -v npm >/dev/null 2>&1 || apt_install nodejs npm || log "WARNING: npm missing (${APT_ERROR}); /console will lack its map"
        if command -v npm >/dev/null 2>&1; then
            log "npm ci (console assets; log: .local/npm.log)"
            npm ci --no-audit --no-fund >"$LOCAL/npm.log" 2>&1 || log "WARNING: npm ci failed (see .local/npm.log)"
        fi
    fi
    if [ -f node_modules/leaflet/dist/leaflet.js ]; then
        mkdir -p backend/static/vendor/leaflet backend/static/vendor/socket.io
        cp -R node_modules/leaflet/dist/. backend/static/vendor/leaflet/
        cp node_modules/socket.io-client/dist/socket.io.min.js backend/static/vendor/socket.io/
    fi
    if [ -f node_modules/swagger-ui-dist/swagger-ui-bundle.js ]; then
        mkdir -p backend/static/vendor/swagger-ui
        for asset in swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js favicon-32x32.png LICENSE; do
            cp "node_modules/swagger-ui-dist/$asset" backend/static/vendor/swagger-ui/
        done
    fi
fi
# Apache ECharts (Apache-2.0, pinned in package.json) draws the charts of /portal.
if [ -f package.json ] && command -v npm >/dev/null 2>&1 && [ ! -f node_modules/echarts/dist/echarts.min.js ]; then
    npm ci --no-audit --no-fund >>"$LOCAL/npm.log" 2>&1 || log "WARNING: npm ci failed (see .local/npm.log); no charts"
fi
if [ -f node_modules/echarts/dist/echarts.min.js ]; then
    mkdir -p backend/static/vendor/echarts
    cp node_modules/echarts/dist/echarts.min.js backend/static/vendor/echarts/
fi
# A CJK font, so headless Chromium (browser tests, screenshots, documents) renders Chinese text, not boxes.
if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "${GRIDWORK_NO_BROWSER:-0}" != 1 ]; then
    apt_install fonts-noto-cjk || log "WARNING: fonts-noto-cjk not installed (${APT_ERROR}); Chinese shows as boxes"
fi
# The browser test drives Debian's Chromium headless (Playwright without its own browsers).
if [ ! -x /usr/bin/chromium ] && [ "${GRIDWORK_NO_BROWSER:-0}" != 1 ]; then
    log "installing chromium (browser test)"
    apt_install chromium || log "WARNING: chromium not installed (${APT_ERROR}); the browser test will be skipped"
fi
# OpenCV (pulled in by rapidocr-onnxruntime, which reads ID card photos) loads libGL and GLib at import.
if ! "$VPY" -c "import cv2" >/dev/null 2>&1; then
    log "installing libgl1 and libglib2.0-0 (OpenCV, ID card reading)"
    apt_install libgl1 libglib2.0-0 || log "WARNING: libgl1 not installed (${APT_ERROR}); ID card reading fails"
fi

log "done"
