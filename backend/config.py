"""Settings, read only from the environment (documented in README.md).

Each helper reads one variable and converts it; a missing required value stops
start-up with a message naming the variable.
"""

import os


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def env_str(name, default=None, *, required=False):
    value = os.environ.get(name, default)
    if required and not value:
        raise ConfigError(f"{name} is not set: export it or add it to .env (see README, Settings)")
    return value


def env_int(name, default):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def load_settings(environment=None):
    """Return the Flask config mapping for GRIDWORK_ENV (development, production, testing)."""
    environment = environment or env_str("GRIDWORK_ENV", "development")
    testing = environment == "testing"
    database_var = "TEST_DATABASE_URL" if testing else "DATABASE_URL"
    redis_var = "TEST_REDIS_URL" if testing else "REDIS_URL"
    settings = {
        "GRIDWORK_ENV": environment,
        "TESTING": testing,
        "SQLALCHEMY_DATABASE_URI": env_str(database_var, required=True),
        "REDIS_URL": env_str(redis_var, required=True),
        "SECRET_KEY": _secret_key(environment),
        "JWT_ACCESS_TOKEN_EXPIRES": env_int("JWT_ACCESS_MINUTES", 15) * 60,
        "JWT_REFRESH_TOKEN_EXPIRES": env_int("JWT_REFRESH_DAYS", 30) * 86400,
        "SOCKETIO_ASYNC_MODE": env_str("SOCKETIO_ASYNC_MODE", "threading"),
        "SOCKETIO_MESSAGE_QUEUE": env_bool("SOCKETIO_MESSAGE_QUEUE", True),
        "MAX_CONTENT_LENGTH": env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PUBLIC_BASE_URL": env_str("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        **_workforce_settings(environment),
        **_orders_settings(environment),
        **_tracking_settings(),
    }
    settings["JWT_SECRET_KEY"] = settings["SECRET_KEY"]
    return settings


def _secret_key(environment):
    # Tests get a fixed key so tokens are reproducible; every other mode must be given one.
    if environment == "testing":
        return env_str("SECRET_KEY", "testing-only-secret-key-not-for-use-anywhere-else")
    key = env_str("SECRET_KEY", required=True)
    if environment == "production" and len(key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production")
    return key


# Fixed, test-only key material (32 bytes each, base64url): never valid outside testing.
_TEST_KEYS = {
    "PII_ENCRYPTION_KEY": "dGVzdGluZy1vbmx5LXBpaS1lbmNyeXB0aW9uLWtleSE=",
    "PII_HASH_KEY": "dGVzdGluZy1vbmx5LXBpaS1obWFjLWxvb2t1cC1rZXk=",
    "PLATFORM_SIGNING_KEY": "dGVzdGluZy1vbmx5LWVkMjU1MTktc2lnbmluZy1zZWU=",
}


def _workforce_settings(environment):
    """Keys for personal data and agreement signing, the SMS provider and upload storage."""
    return {
        **{name: _key32(name, environment) for name in _TEST_KEYS},
        "SMS_PROVIDER": env_str("SMS_PROVIDER", "log"),
        "UPLOAD_DIR": env_str("UPLOAD_DIR", "var/test-uploads" if environment == "testing" else "var/uploads"),
    }


def _orders_settings(environment):
    """Work orders: check-in rules, assignment limits, idempotency and webhook delivery."""
    return {
        # Loopback/private webhook URLs are refused (SSRF) unless this development flag allows them.
        "WEBHOOKS_ALLOW_PRIVATE": env_bool("WEBHOOKS_ALLOW_PRIVATE", environment == "testing"),
        "WEBHOOK_RETRY_HOURS": env_int("WEBHOOK_RETRY_HOURS", 24),
        "WEBHOOK_TIMEOUT_S": env_int("WEBHOOK_TIMEOUT_S", 10),
        "CHECKIN_DEFAULT_RADIUS_M": env_int("CHECKIN_DEFAULT_RADIUS_M", 200),
        "CHECKIN_MAX_ACCURACY_M": env_int("CHECKIN_MAX_ACCURACY_M", 50),
        "ORDER_MAX_ACTIVE_PER_TECHNICIAN": env_int("ORDER_MAX_ACTIVE_PER_TECHNICIAN", 3),
        "ORDER_ASSIGN_TIMEOUT_S": env_int("ORDER_ASSIGN_TIMEOUT_S", 120),
        "IDEMPOTENCY_TTL_HOURS": max(24, env_int("IDEMPOTENCY_TTL_HOURS", 48)),
    }


def _key32(name, environment):
    # A 32-byte key, base64url-encoded; tests get a fixed one, every other mode must be given one.
    import base64
    import binascii

    raw = _TEST_KEYS[name] if environment == "testing" else env_str(name, required=True)
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"{name} must be 32 bytes in base64url") from exc
    if len(key) != 32:
        raise ConfigError(f"{name} must be 32 bytes in base64url, got {len(key)} bytes")
    return raw


def _tracking_settings():
    """Live tracking: cleaning limits, retention, console throttling, the map's tile layer."""
    return {
        "TRACK_RETENTION_DAYS": env_int("TRACK_RETENTION_DAYS", 30),
        "TRACK_MAX_AGE_HOURS": env_int("TRACK_MAX_AGE_HOURS", 48),
        "TRACK_MAX_FUTURE_S": env_int("TRACK_MAX_FUTURE_S", 120),
        "TRACK_MAX_ACCURACY_M": env_int("TRACK_MAX_ACCURACY_M", 100),
        "TRACK_MAX_SPEED_KMH": env_int("TRACK_MAX_SPEED_KMH", 200),
        "TRACK_CONSOLE_INTERVAL_MS": env_int("TRACK_CONSOLE_INTERVAL_MS", 1000),
        "TRACK_CONSOLE_FLUSH_MS": env_int("TRACK_CONSOLE_FLUSH_MS", 50),
        "TRACK_STATE_CACHE_MS": env_int("TRACK_STATE_CACHE_MS", 60000),
        # Engine.IO pings (server -> phone): below a load balancer's idle timeout (often 60 s), and
        # interval + timeout within the 90 s online window; half the pings of the 25 s default.
        "SOCKET_PING_INTERVAL_S": env_int("SOCKET_PING_INTERVAL_S", 50),
        "SOCKET_PING_TIMEOUT_S": env_int("SOCKET_PING_TIMEOUT_S", 30),
        "CONSOLE_TILE_URL": env_str("CONSOLE_TILE_URL", ""),
    }
