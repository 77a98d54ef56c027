"""candidate search: approval and role kept on the memberships

Eligibility starts from the active memberships of the order's regions; with 100,000
technicians an order that names no role found ~1,300 of them and probed each one's profile,
technician and user rows (about 9,000 buffers) to learn what two columns say. Each membership
now carries a copy: `role_id` (the profile's role) and `ready` (profile approved and account
active), and one index answers region + role + approval from the index alone.

The copies are written by triggers only, from one definition (`technician_standing`): when a
membership is inserted, and for all of a technician's memberships when their profile (status,
role), their account (is_active) or their user changes. Each computation first locks the
technician's row and then reads in a new statement, so concurrent changes to the profile and
the account are applied one after the other and the last one reads both committed.

Revision ID: 0015_candidates
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_candidates"
down_revision = "0014"
branch_labels = None
depends_on = None

FUNCTIONS = """
CREATE OR REPLACE FUNCTION technician_standing(tid integer, OUT role_id integer, OUT ready boolean)
LANGUAGE sql STABLE AS $$
    SELECT p.role_id, coalesce(p.status = 'approved' AND u.is_active, false)
    FROM technicians t
    JOIN users u ON u.id = t.user_id
    LEFT JOIN technician_profiles p ON p.technician_id = t.id
    WHERE t.id = tid
$$;

CREATE OR REPLACE FUNCTION technician_regions_standing() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    -- The technician's row first: wait for another computation of theirs to commit; the next
    -- statement (a new snapshot) reads what it wrote.
    PERFORM 1 FROM technicians WHERE id = NEW.technician_id FOR NO KEY UPDATE;
    SELECT * INTO s FROM technician_standing(NEW.technician_id);
    NEW.role_id := s.role_id;
    NEW.ready := coalesce(s.ready, false);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION technician_standing_refresh(tid integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM technicians WHERE id = tid FOR NO KEY UPDATE;  -- as technician_regions_standing
    UPDATE technician_regions r SET role_id = s.role_id, ready = s.ready
    FROM technician_standing(tid) s
    WHERE r.technician_id = tid AND (r.role_id, r.ready) IS DISTINCT FROM (s.role_id, s.ready);
END $$;

CREATE OR REPLACE FUNCTION technician_profiles_standing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM technician_standing_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.technician_id ELSE NEW.technician_id END);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION users_standing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM technician_standing_refresh(t.id) FROM technicians t WHERE t.user_id = NEW.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION technicians_standing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM technician_standing_refresh(NEW.id);
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER technician_regions_standing BEFORE INSERT OR UPDATE OF technician_id ON technician_regions
    FOR EACH ROW EXECUTE FUNCTION technician_regions_standing();
CREATE TRIGGER technician_profiles_standing AFTER INSERT OR DELETE OR UPDATE OF status, role_id
    ON technician_profiles FOR EACH ROW EXECUTE FUNCTION technician_profiles_standing();
CREATE TRIGGER users_standing AFTER UPDATE OF is_active ON users
    FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active) EXECUTE FUNCTION users_standing();
CREATE TRIGGER technicians_standing AFTER UPDATE OF user_id ON technicians
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id) EXECUTE FUNCTION technicians_standing();
"""

BACKFILL = """
UPDATE technician_regions r SET role_id = s.role_id, ready = s.ready
FROM technicians t, LATERAL technician_standing(t.id) s
WHERE t.id = r.technician_id
"""


def upgrade():
    op.add_column("technician_regions", sa.Column("role_id", sa.Integer(), nullable=True))
    op.add_column("technician_regions", sa.Column("ready", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(FUNCTIONS)
    op.execute(BACKFILL)
    op.execute(TRIGGERS)
    op.create_index(
        "ix_technician_regions_ready",
        "technician_regions",
        ["region_id", "role_id", "technician_id"],
        postgresql_where="state = 'active' AND ready",
    )


def downgrade():
    op.drop_index("ix_technician_regions_ready", table_name="technician_regions")
    op.execute("DROP TRIGGER technicians_standing ON technicians")
    op.execute("DROP TRIGGER users_standing ON users")
    op.execute("DROP TRIGGER technician_profiles_standing ON technician_profiles")
    op.execute("DROP TRIGGER technician_regions_standing ON technician_regions")
    for function in (
        "technicians_standing()",
        "users_standing()",
        "technician_profiles_standing()",
        "technician_standing_refresh(integer)",
        "technician_regions_standing()",
        "technician_standing(integer)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_column("technician_regions", "ready")
    op.drop_column("technician_regions", "role_id")
