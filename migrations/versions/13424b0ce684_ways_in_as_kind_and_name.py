"""A sign-in's way in as a kind and a name, put in words in the reader's
language, in place of words in the signer's; the built-in provider's
identities keep no name

Revision ID: 13424b0ce684
Revises: c3f8a6d2e914
Create Date: 2026-12-02 05:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "13424b0ce684"
down_revision = "c3f8a6d2e914"
branch_labels = None
depends_on = None

# The words the app wrote before this revision, in each language it shipped:
# the built-in provider's name, and a passkey's label around its name.
BUILT_IN = "Built-in OpenID Connect (development)"
BUILT_IN_NAMES = (
    BUILT_IN,
    "Integriertes OpenID Connect (Entwicklung)",
    "OpenID Connect integrado (desarrollo)",
    "OpenID Connect المدمج (للتطوير)",
)
PASSKEY = ("Passkey “", "”")
PASSKEY_LABELS = (PASSKEY, ("Passkey „", "“"), ("Llave de acceso “", "”"), ("مفتاح المرور «", "»"))
# Each table that kept a way in words, and its column.
WORDS = {"sign_in": "provider", "live_session": "way"}


def way_of(words: str) -> tuple[str, str | None]:
    """The kind and name that ``words`` were written for."""
    if words == "OpenID":
        return "openid", None
    if words in BUILT_IN_NAMES:
        return "oidc", None
    for before, after in PASSKEY_LABELS:
        if words.startswith(before) and words.endswith(after):
            name = words[len(before) : -len(after)]
            if name:
                return "passkey", name
    return "oidc", words  # a configured provider's name


def words_of(kind: str, name: str | None) -> str:
    """``way_of`` undone, in English."""
    if kind == "passkey":
        return f"{PASSKEY[0]}{name}{PASSKEY[1]}"
    if kind == "oidc":
        return name or BUILT_IN
    return "OpenID"


def upgrade():
    connection = op.get_bind()
    for table, column in WORDS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("way_kind", sa.String(length=16), nullable=True))
            batch_op.add_column(sa.Column("way_name", sa.String(length=255), nullable=True))
        rows = sa.table(table, sa.column(column, sa.String), sa.column("way_kind"),
                        sa.column("way_name"))  # fmt: skip
        for words in connection.execute(sa.select(rows.c[column]).distinct()).scalars():
            kind, name = way_of(words)
            connection.execute(
                rows.update().where(rows.c[column] == words).values(way_kind=kind, way_name=name)
            )
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("way_kind", existing_type=sa.String(length=16), nullable=False)
            batch_op.drop_column(column)
    identity = sa.table("identity", sa.column("kind"), sa.column("provider"))
    with op.batch_alter_table("identity") as batch_op:
        batch_op.alter_column("provider", existing_type=sa.String(length=255), nullable=True)
    connection.execute(
        identity.update()
        .where(identity.c.kind == "oidc", identity.c.provider.in_(BUILT_IN_NAMES))
        .values(provider=None)
    )


def downgrade():
    connection = op.get_bind()
    identity = sa.table("identity", sa.column("provider"))
    connection.execute(
        identity.update().where(identity.c.provider.is_(None)).values(provider=BUILT_IN)
    )
    with op.batch_alter_table("identity") as batch_op:
        batch_op.alter_column("provider", existing_type=sa.String(length=255), nullable=False)
    for table, column in WORDS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(column, sa.String(length=255), nullable=True))
        rows = sa.table(table, sa.column(column, sa.String), sa.column("way_kind"),
                        sa.column("way_name"))  # fmt: skip
        ways = connection.execute(sa.select(rows.c.way_kind, rows.c.way_name).distinct())
        for kind, name in ways.all():
            connection.execute(
                rows.update()
                .where(rows.c.way_kind == kind, rows.c.way_name.is_not_distinct_from(name))
                .values({column: words_of(kind, name)})
            )
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=255), nullable=False)
            batch_op.drop_column("way_name")
            batch_op.drop_column("way_kind")
