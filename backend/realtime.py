"""Socket.IO: the console namespace, authenticated at connect.

Web processes share rooms through the Redis message queue; workers and CLI
commands emit through `external_emitter()` without running a server.
"""

import logging

from flask import current_app, request
from flask_jwt_extended import decode_token
from flask_socketio import SocketIO, join_room

from backend.extensions import db, socketio
from backend.models import User

CONSOLE = "/console"
STAFF_ROOM = "staff"
log = logging.getLogger(__name__)


def init_app(app):
    queue_url = app.config["REDIS_URL"] if app.config["SOCKETIO_MESSAGE_QUEUE"] else None
    socketio.init_app(
        app, message_queue=queue_url, async_mode=app.config["SOCKETIO_ASYNC_MODE"], cors_allowed_origins=[]
    )
    socketio.on_event("connect", _console_connect, namespace=CONSOLE)
    socketio.on_event("whoami", _whoami, namespace=CONSOLE)
    socketio.on_error(CONSOLE)(_console_error)


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
    request.environ["gridwork.user_id"] = user.id


def _whoami(_data=None):
    return {"user_id": request.environ.get("gridwork.user_id")}


def _console_error(exc):
    if isinstance(exc, ConnectionRefusedError):
        raise exc  # a refusal must reach the client, not become an error reply
    log.exception("console socket error")
    return {"error": "internal error"}


def external_emitter() -> SocketIO:
    """An emitter for workers and CLI commands: messages go through Redis to the web processes."""
    return SocketIO(message_queue=current_app.config["REDIS_URL"])
