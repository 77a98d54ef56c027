"""SMS verification codes.

`SmsProvider` is the interface; SMS_PROVIDER picks one: "log" (development: the
message, code included, goes to the log) or "package.module:ClassName" for a real
gateway, built with the app's config. Codes live only in Redis, as keyed hashes:

    gridwork:sms:code:<purpose>:<phone>   hash {digest, attempts}, TTL CODE_TTL

A code allows MAX_ATTEMPTS wrong guesses, then it is gone; sending is rate-limited
per phone and per address by the caller (backend.rate_limit).
"""

import hashlib
import hmac
import importlib
import logging
import secrets
from typing import Protocol

from flask import current_app

from backend.pii import mask_phone
from backend.redis_client import get_redis

CODE_TTL = 300
MAX_ATTEMPTS = 5
CODE_DIGITS = 6
log = logging.getLogger(__name__)


class SmsProvider(Protocol):
    def send(self, phone: str, message: str) -> None: ...


class LogSmsProvider:
    """Development provider: writes the message to the log instead of sending it."""

    def __init__(self, config=None):
        self.config = config

    def send(self, phone: str, message: str) -> None:
        log.info("SMS to %s: %s", mask_phone(phone), message)


def provider() -> SmsProvider:
    name = current_app.config.get("SMS_PROVIDER", "log")
    if name == "log":
        return LogSmsProvider(current_app.config)
    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)(current_app.config)


def _key(purpose: str, phone: str) -> str:
    return f"gridwork:sms:code:{purpose}:{phone}"


def _digest(code: str) -> str:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), code.encode(), hashlib.sha256).hexdigest()


def send_code(phone: str, purpose: str) -> int:
    """Make a new code (replacing any earlier one), send it, return its lifetime in seconds."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    key = _key(purpose, phone)
    pipe = get_redis().pipeline()
    pipe.delete(key)
    pipe.hset(key, mapping={"digest": _digest(code), "attempts": 0})
    pipe.expire(key, CODE_TTL)
    pipe.execute()
    provider().send(phone, f"Gridwork verification code {code}, valid {CODE_TTL // 60} minutes.")
    return CODE_TTL


def check_code(phone: str, purpose: str, code: str) -> bool:
    """True once for the right code; each wrong guess counts, and the code dies after MAX_ATTEMPTS."""
    redis = get_redis()
    key = _key(purpose, phone)
    digest = redis.hget(key, "digest")
    if digest is None:
        return False
    if hmac.compare_digest(digest.decode(), _digest(code)):
        redis.delete(key)  # single use
        return True
    if redis.hincrby(key, "attempts", 1) >= MAX_ATTEMPTS:
        redis.delete(key)
    return False
