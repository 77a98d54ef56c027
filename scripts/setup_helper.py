"""Small helpers for scripts/setup.sh (run with the project's .venv python).

Subcommands (all print to stdout, errors to stderr, exit 0 on success):
  pg-base URL              normalise a PostgreSQL URL to its server part: postgresql://user:pw@host:port?query
  pg-probe URL             exit 0 if the server answers (prints "server_version_num postgis_available(0|1)")
  pg-ensure-dbs URL DB...  create the databases if missing and CREATE EXTENSION IF NOT EXISTS postgis in each
  pg-url URL DB DRIVER     print URL for database DB with scheme "postgresql+DRIVER"
  alembic-at-head URL DIR  exit 0 if the database at URL is at the head revision(s) of migrations DIR
  redis-base URL           normalise a Redis URL to its server part (no db number)
  redis-probe URL          exit 0 if the server answers PING
  is-local URL             exit 0 if the URL's host is this machine (socket, localhost, 127.0.0.0/8, ::1)
  redact URL               print URL with the password replaced by ***
  env-update FILE K=V...   add/update the given keys in a dotenv file, keeping every other line
  env-secrets FILE KEY[:kind]...  add KEY=<random secret> (kind token, default, or key32 = 32 bytes base64url)
                           unless KEY is already in the file or the environment; never replaces a value
  with-env FILE CMD...     exec CMD with the variables of the dotenv FILE exported (they override the environment)
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

MAINTENANCE_DBS = ("postgres", "template1")


def pg_base(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.split("+", 1)[0]
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql"
    else:
        raise SystemExit(f"not a PostgreSQL URL (expected postgresql://...): {redact(url)}")
    return urlunsplit((scheme, parts.netloc, "", parts.query, ""))


def pg_url(url: str, db: str, driver: str = "") -> str:
    parts = urlsplit(pg_base(url))
    scheme = "postgresql+" + driver if driver else "postgresql"
    return urlunsplit((scheme, parts.netloc, "/" + db, parts.query, ""))


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit((parts.scheme, f"{user}:***@{hostinfo}", parts.path, parts.query, parts.fragment))


def _pg_connect(url: str, db: str | None = None):
    import psycopg2

    base = pg_base(url)
    last = None
    for name in [db] if db else MAINTENANCE_DBS:
        try:
            conn = psycopg2.connect(pg_url(base, name), connect_timeout=3)
            conn.autocommit = True
            return conn
        except psycopg2.OperationalError as exc:
            last = exc
            if db or "does not exist" not in str(exc):
                break
    raise last


def pg_probe(url: str) -> int:
    try:
        conn = _pg_connect(url)
    except Exception as exc:
        print(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc), file=sys.stderr)
        return 1
    with conn, conn.cursor() as cur:
        cur.execute("show server_version_num")
        version = cur.fetchone()[0]
        cur.execute("select 1 from pg_available_extensions where name = 'postgis'")
        available = 1 if cur.fetchone() else 0
    conn.close()
    print(version, available)
    return 0


def pg_ensure_dbs(url: str, dbs: list[str]) -> int:
    from psycopg2 import sql

    conn = _pg_connect(url)
    with conn.cursor() as cur:
        for db in dbs:
            cur.execute("select 1 from pg_database where datname = %s", (db,))
            if cur.fetchone():
                print(f"database {db} exists")
            else:
                try:
                    cur.execute(sql.SQL("create database {}").format(sql.Identifier(db)))
                except Exception as exc:
                    print(
                        f"could not create database {db}: {str(exc).strip()} "
                        "(the role needs CREATEDB, or create it by hand)",
                        file=sys.stderr,
                    )
                    return 1
                print(f"database {db} created")
    conn.close()
    for db in dbs:
        conn = _pg_connect(url, db)
        with conn.cursor() as cur:
            cur.execute("select extversion from pg_extension where extname = 'postgis'")
            row = cur.fetchone()
            if row:
                print(f"database {db}: postgis {row[0]}")
                continue
            try:
                cur.execute("create extension if not exists postgis")
            except Exception as exc:
                print(
                    f"could not create extension postgis in {db}: {str(exc).strip()} "
                    "(needs a superuser, or run CREATE EXTENSION postgis as one)",
                    file=sys.stderr,
                )
                return 1
            cur.execute("select extversion from pg_extension where extname = 'postgis'")
            print(f"database {db}: postgis {cur.fetchone()[0]} (extension created)")
        conn.close()
    return 0


def alembic_at_head(url: str, migrations_dir: str) -> int:
    """Exit 0 when the database's alembic_version equals the heads of migrations_dir (no app import)."""
    try:
        from alembic.script import ScriptDirectory

        heads = set(ScriptDirectory(migrations_dir).get_heads())
        conn = _pg_connect(url, urlsplit(url).path.lstrip("/"))
        with conn.cursor() as cur:
            cur.execute("select to_regclass('alembic_version') is not null")
            current = set()
            if cur.fetchone()[0]:
                cur.execute("select version_num from alembic_version")
                current = {row[0] for row in cur.fetchall()}
        conn.close()
    except Exception as exc:
        print(f"could not compare revisions: {exc}", file=sys.stderr)
        return 1
    return 0 if heads and heads == current else 1


