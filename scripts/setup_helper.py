"""Small helpers for scripts/setup.sh (run with the project's .venv python).

Subcommands (all print to stdout, errors to stderr, exit 0 on success):
  pg-base URL              normalise a PostgreSQL URL to its server part: postgresql://user:pw@host:port?query
  pg-probe URL             exit 0 if the server answers (prints "server_version_num postgis_available(0|1)")
  pg-ensure-dbs URL DB...  create the databases if missing and CREATE EXTENSION IF NOT EXISTS postgis in each
  pg-url URL DB DRIVER     print URL for database DB with scheme "postgresql+DRIVER"
  redis-base URL           normalise a Redis URL to its server part (no db number)
  redis-probe URL          exit 0 if the server answers PING
  is-local URL             exit 0 if the URL's host is this machine (socket, localhost, 127.0.0.0/8, ::1)
  redact URL               print URL with the password replaced by ***
  env-update FILE K=V...   add/update the given keys in a dotenv file, keeping every other line
  env-secret FILE KEY      add KEY=<random secret> to the dotenv file unless KEY is already there or in the environment
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
    for name in ([db] if db else MAINTENANCE_DBS):
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
    except Exception as exc:  # noqa: BLE001 - report any failure as "did not answer"
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
                except Exception as exc:  # noqa: BLE001
                    print(f"could not create database {db}: {str(exc).strip()} "
                          "(the role needs CREATEDB, or create it by hand)", file=sys.stderr)
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
            except Exception as exc:  # noqa: BLE001
                print(f"could not create extension postgis in {db}: {str(exc).strip()} "
                      "(needs a superuser, or run CREATE EXTENSION postgis as one)", file=sys.stderr)
                return 1
            cur.execute("select extversion from pg_extension where extname = 'postgis'")
            print(f"database {db}: postgis {cur.fetchone()[0]} (extension created)")
        conn.close()
    return 0


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
    except Exception as exc:  # noqa: BLE001
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
        stripped = stripped[len("export "):].lstrip()
    key, sep, _ = stripped.partition("=")
    return key.strip() if sep else None


def env_update(path: str, pairs: list[str]) -> int:
    wanted = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"bad KEY=value: {pair}")
        wanted[key] = value
    lines = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    out, seen, changed = [], set(), []
    for line in lines:
        key = _dotenv_key(line)
        if key in wanted:
            if key in seen:  # drop duplicates of a managed key
                changed.append(key)
                continue
            seen.add(key)
            new = f"{key}={wanted[key]}"
            if line != new:
                changed.append(key)
            out.append(new)
        else:
            out.append(line)
    for key, value in wanted.items():
        if key not in seen:
            out.append(f"{key}={value}")
            changed.append(key)
    if not changed and os.path.exists(path):
        print("unchanged")
        return 0
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    print("updated " + ", ".join(dict.fromkeys(changed)))
    return 0


def env_secret(path: str, key: str) -> int:
    import secrets

    present = False
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            present = any(_dotenv_key(line) == key for line in fh.read().splitlines())
    if present or os.environ.get(key):
        print(f"{key} kept")
        return 0
    lines = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    lines.append(f"{key}={secrets.token_urlsafe(48)}")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    print(f"{key} generated")
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


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "pg-base":
        print(pg_base(args[0]))
    elif cmd == "pg-url":
        print(pg_url(args[0], args[1], args[2] if len(args) > 2 else ""))
    elif cmd == "pg-probe":
        return pg_probe(args[0])
    elif cmd == "pg-ensure-dbs":
        return pg_ensure_dbs(args[0], args[1:])
    elif cmd == "redis-base":
        print(redis_base(args[0]))
    elif cmd == "redis-probe":
        return redis_probe(args[0])
    elif cmd == "is-local":
        return is_local(args[0])
    elif cmd == "redact":
        print(redact(args[0]))
    elif cmd == "env-update":
        return env_update(args[0], args[1:])
    elif cmd == "env-secret":
        return env_secret(args[0], args[1])
    elif cmd == "with-env":
        return with_env(args[0], args[1:])
    else:
        print(f"unknown subcommand {cmd}\n{__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
