"""candidate search at scale: partial, covering indexes for eligibility and ranking

With 100,000 technicians (bench/candidates.py) the eligibility query is driven from the
order's regions: active memberships by region (index only), then per technician the approved
profile, the verified skill records and the orders in hand or rated, each an index probe
that never visits the table.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

IN_HAND = "status IN ('assigned', 'accepted', 'en_route', 'on_site', 'rejected')"  # orders.transitions.ACTIVE


def upgrade():
    op.create_index(
        "ix_technician_regions_active",
        "technician_regions",
        ["region_id", "technician_id"],
        postgresql_where="state = 'active'",
    )
    op.create_index(
        "ix_technician_skills_valid",
        "technician_skills",
        ["technician_id", "skill_id", "level"],
        postgresql_include=["valid_from", "valid_until"],
        postgresql_where="state = 'verified'",
    )
    op.create_index(
        "ix_technician_profiles_approved",
        "technician_profiles",
        ["technician_id", "role_id"],
        postgresql_where="status = 'approved'",
    )
    op.create_index("ix_orders_in_hand", "orders", ["technician_id"], postgresql_where=IN_HAND)
    op.create_index(
        "ix_orders_rated",
        "orders",
        ["technician_id"],
        postgresql_include=["quality_rating"],
        postgresql_where="quality_rating IS NOT NULL",
    )


def downgrade():
    op.drop_index("ix_orders_rated", table_name="orders")
    op.drop_index("ix_orders_in_hand", table_name="orders")
    op.drop_index("ix_technician_profiles_approved", table_name="technician_profiles")
    op.drop_index("ix_technician_skills_valid", table_name="technician_skills")
    op.drop_index("ix_technician_regions_active", table_name="technician_regions")
