"""The push interface and its adapters.

`PushAdapter.send(token, message)` makes one provider call for one device and says what
became of it: delivered, the token is dead (unregistered/invalid: the caller drops the
device), or failed (anything else; the device stays).

- `JPushAdapter`: a JPush-style aggregator's REST API (v3 /push): HTTP Basic with the app key
  and master secret, `audience.registration_id`, a notification (shown by the system tray)
  plus a message (handed to the running app), and per-vendor channel options so the phone
  makers' own push channels (Xiaomi, Huawei, OPPO, vivo, Honor) classify work as work.
- `FcmAdapter`: FCM's HTTP v1 API: a service-account JWT (RS256) exchanged at the OAuth2
  token endpoint for an access token (cached in Redis until shortly before it expires),
  then `projects/{id}/messages:send`.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.notifications.settings import int_setting, setting
from backend.redis_client import get_redis

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_TOKEN_KEY = "gridwork:push:fcm:access_token"
JPUSH_NO_SUCH_AUDIENCE = 1011  # "cannot find user by this audience": the registration id is gone
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    data: dict[str, str]  # the ids the app fetches over REST; string values (FCM requires it)
    urgent: bool = False
    collapse_key: str | None = None


@dataclass
class PushResult:
    outcome: str  # "delivered" | "dead_token" | "failed"
    status: int | None = None
    provider_id: str | None = None
    error: str | None = None
    extra: dict = field(default_factory=dict)


class PushAdapter(Protocol):
    def send(self, token: str, message: PushMessage) -> PushResult: ...


def adapter_for(provider: str) -> PushAdapter:
    return {"jpush": JPushAdapter, "fcm": FcmAdapter}[provider]()


# --- JPush-style aggregator ----------------------------------------------------------------------


class JPushAdapter:
    def send(self, token: str, message: PushMessage) -> PushResult:
        try:
            response = requests.post(
                setting("PUSH_JPUSH_URL"),
                json=jpush_payload(token, message),
                auth=(setting("PUSH_JPUSH_APP_KEY"), setting("PUSH_JPUSH_MASTER_SECRET")),
                timeout=int_setting("PUSH_TIMEOUT_S"),
            )
        except requests.RequestException as exc:
            return PushResult("failed", error=str(exc)[:300])
        body = _json(response)
        if response.status_code == 200:
            return PushResult("delivered", 200, provider_id=str(body.get("msg_id")))
        error = body.get("error") or {}
        outcome = "dead_token" if error.get("code") == JPUSH_NO_SUCH_AUDIENCE else "failed"
        return PushResult(outcome, response.status_code, error=f"{error.get('code')}: {error.get('message')}")


def jpush_payload(token: str, message: PushMessage) -> dict:
    extras = dict(message.data)
    importance = "HIGH" if message.urgent else "NORMAL"
    return {
        "platform": "all",
        "audience": {"registration_id": [token]},
        "notification": {
            "android": {
                "alert": message.body,
                "title": message.title,
                "priority": 2 if message.urgent else 0,
                "category": "call" if message.urgent else "msg",
                "extras": extras,
            },
            "ios": {
                "alert": {"title": message.title, "body": message.body},
                "sound": "default",
                "interruption-level": "time-sensitive" if message.urgent else "active",
                "extras": extras,
            },
        },
        "message": {"msg_content": message.body, "title": message.title, "content_type": "json", "extras": extras},
        "options": {
            "time_to_live": int_setting("PUSH_TTL_S"),
            "apns_production": setting("PUSH_JPUSH_APNS_PRODUCTION").lower() == "true",
            **({"apns_collapse_id": message.collapse_key} if message.collapse_key else {}),
            # Vendor channels: work notifications are service messages, not marketing.
            "third_party_channel": {
                "xiaomi": {"distribution": "secondary_push", "channel_id": "gridwork_work"},
                "huawei": {"distribution": "secondary_push", "importance": importance, "category": "WORK"},
                "honor": {"distribution": "secondary_push", "importance": importance},
                "oppo": {"distribution": "secondary_push", "channel_id": "gridwork_work"},
                "vivo": {"distribution": "secondary_push", "classification": 1},
            },
        },
    }


# --- FCM HTTP v1 ---------------------------------------------------------------------------------


class FcmAdapter:
    def send(self, token: str, message: PushMessage) -> PushResult:
        url = f"{setting('PUSH_FCM_URL')}/v1/projects/{setting('PUSH_FCM_PROJECT_ID')}/messages:send"
        try:
            response = self._post(url, {"message": fcm_message(token, message)})
            if response.status_code == 401:  # the cached access token was revoked: get a new one once
                get_redis().delete(FCM_TOKEN_KEY)
                response = self._post(url, {"message": fcm_message(token, message)})
        except requests.RequestException as exc:
            return PushResult("failed", error=str(exc)[:300])
        body = _json(response)
        if response.status_code == 200:
            return PushResult("delivered", 200, provider_id=body.get("name"))
        return _fcm_failure(response.status_code, body.get("error") or {})

    def _post(self, url, body):
        return requests.post(
            url,
            json=body,
            headers={"Authorization": f"Bearer {access_token()}"},
            timeout=int_setting("PUSH_TIMEOUT_S"),
        )


def fcm_message(token: str, message: PushMessage) -> dict:
    return {
        "token": token,
        "notification": {"title": message.title, "body": message.body},
        "data": {k: str(v) for k, v in message.data.items()},
        "android": {
            "priority": "HIGH" if message.urgent else "NORMAL",
            "ttl": f"{int_setting('PUSH_TTL_S')}s",
            **({"collapse_key": message.collapse_key} if message.collapse_key else {}),
            "notification": {"channel_id": "gridwork_urgent" if message.urgent else "gridwork_work"},
        },
        "apns": {"headers": {"apns-priority": "10" if message.urgent else "5"}},
    }


def _fcm_failure(status: int, error: dict) -> PushResult:
    codes = {d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)}
    text = f"{error.get('status')}: {error.get('message')}"
    # UNREGISTERED: the app was uninstalled or the token expired; INVALID_ARGUMENT about the
    # token: it never was one. Either way the device is dropped.
    dead = "UNREGISTERED" in codes or ("INVALID_ARGUMENT" in codes and "token" in str(error.get("message")).lower())
    return PushResult("dead_token" if dead else "failed", status, error=text, extra={"codes": sorted(codes)})


def access_token() -> str:
    """An OAuth2 access token for FCM, cached until a minute before it expires."""
    redis = get_redis()
    cached = redis.get(FCM_TOKEN_KEY)
    if cached:
        return cached.decode()
    now = int(time.time())
    claims = {
        "iss": setting("PUSH_FCM_CLIENT_EMAIL"),
        "scope": FCM_SCOPE,
        "aud": setting("PUSH_FCM_TOKEN_URL"),
        "iat": now,
        "exp": now + 3600,
    }
    assertion = jwt.encode(claims, _private_key(), algorithm="RS256")
    response = requests.post(
        setting("PUSH_FCM_TOKEN_URL"),
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        timeout=int_setting("PUSH_TIMEOUT_S"),
    )
    response.raise_for_status()
    body = response.json()
    redis.set(FCM_TOKEN_KEY, body["access_token"], ex=max(int(body.get("expires_in", 3600)) - 60, 1))
    return body["access_token"]


_SANDBOX_KEY = {}


def _private_key() -> str:
    pem = setting("PUSH_FCM_PRIVATE_KEY")
    if pem:
        return pem
    # No service account configured (development against the sandbox): a throwaway key.
    if "pem" not in _SANDBOX_KEY:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _SANDBOX_KEY["pem"] = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    return _SANDBOX_KEY["pem"]


def _json(response) -> dict:
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {}
