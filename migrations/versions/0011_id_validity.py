"""resident ID card validity on the technician profile (read by OCR at registration, confirmed
by the technician): valid from, valid to; valid to is empty for a long-term (长期) card

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("technician_profiles", sa.Column("id_valid_from", sa.Date(), nullable=True))
    op.add_column("technician_profiles", sa.Column("id_valid_to", sa.Date(), nullable=True))


def downgrade():
    op.drop_column("technician_profiles", "id_valid_to")
    op.drop_column("technician_profiles", "id_valid_from")
