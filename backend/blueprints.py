"""The REST blueprints by audience, and the one place that registers every feature's routes.

`api` is the client and staff API (/api/v1), `console` the dispatchers' (/api/console/v1). The
feature packages hold the routes; importing a routes module registers it on its blueprint.
"""

import importlib

from apiflask import APIBlueprint

api = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="api")
console = APIBlueprint("console_api", __name__, url_prefix="/api/console/v1", tag="console")
SECURITY = [{"BearerAuth": []}, {"ApiKeyAuth": []}]

API_ROUTES = (
    "backend.accounts.auth_routes",
    "backend.accounts.organization_routes",
    "backend.accounts.user_routes",
    "backend.places.region_routes",
    "backend.places.site_routes",
    "backend.orders.routes",
    "backend.webhooks.routes",
    "backend.money.routes",
    "backend.money.record_routes",
    "backend.hints.routes",
    "backend.dashboards.routes",
)
CONSOLE_ROUTES = (
    "backend.workforce.console_routes",
    "backend.orders.console_routes",
    "backend.planning.console_routes",
    "backend.tracking.console_routes",
    "backend.money.console_routes",
    "backend.money.record_console_routes",
    "backend.notifications.console_routes",
    "backend.hints.console_routes",
    "backend.dashboards.console_routes",
)


def init_app(app):
    for module in API_ROUTES + CONSOLE_ROUTES:
        importlib.import_module(module)
    app.register_blueprint(api)
    app.register_blueprint(console)
