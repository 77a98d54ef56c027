from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from backend.extensions import db
from backend.tracking.store import forget_partitions


def test_migrations_have_one_head(app):
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1


def test_migrations_run_down_to_empty_and_up_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"spatial_ref_sys", "alembic_version"}
        upgrade()
        forget_partitions()  # the day partitions went with the tables
        tables = set(inspect(db.engine).get_table_names())
        assert {"organizations", "users", "api_keys", "regions", "sites"} <= tables
        indexes = (
            db.session.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename IN ('regions', 'sites')"))
            .scalars()
            .all()
        )
        assert sum("USING gist" in i for i in indexes) == 2


def test_models_match_the_migrations(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from geoalchemy2 import alembic_helpers

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": alembic_helpers.include_object})
        assert compare_metadata(context, db.metadata) == []
