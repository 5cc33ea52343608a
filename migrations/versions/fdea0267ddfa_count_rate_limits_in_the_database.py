"""Count rate limits in the database

Revision ID: fdea0267ddfa
Revises: 9fb4bb68b3bf
Create Date: 2026-12-01 10:25:39.527704

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "fdea0267ddfa"
down_revision = "9fb4bb68b3bf"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit")),
    )
    with op.batch_alter_table("rate_limit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_expires"), ["expires"], unique=False)


def downgrade():
    with op.batch_alter_table("rate_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_expires"))

    op.drop_table("rate_limit")
