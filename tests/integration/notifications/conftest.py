"""Notification fixtures: the push sandbox started as its Procfile line (a live process),
the app pointed at it with a real RSA service-account key, and SMS captured in memory."""

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests import live
from tests.integration.notifications import sms_capture
from tests.integration.orders.conftest import _fast_passwords, world  # noqa: F401  (shared fixtures)


@pytest.fixture(scope="session")
def service_account_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="session")
def push_sandbox_process(service_account_key):
    port = live.free_port()
    process = live.start("push-sandbox", PUSH_SANDBOX_PORT=port, PUSH_SANDBOX_FCM_PUBLIC_KEY=service_account_key[1])
    url = f"http://127.0.0.1:{port}"
    try:
        live.wait_until_healthy(url, process)
        yield url
    finally:
        live.stop(process)


@pytest.fixture
def sandbox(app, push_sandbox_process, service_account_key, monkeypatch):
    """The app talks to the sandbox for this test; calls and dead tokens start empty."""
    url = push_sandbox_process
    requests.delete(f"{url}/sandbox/calls", timeout=5)
    settings = {
        "PUSH_JPUSH_URL": f"{url}/v3/push",
        "PUSH_FCM_URL": url,
        "PUSH_FCM_TOKEN_URL": f"{url}/token",
        "PUSH_FCM_PRIVATE_KEY": service_account_key[0],
        "SMS_PROVIDER": "tests.integration.notifications.sms_capture:RecordingSms",
    }
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    sms_capture.SENT.clear()
    return Sandbox(url)


class Sandbox:
    def __init__(self, url):
        self.url = url

    def calls(self, token=None):
        params = {"token": token} if token else {}
        return requests.get(f"{self.url}/sandbox/calls", params=params, timeout=5).json()["items"]

    def kill_token(self, token):
        requests.put(f"{self.url}/sandbox/dead/{token}", timeout=5).raise_for_status()
