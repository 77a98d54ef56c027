"""The technician-facing API, /api/mobile/v1 (REST; the Socket.IO namespace joins it later)."""

from apiflask import APIBlueprint

mobile = APIBlueprint("mobile", __name__, url_prefix="/api/mobile/v1", tag="mobile")


def init_app(app):
    import mobile_api.routes  # noqa: F401  (routes register on import)

    app.register_blueprint(mobile)
