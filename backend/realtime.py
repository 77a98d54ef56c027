"""Socket.IO: the console namespace (dispatchers); the technician namespace's handlers live in
mobile_api/sockets.py and are registered by mobile_api.init_app. Both authenticate at connect.
This module imports no routes or handlers (arrows point from mobile_api to here, never back).

Rooms on /console: every console joins STAFF_ROOM (announcements) and f"user:{id}".
Region-scoped events (positions, technician status, order status, plan progress) go to
f"region:{id}" for the regions concerned plus ALL_REGIONS_ROOM: a dispatcher joins the
rooms of the regions assigned to them in `dispatcher_regions` and of every region inside
those; a platform admin joins ALL_REGIONS_ROOM. Use `emit_to_regions()`.

Positions are coalesced: handlers hand the newest position of a technician to
`PositionFeed`, which emits one "positions" event ({items: [...]}) per group of rooms
every TRACK_CONSOLE_FLUSH_MS. At thousands of fixes a second that is a few messages on
the Redis queue instead of one per fix.

Web processes share rooms through the Redis message queue; workers and CLI
commands emit through `external_emitter()` without running a server.
"""

import logging
import threading
import time

from flask import current_app, request
from flask_jwt_extended import decode_token
from flask_socketio import SocketIO, join_room

from backend import socket_json
from backend.extensions import db, socketio
from backend.models import User
from backend.places.tree import managed_region_ids

CONSOLE = "/console"
TECHNICIAN = "/technician"  # the phones' namespace (mobile_api/sockets.py)
STAFF_ROOM = "staff"
ALL_REGIONS_ROOM = "regions:all"
log = logging.getLogger(__name__)


def init_app(app):
    queue_url = app.config["REDIS_URL"] if app.config["SOCKETIO_MESSAGE_QUEUE"] else None
    socketio.init_app(
        app,
        message_queue=queue_url,
        channel=queue_channel(app.config["REDIS_URL"]),
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=[],
        json=socket_json,  # orjson: every packet is encoded or decoded here
        serializer=socket_json.Packet,
        # WebSocket only, no long-polling: a connection is one TCP stream, so any web process
        # (gunicorn worker) behind a plain, non-sticky load balancer can serve it.
        transports=["websocket"],
        ping_interval=app.config["SOCKET_PING_INTERVAL_S"],
        ping_timeout=app.config["SOCKET_PING_TIMEOUT_S"],
        # A connection's events run in its own reader, one after the other, instead of in a new
        # greenlet each: a phone waits for each ack anyway, and no handler waits on its client.
        async_handlers=False,
    )
    app.wsgi_app = _without_websocket_compression(app.wsgi_app)
    socketio.on_event("connect", _console_connect, namespace=CONSOLE)
    socketio.on_event("whoami", _whoami, namespace=CONSOLE)
    socketio.on_event("rooms", _my_rooms, namespace=CONSOLE)
    socketio.on_error(CONSOLE)(_console_error)


