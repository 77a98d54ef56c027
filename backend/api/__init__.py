"""The client and staff REST API, /api/v1. One module per entity; registered in one place."""

from apiflask import APIBlueprint

api = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="api")
SECURITY = [{"BearerAuth": []}, {"ApiKeyAuth": []}]


def init_app(app):
    # Routes register on import.
    from backend.api import auth, orders, organizations, regions, sites, users, webhooks  # noqa: F401

    app.register_blueprint(api)
