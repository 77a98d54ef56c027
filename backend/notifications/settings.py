"""Settings of the notification capability, with their defaults.

Read from the app config first, then the environment, then the default here (so the
capability needs no edit of backend/config.py). The defaults point at the push sandbox
(`push-sandbox` in the Procfile); production sets the providers' real URLs and keys:
PUSH_JPUSH_URL=https://api.jpush.cn/v3/push, PUSH_FCM_URL=https://fcm.googleapis.com,
PUSH_FCM_TOKEN_URL=https://oauth2.googleapis.com/token.
"""

import os

from flask import current_app

SANDBOX = "http://127.0.0.1:8090"
DEFAULTS = {
    "PUSH_JPUSH_URL": f"{SANDBOX}/v3/push",
    "PUSH_JPUSH_APP_KEY": "sandbox-app-key",
    "PUSH_JPUSH_MASTER_SECRET": "sandbox-master-secret",
    "PUSH_JPUSH_APNS_PRODUCTION": "false",
    "PUSH_FCM_URL": SANDBOX,
    "PUSH_FCM_TOKEN_URL": f"{SANDBOX}/token",
    "PUSH_FCM_PROJECT_ID": "gridwork-sandbox",
    "PUSH_FCM_CLIENT_EMAIL": "push@gridwork-sandbox.iam.gserviceaccount.com",
    "PUSH_FCM_PRIVATE_KEY": "",  # PEM; empty: a key made at first use (sandbox only)
    "PUSH_TIMEOUT_S": "10",
    "PUSH_TTL_S": "600",
    # An urgent assignment not acknowledged in the app within this many seconds goes out by SMS.
    "NOTIFY_URGENT_SMS_AFTER_S": "90",
}


def setting(name: str) -> str:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name, DEFAULTS[name])
    return str(value)


def int_setting(name: str) -> int:
    return int(setting(name))
