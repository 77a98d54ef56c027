"""The application factory."""

import logging

from apiflask import APIFlask

import mobile_api
from backend import (
    blueprints,
    cli,
    console_page,
    errors,
    health,
    openapi,
    portal_page,
    realtime,
    redis_client,
    request_guard,
    technician_app,
)
from backend.config import load_settings
from backend.extensions import db, jwt, migrate

# Swagger UI is served from backend/static/vendor (copied from node_modules by scripts/setup.sh):
# /docs loads nothing from outside the service.
SWAGGER_UI_VENDOR = "/console/static/vendor/swagger-ui/"
DOCS_SETTINGS = {
    "SWAGGER_UI_CSS": SWAGGER_UI_VENDOR + "swagger-ui.css",
    "SWAGGER_UI_BUNDLE_JS": SWAGGER_UI_VENDOR + "swagger-ui-bundle.js",
    "SWAGGER_UI_STANDALONE_PRESET_JS": SWAGGER_UI_VENDOR + "swagger-ui-standalone-preset.js",
    "DOCS_FAVICON": SWAGGER_UI_VENDOR + "favicon-32x32.png",
    "SWAGGER_UI_CONFIG": {"validatorUrl": None},  # no badge fetched from validator.swagger.io
}
SECURITY_SCHEMES = {
    "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}


def create_app(config=None):
    """Build the app. `config` overrides settings read from the environment (tests use it)."""
    config = dict(config or {})
    app = APIFlask("gridwork", title="Gridwork API", version="1.0", docs_path="/docs", spec_path="/openapi.json")
    app.config.update(load_settings(config.pop("GRIDWORK_ENV", None)))
    app.config.update(config)
    app.config["SECURITY_SCHEMES"] = SECURITY_SCHEMES
    app.config["VALIDATION_ERROR_STATUS_CODE"] = 422
    app.config.update(DOCS_SETTINGS)
    openapi.init_app(app)  # before any route: the bounded <int:…> converter
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    jwt.init_app(app)
    redis_client.init_app(app)
    errors.init_app(app)
    request_guard.init_app(app)
    realtime.init_app(app)
    app.register_blueprint(health.bp)
    blueprints.init_app(app)
    console_page.init_app(app)
    technician_app.init_app(app)
    portal_page.init_app(app)
    mobile_api.init_app(app)
    cli.init_app(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
