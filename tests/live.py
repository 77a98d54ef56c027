"""Start a Procfile process for real (same command line), pointed at the test services."""

import os
import socket
import subprocess
import tempfile
from pathlib import Path

import requests

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def procfile_command(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise KeyError(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, **env) -> subprocess.Popen:
    environment = {**os.environ, "GRIDWORK_ENV": "testing", **{k: str(v) for k, v in env.items()}}
    # stderr goes to a file: an undrained pipe fills up (64 KiB of logs) and then blocks the
    # process in the middle of a request, with its database transactions open.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        ["bash", "-c", f"exec {procfile_command(name)}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    process.log = log
    return process


def log_tail(process: subprocess.Popen, size: int = 2000) -> str:
    """The end of what the process wrote to stderr."""
    process.log.seek(0, os.SEEK_END)
    process.log.seek(max(0, process.log.tell() - size))
    return process.log.read().decode(errors="replace")


def wait_until_healthy(url: str, process: subprocess.Popen, timeout=30.0):
    wait_until(lambda: _answers(url, process), timeout, 0.2, message=f"{url} did not answer")


def _answers(url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"web process exited: {log_tail(process)}")
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code in (200, 503)
    except requests.RequestException:
        return False


def stop(process: subprocess.Popen):
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