def _without_websocket_compression(wsgi_app):
    """Hide a client's permessage-deflate offer from simple-websocket, which would accept it: our
    frames are small (an ack, a batch of fixes), and deflate (wsproto, measured) costs about 60 µs
    of CPU per message and 0.1 MB of memory per connection: thousands of phones."""

    def app(environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return app


def user_from_socket_auth(auth) -> User | None:
    """The active user behind {'token': <access JWT>}, or None."""
    token = (auth or {}).get("token") if isinstance(auth, dict) else None
    if not token:
        return None
    try:
        claims = decode_token(token)
    except Exception:  # any decoding problem means "not signed in"
        return None
    if claims.get("type") != "access":
        return None
    user = db.session.get(User, int(claims["sub"]))
    return user if user and user.is_active else None


def _console_connect(auth=None):
    user = user_from_socket_auth(auth)
    if user is None or user.role not in ("platform_admin", "dispatcher"):
        raise ConnectionRefusedError("unauthorized: a dispatcher's access token is required")
    join_room(STAFF_ROOM)
    join_room(f"user:{user.id}")
    for room in console_rooms(user):
        join_room(room)
    request.environ["gridwork.user_id"] = user.id


def console_rooms(user: User) -> list[str]:
    """The region rooms a console joins: all for a platform admin, else the managed regions' trees."""
    if user.role == "platform_admin":
        return [ALL_REGIONS_ROOM]
    return [region_room(r) for r in sorted(managed_region_ids(user.id))]


def region_room(region_id: int) -> str:
    return f"region:{region_id}"


def region_rooms(region_ids) -> list[str]:
    """Where a region-scoped event goes: each region's room and the admins' room."""
    return [*(region_room(r) for r in region_ids), ALL_REGIONS_ROOM]


def emit_to_regions(event: str, data, region_ids, emitter: SocketIO | None = None) -> None:
    """Send a region-scoped console event (from a web process, or a worker with external_emitter())."""
    (emitter or socketio).emit(event, data, to=region_rooms(region_ids), namespace=CONSOLE)


def _whoami(_data=None):
    """Who this console is."""
    return {"user_id": request.environ.get("gridwork.user_id")}


def _my_rooms(_data=None):
    """The rooms this console is in (region rooms tell what it will receive)."""
    from flask_socketio import rooms

    return sorted(r for r in rooms(namespace=CONSOLE) if r != request.sid)


def _console_error(exc):
    if isinstance(exc, ConnectionRefusedError):
        raise exc  # a refusal must reach the client, not become an error reply
    log.exception("console socket error")
    return {"error": "internal error"}


def external_emitter() -> SocketIO:
    """An emitter for workers and CLI commands: messages go through Redis to the web processes."""
    url = current_app.config["REDIS_URL"]
    return SocketIO(message_queue=url, channel=queue_channel(url))


def queue_channel(redis_url: str) -> str:
    """The message-queue channel, one per Redis database: pub/sub ignores the database number, so
    two deployments (or test runs) on one Redis server would otherwise hear each other."""
    from redis.connection import parse_url

    return f"gridwork-socketio-{parse_url(redis_url).get('db', 0)}"


class PositionFeed:
    """Newest position per technician, flushed to the consoles' region rooms on a timer.

    Throttled per technician: one update per TRACK_CONSOLE_INTERVAL_MS at most; a newer
    position waits for the next allowed flush (newest wins, `n` counts the fixes since the
    last update), so the console never keeps a stale position.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[tuple, dict]] = {}
        self._last_sent: dict[int, float] = {}
        self._throttle_s = 1.0
        self._started = False

    def add(self, region_ids, payload: dict) -> None:
        """Queue a technician's newest position for its regions' consoles."""
        technician_id = payload["technician_id"]
        with self._lock:
            previous = self._pending.get(technician_id)
            if previous:
                payload = {**payload, "n": previous[1]["n"] + payload["n"]}
            self._pending[technician_id] = (tuple(sorted(region_ids)), payload)
        self._ensure_started()

    def flush(self, now: float | None = None) -> int:
        """Emit the positions whose technician may be updated now; returns how many."""
        now = time.monotonic() if now is None else now
        groups: dict[tuple, list] = {}
        with self._lock:
            for technician_id, (region_ids, payload) in list(self._pending.items()):
                if now - self._last_sent.get(technician_id, -1e9) >= self._throttle_s:
                    groups.setdefault(region_ids, []).append(payload)
                    self._last_sent[technician_id] = now
                    del self._pending[technician_id]
        for region_ids, items in groups.items():
            emit_to_regions("positions", {"items": items}, region_ids)
        return sum(len(items) for items in groups.values())

    def clear(self) -> None:
        """Forget pending updates and throttling (tests reuse technician ids)."""
        with self._lock:
            self._pending.clear()
            self._last_sent.clear()

    def _ensure_started(self) -> None:
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            self._started = True
            self._throttle_s = current_app.config["TRACK_CONSOLE_INTERVAL_MS"] / 1000.0
        socketio.start_background_task(self._run, current_app.config["TRACK_CONSOLE_FLUSH_MS"] / 1000.0)

    def _run(self, interval: float) -> None:
        while True:
            socketio.sleep(interval)
            try:
                self.flush()
            except Exception:  # a failed emit must not stop the feed
                log.exception("position feed flush failed")


position_feed = PositionFeed()
