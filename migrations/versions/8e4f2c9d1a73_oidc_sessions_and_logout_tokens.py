"""OpenID Connect logout: the provider's session on each live session, and the logout tokens taken

Revision ID: 8e4f2c9d1a73
Revises: 5d2b7a4c8e61
Create Date: 2026-12-01 18:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8e4f2c9d1a73"
down_revision = "5d2b7a4c8e61"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "used_logout_token",
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("used", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti", name=op.f("pk_used_logout_token")),
    )
    with op.batch_alter_table("used_logout_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_logout_token_used"), ["used"], unique=False)

    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("oidc_sid", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("id_token", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_live_session_oidc_sid"), ["oidc_sid", "oidc_issuer"])
        batch_op.create_index(
            batch_op.f("ix_live_session_oidc_subject"), ["oidc_subject", "oidc_issuer"]
        )


def downgrade():
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_session_oidc_subject"))
        batch_op.drop_index(batch_op.f("ix_live_session_oidc_sid"))
        batch_op.drop_column("id_token")
        batch_op.drop_column("oidc_sid")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")

    with op.batch_alter_table("used_logout_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_logout_token_used"))

    op.drop_table("used_logout_token")
