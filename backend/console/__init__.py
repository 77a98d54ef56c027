"""The dispatcher console's API, /api/console/v1 (platform staff only)."""

from apiflask import APIBlueprint

console = APIBlueprint("console_api", __name__, url_prefix="/api/console/v1", tag="console")


def init_app(app):
    import backend.console.routes  # noqa: F401  (routes register on import)

    app.register_blueprint(console)
