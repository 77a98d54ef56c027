"""tracking: track points partitioned by day (partitions in schema tracking_parts),
location consents, technician status/presence/consent events, dispatcher regions

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 17:05:00

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None

FLAGS = "('invalid', 'zero', 'future', 'too_old', 'mock', 'poor_accuracy', 'duplicate', 'impossible_speed')"


def upgrade():
    # Daily partitions live in their own schema, created by the writer and a daily job.
    op.execute('CREATE SCHEMA IF NOT EXISTS tracking_parts')
    op.create_table('track_points',
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('t', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('speed', sa.Float(), nullable=True),
    sa.Column('heading', sa.Float(), nullable=True),
    sa.Column('altitude', sa.Float(), nullable=True),
    sa.Column('battery', sa.Float(), nullable=True),
    sa.Column('is_mock', sa.Boolean(), nullable=False),
    sa.Column('flag', sa.String(length=20), nullable=True),
    sa.CheckConstraint(f"flag IS NULL OR flag IN {FLAGS}", name='ck_track_points_flag'),
    sa.PrimaryKeyConstraint('technician_id', 't', 'client_id'),
    postgresql_partition_by='RANGE (t)'
    )
    op.create_table('location_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('notice_version', sa.String(length=32), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('device', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('location_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_location_consents_technician_id'), ['technician_id'], unique=False)
        batch_op.create_index('uq_location_consents_open', ['technician_id'], unique=True, postgresql_where='withdrawn_at IS NULL')

    op.create_table('technician_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.CheckConstraint("kind IN ('status', 'presence', 'consent')", name='ck_technician_events_kind'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('technician_events', schema=None) as batch_op:
        batch_op.create_index('ix_technician_events_technician_at', ['technician_id', 'at'], unique=False)

    op.create_table('dispatcher_regions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'region_id')
    )
    with op.batch_alter_table('dispatcher_regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatcher_regions_region_id'), ['region_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dispatcher_regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatcher_regions_region_id'))
    op.drop_table('dispatcher_regions')
    with op.batch_alter_table('technician_events', schema=None) as batch_op:
        batch_op.drop_index('ix_technician_events_technician_at')
    op.drop_table('technician_events')
    with op.batch_alter_table('location_consents', schema=None) as batch_op:
        batch_op.drop_index('uq_location_consents_open', postgresql_where='withdrawn_at IS NULL')
        batch_op.drop_index(batch_op.f('ix_location_consents_technician_id'))
    op.drop_table('location_consents')
    op.drop_table('track_points')  # drops every partition with it
    op.execute('DROP SCHEMA IF EXISTS tracking_parts CASCADE')
