"""CPU seconds of a PostgreSQL backend (the process serving one connection), for benches that
report CPU next to wall time: unlike the seconds, CPU does not grow with other work on a
shared machine. Only when the server runs on this machine."""

import psutil


def backend_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of the backend with this pid (`SELECT pg_backend_pid()`), or None
    when it is not a process here (a remote server)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system
