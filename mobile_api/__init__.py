"""The technician-facing API: REST under /api/mobile/v1 and the Socket.IO namespace /technician."""

from apiflask import APIBlueprint

from backend.accounts.auth import current_actor
from backend.extensions import socketio
from backend.workforce.service import technician_for_user

mobile = APIBlueprint("mobile", __name__, url_prefix="/api/mobile/v1", tag="mobile")


def my_technician():
    """The signed-in technician's record: every mobile route acts for exactly one."""
    return technician_for_user(current_actor().user_id)


def init_app(app):
    """Register the REST routes and the /technician socket handlers (after realtime.init_app)."""
    import mobile_api.routes  # noqa: F401  (routes register on import)
    from mobile_api import sockets

    app.register_blueprint(mobile)
    sockets.register(socketio)
