"""Accounts hold identities; sign-ins are recorded; sessions hold a token

Each account's OpenID claimed identifier becomes its first identity (kind
"openid", no issuer). Each account gets a random session token, which
sessions and remember cookies hold instead of the id, so sessions made
before this revision end once.

Revision ID: 9fb4bb68b3bf
Revises: bb8eb582b49a
Create Date: 2026-11-24 00:57:40.881978

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9fb4bb68b3bf"
down_revision = "bb8eb582b49a"
branch_labels = None
depends_on = None

user = sa.table(
    "user",
    sa.column("id", sa.Integer),
    sa.column("openid", sa.String),
    sa.column("created", sa.DateTime(timezone=True)),
    sa.column("session_token", sa.String),
)
identity = sa.table(
    "identity",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("issuer", sa.String),
    sa.column("subject", sa.String),
    sa.column("provider", sa.String),
    sa.column("created", sa.DateTime(timezone=True)),
)


def upgrade():
    op.create_table(
        "identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=2048), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_identity_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity")),
        sa.UniqueConstraint("kind", "issuer", "subject", name=op.f("uq_identity_kind")),
    )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_sign_in_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in")),
    )
    with op.batch_alter_table("sign_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_user_id"), ["user_id", "at"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))

    connection = op.get_bind()
    # Every claimed identifier becomes an identity, in the database itself.
    op.execute(
        identity.insert().from_select(
            ["user_id", "kind", "issuer", "subject", "provider", "created"],
            sa.select(
                user.c.id,
                sa.literal("openid"),
                sa.literal(""),
                user.c.openid,
                sa.literal("OpenID"),
                user.c.created,
            ),
        )
    )
    # Random tokens come from Python, in batches.
    ids = connection.scalars(sa.select(user.c.id)).all()
    statement = (
        user.update()
        .where(user.c.id == sa.bindparam("uid"))
        .values(session_token=sa.bindparam("t"))
    )
    for start in range(0, len(ids), 1000):
        connection.execute(
            statement,
            [{"uid": uid, "t": secrets.token_urlsafe(32)} for uid in ids[start : start + 1000]],
        )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_user_session_token"), ["session_token"])
        batch_op.drop_constraint(batch_op.f("uq_user_openid"), type_="unique")
        batch_op.drop_column("openid")


def downgrade():
    """Give each account back one claimed identifier: its first identity.

    An account whose first identity is OpenID Connect gets "issuer#subject",
    which no OpenID 2.0 sign-in produces; its other identities are lost.
    """
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("openid", sa.String(length=2048), nullable=True))

    first = (
        sa.select(
            sa.case(
                (identity.c.kind == "openid", identity.c.subject),
                else_=identity.c.issuer + "#" + identity.c.subject,
            )
        )
        .where(identity.c.user_id == user.c.id)
        .order_by(identity.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(user.update().values(openid=first))
    # An account with no identity left has no way to sign in; keep it findable.
    op.execute(
        user.update()
        .where(user.c.openid.is_(None))
        .values(openid=sa.literal("urn:microblog:no-identity:") + sa.cast(user.c.id, sa.String))
    )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("openid", existing_type=sa.String(length=2048), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_user_openid"), ["openid"])
        batch_op.drop_constraint(batch_op.f("uq_user_session_token"), type_="unique")
        batch_op.drop_column("session_token")

    with op.batch_alter_table("sign_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_user_id"))
    op.drop_table("sign_in")
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_user_id"))
    op.drop_table("identity")
