"""Live sessions: a record per sign-in, in place of the account-wide session token

Revision ID: 5d2b7a4c8e61
Revises: 3c5e1f0a9b27
Create Date: 2026-12-01 18:30:00.000000

Cookies carried the account's session token; they now carry a session's key,
so upgrading signs everyone out once (README says so).
"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d2b7a4c8e61"
down_revision = "3c5e1f0a9b27"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "live_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("way", sa.String(length=255), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remembered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_live_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_live_session_key_hash")),
    )
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_session_created"), ["created"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_session_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_user_session_token"), type_="unique")
        batch_op.drop_column("session_token")


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    # A new token for each account: every session ends, as on upgrading.
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(
            user.update()
            .where(user.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_user_session_token"), ["session_token"])

    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_live_session_created"))

    op.drop_table("live_session")
