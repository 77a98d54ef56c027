"""technician side: devices, the push/SMS outbox, notification preferences, work hints, offline writes

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PLATFORMS = "('android', 'ios', 'web')"
PROVIDERS = "('jpush', 'fcm')"
STATES = "('pending', 'held', 'sent', 'failed', 'no_device', 'muted')"


def upgrade():
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False, index=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("token", sa.String(512), nullable=False, unique=True),
        sa.Column("app_version", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"platform IN {PLATFORMS}", name="ck_devices_platform"),
        sa.CheckConstraint(f"provider IN {PROVIDERS}", name="ck_devices_provider"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("results", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("held_until", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("sms_due_at", sa.DateTime(timezone=True)),
        sa.Column("sms_sent_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN {STATES}", name="ck_notifications_state"),
    )
    op.create_index("ix_notifications_technician", "notifications", ["technician_id", "id"])
    op.create_index(
        "ix_notifications_held", "notifications", ["held_until"], postgresql_where=sa.text("state = 'held'")
    )
    op.create_index(
        "ix_notifications_sms_due",
        "notifications",
        ["sms_due_at"],
        postgresql_where=sa.text("sms_due_at IS NOT NULL AND sms_sent_at IS NULL AND acknowledged_at IS NULL"),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), primary_key=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("quiet_start", sa.Time()),
        sa.Column("quiet_end", sa.Time()),
        sa.Column("muted_kinds", postgresql.ARRAY(sa.String(32)), nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "work_hints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id")),
        sa.Column("work_type", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("procedure", postgresql.JSONB(), nullable=False),
        sa.Column("tools", postgresql.JSONB(), nullable=False),
        sa.Column("spare_parts", postgresql.JSONB(), nullable=False),
        sa.Column("safety_notes", postgresql.JSONB(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "uq_work_hints_version",
        "work_hints",
        [sa.text("coalesce(org_id, 0)"), "work_type", "version"],
        unique=True,
    )
    op.create_table(
        "offline_writes",
        sa.Column("technician_id", sa.Integer(), sa.ForeignKey("technicians.id"), primary_key=True),
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("result", postgresql.JSONB(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("type IN ('check_in', 'check_out', 'deliver', 'readings')", name="ck_offline_writes_type"),
        sa.CheckConstraint("outcome IN ('accepted', 'refused')", name="ck_offline_writes_outcome"),
    )


def downgrade():
    op.drop_table("offline_writes")
    op.drop_table("work_hints")
    op.drop_table("notification_preferences")
    op.drop_table("notifications")
    op.drop_table("devices")
