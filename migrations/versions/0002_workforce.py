"""workforce: technician profiles, role/skill catalogues, skills, regions, role changes,
certifications, agreements, audit; seeds the seven default roles, a skill catalogue and
the first service agreement

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:44:45.665627

"""
import hashlib
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreement_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'version', name='uq_agreement_templates_code_version')
    )
    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('requires_certificate', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('technician_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('agreement_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('device', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['agreement_templates.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('technician_id', 'template_id', name='uq_agreement_signatures_once')
    )
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_signatures_technician_id'), ['technician_id'], unique=False)

    op.create_table('role_change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('from_role_id', sa.Integer(), nullable=True),
    sa.Column('to_role_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'approved', 'rejected')", name='ck_role_change_requests_state'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['from_role_id'], ['technician_roles.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_role_id'], ['technician_roles.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('role_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_change_requests_technician_id'), ['technician_id'], unique=False)
        batch_op.create_index('uq_role_change_requests_one_pending', ['technician_id'], unique=True, postgresql_where="state = 'pending'")

    op.create_table('technician_certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('years', sa.Integer(), nullable=True),
    sa.Column('item', sa.String(length=32), nullable=True),
    sa.Column('reference_no', sa.String(length=64), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('exam_practical', 'exam_theory', 'experience', 'equipment', 'health_certificate', 'insurance')", name='ck_technician_certifications_kind'),
    sa.CheckConstraint('score IS NULL OR score BETWEEN 0 AND 100', name='ck_technician_certifications_score'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('technician_certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_certifications_technician_id'), ['technician_id'], unique=False)

    op.create_table('technician_profiles',
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.Column('phone_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('legal_name', sa.String(length=120), nullable=True),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=True),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True),
    sa.Column('id_number_masked', sa.String(length=32), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('id_photo_sha256', sa.String(length=64), nullable=True),
    sa.Column('payout_kind', sa.String(length=16), nullable=True),
    sa.Column('payout_account_enc', sa.LargeBinary(), nullable=True),
    sa.Column('payout_account_hash', sa.String(length=64), nullable=True),
    sa.Column('payout_account_masked', sa.String(length=64), nullable=True),
    sa.Column('bank_name', sa.String(length=120), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=True),
    sa.CheckConstraint("payout_kind IN ('bank_card', 'alipay')", name='ck_technician_profiles_payout_kind'),
    sa.CheckConstraint("status IN ('onboarding', 'submitted', 'approved', 'rejected')", name='ck_technician_profiles_status'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['role_id'], ['technician_roles.id'], ),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technician_id'),
    sa.UniqueConstraint('id_number_hash')
    )
    with op.batch_alter_table('technician_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_profiles_payout_account_hash'), ['payout_account_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_technician_profiles_role_id'), ['role_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_technician_profiles_status'), ['status'], unique=False)

    op.create_table('technician_regions',
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('requested', 'active')", name='ck_technician_regions_state'),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technician_id', 'region_id')
    )
    with op.batch_alter_table('technician_regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_regions_region_id'), ['region_id'], unique=False)

    op.create_table('technician_skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=True),
    sa.Column('issuer', sa.String(length=120), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'verified', 'rejected', 'expired')", name='ck_technician_skills_state'),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name='ck_technician_skills_level'),
    sa.CheckConstraint('valid_until IS NULL OR valid_until >= valid_from', name='ck_technician_skills_validity'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], ),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('technician_skills', schema=None) as batch_op:
        batch_op.create_index('ix_technician_skills_match', ['skill_id', 'state', 'level'], unique=False)
        batch_op.create_index(batch_op.f('ix_technician_skills_technician_id'), ['technician_id'], unique=False)

    op.create_table('workforce_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workforce_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workforce_audit_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_workforce_audit_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workforce_audit_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_workforce_audit_technician', ['technician_id', 'id'], unique=False)


    _seed()


def downgrade():
    with op.batch_alter_table('workforce_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_workforce_audit_technician')
        batch_op.drop_index(batch_op.f('ix_workforce_audit_created_at'))
        batch_op.drop_index(batch_op.f('ix_workforce_audit_actor_id'))
        batch_op.drop_index(batch_op.f('ix_workforce_audit_action'))

    op.drop_table('workforce_audit')
    with op.batch_alter_table('technician_skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technician_skills_technician_id'))
        batch_op.drop_index('ix_technician_skills_match')

    op.drop_table('technician_skills')
    with op.batch_alter_table('technician_regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technician_regions_region_id'))

    op.drop_table('technician_regions')
    with op.batch_alter_table('technician_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technician_profiles_status'))
        batch_op.drop_index(batch_op.f('ix_technician_profiles_role_id'))
        batch_op.drop_index(batch_op.f('ix_technician_profiles_payout_account_hash'))

    op.drop_table('technician_profiles')
    with op.batch_alter_table('technician_certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technician_certifications_technician_id'))

    op.drop_table('technician_certifications')
    with op.batch_alter_table('role_change_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_role_change_requests_one_pending', postgresql_where="state = 'pending'")
        batch_op.drop_index(batch_op.f('ix_role_change_requests_technician_id'))

    op.drop_table('role_change_requests')
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_signatures_technician_id'))

    op.drop_table('agreement_signatures')
    op.drop_table('technician_roles')
    op.drop_table('skills')
    op.drop_table('agreement_templates')


ROLES = [
    ("daily_maintenance", "Daily maintenance", "Routine inspection and upkeep of sites"),
    ("generator_operator", "Generator operator", "Portable generator power during outages"),
    ("construction", "Construction", "Site build-out and civil works"),
    ("repair", "Repair", "Fault diagnosis and repair"),
    ("property_liaison", "Property liaison", "Access coordination with landlords and property managers"),
    ("monitoring", "Monitoring", "Remote alarm watch and first response"),
    ("station_lead", "Station lead", "Leads a crew and signs off site work"),
]

SKILLS = [
    ("electrician", "Electrician (low voltage)", True),
    ("working_at_height", "Working at height", True),
    ("welding", "Welding and hot work", True),
    ("generator_operation", "Generator operation", False),
    ("fibre_splicing", "Fibre splicing", False),
    ("battery_maintenance", "Battery and rectifier maintenance", False),
    ("hvac", "Air conditioning (HVAC)", True),
    ("rf_testing", "RF testing and optimisation", False),
    ("tower_climbing", "Tower climbing and rigging", True),
    ("driving", "Driving (licence C1 or above)", True),
]

SERVICE_AGREEMENT = (
    "Gridwork technician service agreement, version 1.\n\n"
    "1. You take orders as an independent service provider, not as an employee.\n"
    "2. You work safely, hold the certificates your skills require, and keep them valid.\n"
    "3. You check in only on site and record true evidence of your work.\n"
    "4. Pay follows the points of accepted work under the published rules; tax is withheld as the law requires.\n"
    "5. Your identity and payout details are processed to pay you and to meet legal duties, stored encrypted, "
    "and shown only masked.\n"
    "6. Locations are collected only while you are on shift, with your separate consent.\n"
)


def _seed():
    now = datetime.now(timezone.utc)
    roles = sa.table("technician_roles", sa.column("code"), sa.column("name"), sa.column("description"), sa.column("created_at"))
    op.bulk_insert(roles, [{"code": c, "name": n, "description": d, "created_at": now} for c, n, d in ROLES])
    skills = sa.table("skills", sa.column("code"), sa.column("name"), sa.column("requires_certificate"), sa.column("created_at"))
    op.bulk_insert(skills, [{"code": c, "name": n, "requires_certificate": r, "created_at": now} for c, n, r in SKILLS])
    templates = sa.table(
        "agreement_templates", sa.column("code"), sa.column("version"), sa.column("title"), sa.column("body"),
        sa.column("body_sha256"), sa.column("created_at"),
    )
    op.bulk_insert(templates, [{
        "code": "service", "version": 1, "title": "Technician service agreement", "body": SERVICE_AGREEMENT,
        "body_sha256": hashlib.sha256(SERVICE_AGREEMENT.encode()).hexdigest(), "created_at": now,
    }])
