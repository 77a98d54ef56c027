"""Waiting on a condition instead of sleeping: the one polling helper of the suite."""

import time


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05, message: str = "condition not reached"):
    """Call `predicate` until it returns something truthy and return that; raise AssertionError
    after `timeout` seconds (the last call's answer is in the message)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} within {timeout} s (last: {value!r})")
        time.sleep(interval)
