"""The technician-facing API, /api/mobile/v1 (REST; the Socket.IO namespace joins it later)."""

from apiflask import APIBlueprint

from backend.accounts.auth import current_actor
from backend.workforce.service import technician_for_user

mobile = APIBlueprint("mobile", __name__, url_prefix="/api/mobile/v1", tag="mobile")


def my_technician():
    """The signed-in technician's record: every mobile route acts for exactly one."""
    return technician_for_user(current_actor().user_id)


def init_app(app):
    import mobile_api.routes  # noqa: F401  (routes register on import)

    app.register_blueprint(mobile)
