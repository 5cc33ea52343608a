"""Passkeys: the WebAuthn challenges already answered, so none is answered twice

Revision ID: 3c5e1f0a9b27
Revises: 6f7cc9f7bd0b
Create Date: 2026-12-01 16:55:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3c5e1f0a9b27"
down_revision = "6f7cc9f7bd0b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "used_passkey_challenge",
        sa.Column("challenge", sa.LargeBinary(length=64), nullable=False),
        sa.Column("used", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("challenge", name=op.f("pk_used_passkey_challenge")),
    )
    with op.batch_alter_table("used_passkey_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_passkey_challenge_used"), ["used"], unique=False)


def downgrade():
    with op.batch_alter_table("used_passkey_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_passkey_challenge_used"))

    op.drop_table("used_passkey_challenge")
