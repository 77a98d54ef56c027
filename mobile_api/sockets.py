"""The technicians' Socket.IO namespace, /technician (works with the official JS, Android and iOS clients).

Connect with `auth={"token": <access JWT>}` of a technician account; anything else is
refused. Each phone joins f"tech:{technician_id}", where offers and assignments arrive.
Events from the phone:

    location   one fix or a list (or {"fixes": [...]}): {id, time, lat, lon, coord_sys,
               accuracy, speed, heading, altitude, battery, is_mock}; the reply (ack) is
               {accepted: [ids stored], flagged: {id: reason}, rejected: [...]}, or
               {error, message, accepted: []} when refused (off shift, no consent).
               Ids in `accepted` are safe to drop from the phone's buffer: a resend is
               harmless (stored once).
    status     {status: off_shift | on_shift | idle | en_route | on_site}
    heartbeat  keeps the technician online without a fix

Consoles get the newest positions as coalesced "positions" events (backend/realtime.py).
"""

import logging
import time

from flask import request
from flask_socketio import join_room
from sqlalchemy import select

from backend.extensions import db, socketio
from backend.models import Technician
from backend.models.tracking import STATUSES
from backend.realtime import TECHNICIAN, position_feed, user_from_socket_auth
from backend.tracking import ingest as tracking
from backend.tracking import presence
from backend.tracking import state as tracking_state
from backend.tracking.positions import position_json
from backend.tracking.state import Refused

MESSAGES_PER_S = 5  # a phone batches its fixes; five messages a second is plenty
MESSAGE_BURST = 20  # a reconnecting phone may flush its buffer in a few messages
log = logging.getLogger(__name__)


def register(socketio):
    socketio.on_event("connect", _connect, namespace=TECHNICIAN)
    # The hot path goes to python-socketio directly: Flask-SocketIO would build a whole request
    # context per message (cookie session, URL matching), a fifth of the web process's CPU.
    socketio.server.on("location", _location_event, namespace=TECHNICIAN)
    socketio.on_event("status", _status, namespace=TECHNICIAN)
    socketio.on_event("heartbeat", _heartbeat, namespace=TECHNICIAN)
    socketio.on_error(TECHNICIAN)(_error)


def tech_room(technician_id: int) -> str:
    """The room of one technician's phones (offers, assignments)."""
    return f"tech:{technician_id}"


def _connect(auth=None):
    """Authenticate a technician's phone with its access JWT; refuse anyone else."""
    user = user_from_socket_auth(auth)
    technician = user and user.role == "technician" and _technician_of(user.id)
    if not technician:
        raise ConnectionRefusedError("unauthorized: a technician's access token is required")
    request.environ["gridwork.technician_id"] = technician.id
    join_room(tech_room(technician.id))
    tracking_state.listen_for_changes(socketio.start_background_task)
    _mark_online(technician.id)


def _technician_of(user_id: int) -> Technician | None:
    return db.session.scalar(select(Technician).where(Technician.user_id == user_id))


def _me() -> int:
    return request.environ["gridwork.technician_id"]


def _mark_online(technician_id: int) -> None:
    if presence.mark_online(technician_id):
        db.session.commit()
        presence.announce(technician_id, True)


def _location_event(sid, data=None, *_extra):
    """The "location" event in an application context only (no request context, no session)."""
    environ = socketio.server.get_environ(sid, namespace=TECHNICIAN)
    if environ is None:  # the phone is gone
        return None
    with environ["flask.app"].app_context():
        try:
            return _location(environ, data)
        except Exception:  # the same answer as any other event's failure
            log.exception("technician socket error")
            return _internal_error()


def _location(environ: dict, data=None):
    """Take one fix or a batch; reply with the ids stored (valid or flagged) and the flags."""
    me = environ["gridwork.technician_id"]
    if not _within_rate(environ):
        return {"error": "rate_limited", "message": "too many location messages: batch the fixes", "accepted": []}
    claimed = data.get("technician_id") if isinstance(data, dict) else None
    if claimed is not None and str(claimed) != str(me):
        return {"error": "forbidden", "message": "a phone sends only its own positions", "accepted": []}
    try:
        ack = tracking.ingest(me, data, cache=environ.setdefault("gridwork.tracking_state", {}))
    except Refused as exc:
        return {"error": exc.code, "message": exc.message, "accepted": []}
    if ack.moved:
        _to_console(me, ack)
    return ack.as_dict()


def _within_rate(environ: dict, now: float | None = None) -> bool:
    """Token bucket per connection (OWASP API4): MESSAGES_PER_S on average, bursts of MESSAGE_BURST."""
    now = time.monotonic() if now is None else now
    tokens, last = environ.get("gridwork.location_bucket", (MESSAGE_BURST, now))
    tokens = min(MESSAGE_BURST, tokens + (now - last) * MESSAGES_PER_S)
    allowed = tokens >= 1
    environ["gridwork.location_bucket"] = (tokens - 1 if allowed else tokens, now)
    return allowed


def _to_console(technician_id: int, ack) -> None:
    """The newest position to the regions' consoles (coalesced and throttled by the feed)."""
    payload = {"technician_id": technician_id, **position_json(ack.live, ack.status), "n": len(ack.accepted)}
    position_feed.add(ack.regions, payload)


def _status(data=None):
    """Change shift status (on/off shift, idle, en route, on site); recorded as an event."""
    status = data.get("status") if isinstance(data, dict) else data
    if status not in STATUSES:
        return {"error": "invalid", "message": f"status must be one of {', '.join(STATUSES)}"}
    try:
        event = tracking_state.change_status(_me(), status)
    except Refused as exc:
        return {"error": exc.code, "message": exc.message}
    db.session.commit()
    tracking_state.announce_status(_me(), event)
    return {"status": status, "at": event.at.isoformat()}


def _heartbeat(_data=None):
    """Keep the technician online without sending a fix."""
    _mark_online(_me())
    return {"ok": True}


def _error(exc):
    if isinstance(exc, ConnectionRefusedError):
        raise exc
    log.exception("technician socket error")
    if request.event["message"] == "connect":  # never leave a phone connected without its technician
        raise ConnectionRefusedError("internal error; it has been logged: connect again") from exc
    return _internal_error()


def _internal_error() -> dict:
    return {"error": "internal", "message": "internal error; it has been logged"}