def redis_base(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("redis", "rediss"):
        raise SystemExit(f"not a Redis URL (expected redis://host:port): {redact(url)}")
    return urlunsplit((parts.scheme, parts.netloc, "", parts.query, ""))


def redis_probe(url: str) -> int:
    import redis

    try:
        client = redis.Redis.from_url(redis_base(url), socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        info = client.info("server")
    except Exception as exc:
        print(str(exc).strip() or repr(exc), file=sys.stderr)
        return 1
    print(info.get("redis_version", "?"))
    return 0


def is_local(url: str) -> int:
    import ipaddress
    import socket

    host = urlsplit(url).hostname or ""
    if host in ("", "localhost", socket.gethostname(), socket.getfqdn()) or host.startswith("/"):
        return 0
    try:
        return 0 if ipaddress.ip_address(host).is_loopback else 1
    except ValueError:
        return 1


def _dotenv_key(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith("export "):
        stripped = stripped[len("export ") :].lstrip()
    key, sep, _ = stripped.partition("=")
    return key.strip() if sep else None


def _read_lines(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return fh.read().splitlines()


def _write_lines(path: str, lines: list[str]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    wanted = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"bad KEY=value: {pair}")
        wanted[key] = value
    return wanted


def env_update(path: str, pairs: list[str]) -> int:
    wanted = _parse_pairs(pairs)
    out, seen, changed = [], set(), []
    for line in _read_lines(path):
        key = _dotenv_key(line)
        if key not in wanted:
            out.append(line)
            continue
        if key in seen:  # a duplicate of a managed key: drop it
            changed.append(key)
            continue
        seen.add(key)
        out.append(f"{key}={wanted[key]}")
        if out[-1] != line:
            changed.append(key)
    for key, value in wanted.items():
        if key not in seen:
            out.append(f"{key}={value}")
            changed.append(key)
    if not changed and os.path.exists(path):
        print("unchanged")
        return 0
    _write_lines(path, out)
    print("updated " + ", ".join(dict.fromkeys(changed)))
    return 0


def _new_secret(kind: str) -> str:
    import base64
    import secrets

    if kind == "key32":  # 32 random bytes, base64url (AES-256 / HMAC / Ed25519 seed)
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    if kind == "token":
        return secrets.token_urlsafe(48)
    raise SystemExit(f"unknown secret kind {kind!r} (token or key32)")


def env_secrets(path: str, specs: list[str]) -> int:
    """Add KEY=<random> for each KEY[:kind] not already in the file or the environment; never replace."""
    lines = _read_lines(path)
    present = {_dotenv_key(line) for line in lines}
    added, kept = [], []
    for spec in specs:
        key, _, kind = spec.partition(":")
        if key in present or os.environ.get(key):
            kept.append(key)
            continue
        lines.append(f"{key}={_new_secret(kind or 'token')}")
        added.append(key)
    if added:
        _write_lines(path, lines)
        print("generated " + ", ".join(added))
    else:
        print("kept")
    return 0


def with_env(path: str, cmd: list[str]) -> int:
    if not cmd:
        raise SystemExit("with-env: no command given")
    if os.path.exists(path):
        from dotenv import dotenv_values

        for key, value in dotenv_values(path).items():
            if value is not None:
                os.environ[key] = value
    else:
        print(f"warning: {path} not found; run `make setup` first", file=sys.stderr)
    os.execvp(cmd[0], cmd)
    return 127  # not reached


def _printed(func):
    def run(*args):
        print(func(*args))
        return 0

    return run


COMMANDS = {
    "pg-base": (1, _printed(pg_base)),
    "pg-url": (2, _printed(pg_url)),
    "pg-probe": (1, pg_probe),
    "pg-ensure-dbs": (1, lambda url, *dbs: pg_ensure_dbs(url, list(dbs))),
    "alembic-at-head": (2, alembic_at_head),
    "redis-base": (1, _printed(redis_base)),
    "redis-probe": (1, redis_probe),
    "is-local": (1, is_local),
    "redact": (1, _printed(redact)),
    "env-update": (1, lambda path, *pairs: env_update(path, list(pairs))),
    "env-secrets": (1, lambda path, *specs: env_secrets(path, list(specs))),
    "with-env": (2, lambda path, *cmd: with_env(path, list(cmd))),
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS or len(argv) - 1 < COMMANDS[argv[0]][0]:
        print(__doc__, file=sys.stderr)
        return 2
    return COMMANDS[argv[0]][1](*argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
