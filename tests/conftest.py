"""Shared fixtures. Tests run against the real PostgreSQL + PostGIS and Redis named by
TEST_DATABASE_URL / TEST_REDIS_URL (written to .env by `make setup`)."""

import os
from pathlib import Path

import pytest
from dotenv import load_dotenv

load_dotenv(Path(__file__).resolve().parent.parent / ".env", override=False)
os.environ["GRIDWORK_ENV"] = "testing"


@pytest.fixture(scope="session")
def app():
    from backend.app import create_app

    # Flask-SocketIO's test client cannot use the Redis queue; live_server tests cover it.
    app = create_app({"GRIDWORK_ENV": "testing", "SOCKETIO_MESSAGE_QUEUE": False})
    with app.app_context():
        _migrate_from_empty(app)
    return app


def _migrate_from_empty(app):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from backend.extensions import db

    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS gridwork_reset CASCADE"))
        tables = (
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")
            )
            .scalars()
            .all()
        )
        for table in tables:
            conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    upgrade()


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Every test starts with empty tables and an empty test Redis database."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        from sqlalchemy import text

        from backend.extensions import db
        from backend.redis_client import get_redis

        db.session.remove()
        tables = (
            db.session.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('spatial_ref_sys', 'alembic_version')"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            db.session.commit()
        get_redis().flushdb()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(app):
    """Builds rows and credentials directly through the models."""
    from tests.factories import Factory

    return Factory(app)


@pytest.fixture(scope="session")
def live_server(app):
    """The web process started exactly as the Procfile starts it, on a free port."""
    from tests import live

    port = live.free_port()
    process = live.start("web", PORT=port, HOST="127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    try:
        live.wait_until_healthy(url, process)
        yield url
    finally:
        live.stop(process)
