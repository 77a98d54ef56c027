"""The workforce keys are required outside testing, and must be 32 bytes."""

import base64

import pytest

from backend.config import ConfigError, load_settings

KEYS = ("PII_ENCRYPTION_KEY", "PII_HASH_KEY", "PLATFORM_SIGNING_KEY")
GOOD = base64.urlsafe_b64encode(b"k" * 32).decode()


@pytest.fixture
def dev_env(monkeypatch):
    for name, value in {"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql://x/y", "REDIS_URL": "redis://x"}.items():
        monkeypatch.setenv(name, value)
    for name in KEYS:
        monkeypatch.setenv(name, GOOD)
    return monkeypatch


@pytest.mark.parametrize("name", KEYS)
def test_a_missing_key_stops_start_up_naming_it(dev_env, name):
    dev_env.delenv(name)
    with pytest.raises(ConfigError, match=name):
        load_settings("development")


def test_a_key_of_the_wrong_length_is_refused(dev_env):
    dev_env.setenv("PII_HASH_KEY", base64.urlsafe_b64encode(b"short").decode())
    with pytest.raises(ConfigError, match="PII_HASH_KEY must be 32 bytes"):
        load_settings("development")


def test_well_formed_keys_are_accepted(dev_env):
    settings = load_settings("development")
    assert all(settings[name] == GOOD for name in KEYS) and settings["SMS_PROVIDER"] == "log"
