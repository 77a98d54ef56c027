"""The phone's push registration, its notification history and preferences.

`PUT /me/devices` registers (or refreshes) an install's push token; a technician may have
several. Notifications are hints with ids: the app fetches the current state over REST and
acknowledges what it showed, which stops the SMS fallback of urgent work.
"""

from backend.accounts.auth import requires
from backend.extensions import db
from backend.notifications import preferences, service
from backend.notifications.schemas import (
    DeviceIn,
    DeviceList,
    DeviceOut,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    PreferencesIn,
    PreferencesOut,
)
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
TAGS = ["mobile: notifications"]


@mobile.put("/me/devices")
@requires("orders:work")
@mobile.input(DeviceIn, arg_name="body")
@mobile.output(DeviceOut)
@mobile.doc(summary="Register this phone for push", tags=TAGS, security=SECURITY)
def register_device(body):
    """Register or refresh this install's push token (platform, provider, app version)."""
    device = service.register_device(my_technician().id, body)
    db.session.commit()
    return device


@mobile.get("/me/devices")
@requires("orders:work")
@mobile.output(DeviceList)
@mobile.doc(summary="My registered phones", tags=TAGS, security=SECURITY)
def list_devices():
    """Every install that receives my pushes."""
    return {"items": service.devices_of(my_technician().id)}


@mobile.delete("/me/devices/<int:device_id>")
@requires("orders:work")
@mobile.output({}, status_code=204)
@mobile.doc(summary="Stop pushing to a phone", tags=TAGS, security=SECURITY)
def remove_device(device_id):
    """Forget a device (signed out, app removed)."""
    service.remove_device(my_technician().id, device_id)
    db.session.commit()
    return ""


@mobile.get("/me/notifications")
@requires("orders:work")
@mobile.input(NotificationQuery, location="query", arg_name="query")
@mobile.output(NotificationPage)
@mobile.doc(summary="My notifications, newest first", tags=TAGS, security=SECURITY)
def my_notifications(query):
    """What was sent to me and how it went."""
    items, cursor = service.history(my_technician().id, query["limit"], query["cursor"])
    return {"items": items, "next_cursor": cursor}


@mobile.post("/me/notifications/<int:notification_id>/ack")
@requires("orders:work")
@mobile.output(NotificationOut)
@mobile.doc(summary="Acknowledge a notification", tags=TAGS, security=SECURITY)
def acknowledge(notification_id):
    """The app showed it: an urgent one is not sent by SMS any more."""
    row = service.acknowledge(my_technician().id, notification_id)
    db.session.commit()
    return row


@mobile.get("/me/notification-preferences")
@requires("orders:work")
@mobile.output(PreferencesOut)
@mobile.doc(summary="My notification preferences", tags=TAGS, security=SECURITY)
def get_preferences():
    """Quiet hours (in my time zone) and the kinds I turned off."""
    return preferences.preferences_of(my_technician().id)


@mobile.put("/me/notification-preferences")
@requires("orders:work")
@mobile.input(PreferencesIn, arg_name="body")
@mobile.output(PreferencesOut)
@mobile.doc(summary="Set my notification preferences", tags=TAGS, security=SECURITY)
def put_preferences(body):
    """Quiet hours hold back normal notifications until they end; urgent and safety ones still come."""
    prefs = preferences.save(my_technician().id, body)
    db.session.commit()
    return prefs
