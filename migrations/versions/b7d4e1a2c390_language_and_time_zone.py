"""The reader's language and time zone, saved with the account

Revision ID: b7d4e1a2c390
Revises: 8e4f2c9d1a73
Create Date: 2026-12-01 20:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d4e1a2c390"
down_revision = "8e4f2c9d1a73"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("locale")
