"""The client and staff REST API, /api/v1. One module per entity; registered in one place."""

from apiflask import APIBlueprint

api = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="api")
SECURITY = [{"BearerAuth": []}, {"ApiKeyAuth": []}]


def init_app(app):
    from backend.api import auth, organizations, regions, sites, users  # noqa: F401  (routes register on import)

    app.register_blueprint(api)
