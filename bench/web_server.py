"""Compare web-server modes for the Socket.IO console: gunicorn + gevent (the Procfile)
against gunicorn gthread (threading + simple-websocket).

N authenticated consoles each make acknowledged `whoami` calls back to back for D
seconds; prints one JSON line per mode: calls/s, latency p50/p95/p99 and server CPU.

    scripts/with-env.sh .venv/bin/python bench/web_server.py --clients 200 --seconds 10
Needs the demo city (`flask seed-demo`) for the dispatcher account.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import free_port, stop, wait_until_healthy  # noqa: E402

MODES = {
    "gevent": [".venv/bin/gunicorn", "-c", "backend/gunicorn_conf.py", "backend.app:create_app()"],
    "gthread": [
        ".venv/bin/gunicorn",
        "-w",
        "1",
        "-k",
        "gthread",
        "--threads",
        "200",
        "--timeout",
        "60",
        "backend.app:create_app()",
    ],
}


def start(mode, port):
    env = {**os.environ, "PORT": str(port), "SOCKETIO_ASYNC_MODE": "threading"}
    command = MODES[mode] + (["--bind", f"127.0.0.1:{port}"] if mode == "gthread" else [])
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def login(url):
    body = {"email": "dispatcher@gridwork.demo", "password": "gridwork-demo"}
    return requests.post(f"{url}/api/v1/auth/login", json=body, timeout=10).json()["access_token"]


async def console(url, token, stop_at, latencies):
    client = socketio.AsyncClient()
    await client.connect(url, namespaces=["/console"], auth={"token": token}, transports=["websocket"], wait_timeout=30)
    while time.monotonic() < stop_at:
        sent = time.perf_counter()
        await client.call("whoami", namespace="/console", timeout=10)
        latencies.append(time.perf_counter() - sent)
    await client.disconnect()


async def drive(url, token, clients, seconds):
    latencies = []
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(console(url, token, stop_at, latencies) for _ in range(clients)))
    return latencies


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def measure(mode, clients, seconds):
    port = free_port()
    server = start(mode, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        processes = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
        for p in processes:
            p.cpu_percent()
        latencies = asyncio.run(drive(url, login(url), clients, seconds))
        cpu = sum(p.cpu_percent() for p in processes)
    finally:
        stop(server)
    return {
        "mode": mode,
        "clients": clients,
        "seconds": seconds,
        "calls": len(latencies),
        "calls_per_s": round(len(latencies) / seconds),
        "server_cpu_pct": round(cpu),
        **{f"p{int(q * 100)}_ms": round(percentile(latencies, q) * 1000, 1) for q in (0.5, 0.95, 0.99)},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--modes", default="gevent,gthread")
    args = parser.parse_args()
    for mode in args.modes.split(","):
        print(json.dumps(measure(mode, args.clients, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
