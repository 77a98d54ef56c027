"""planning: route plans, routes, stops, unassigned; joins the orders and tracking branches

Revision ID: 0005
Revises: 0003, 0004
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = ("0003", "0004")
branch_labels = None
depends_on = None

PLAN_STATES = "('queued', 'running', 'solved', 'failed', 'cancelled', 'published')"


def upgrade():
    op.create_table(
        "route_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("regions.id"), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("policy", sa.String(32), nullable=False),
        sa.Column("time_limit_s", sa.Integer(), nullable=False),
        sa.Column("horizon_hours", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("previous_plan_id", sa.Integer(), sa.ForeignKey("route_plans.id")),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("rq_job_id", sa.String(64)),
        sa.Column("stage", sa.String(200)),
        sa.Column("origin_at", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("objective", sa.Float()),
        sa.Column("stats", postgresql.JSONB(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("published_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN {PLAN_STATES}", name="ck_route_plans_status"),
    )
    op.create_table(
        "plan_routes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id", sa.Integer(), sa.ForeignKey("route_plans.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("travel_m", sa.Integer(), nullable=False),
        sa.Column("travel_s", sa.Integer(), nullable=False),
        sa.Column("geom", Geometry(geometry_type="LINESTRING", srid=4326, spatial_index=False), nullable=False),
    )
    op.create_table(
        "plan_stops",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "route_id", sa.Integer(), sa.ForeignKey("plan_routes.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("arrival_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wait_s", sa.Integer(), nullable=False),
        sa.Column("slack_s", sa.Integer(), nullable=False),
        sa.Column("lateness_s", sa.Integer(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "plan_unassigned",
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("route_plans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
    )


def downgrade():
    op.drop_table("plan_unassigned")
    op.drop_table("plan_stops")
    op.drop_table("plan_routes")
    op.drop_table("route_plans")
