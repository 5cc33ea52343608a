"""A session's browser and system as names, put in words in the reader's
language, in place of English words

Revision ID: c3f8a6d2e914
Revises: b7d4e1a2c390
Create Date: 2026-12-01 21:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3f8a6d2e914"
down_revision = "b7d4e1a2c390"
branch_labels = None
depends_on = None

UNKNOWN = "An unknown browser"
live_session = sa.table(
    "live_session",
    sa.column("id", sa.Integer),
    sa.column("device", sa.String),
    sa.column("browser", sa.String),
    sa.column("system", sa.String),
)


def upgrade():
    with op.batch_alter_table("live_session") as batch_op:
        batch_op.add_column(sa.Column("browser", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("system", sa.String(length=64), nullable=True))
    # The words were "<browser> on <system>", "<browser>" or "An unknown
    # browser[ on <system>]", as sessions.device_of wrote them.
    connection = op.get_bind()
    for row in connection.execute(sa.select(live_session.c.id, live_session.c.device)):
        browser, _, system = row.device.partition(" on ")
        connection.execute(
            live_session.update()
            .where(live_session.c.id == row.id)
            .values(
                browser=None if browser == UNKNOWN else browser[:64],
                system=system[:64] or None,
            )
        )
    with op.batch_alter_table("live_session") as batch_op:
        batch_op.drop_column("device")


def downgrade():
    with op.batch_alter_table("live_session") as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=128), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(
        sa.select(live_session.c.id, live_session.c.browser, live_session.c.system)
    ):
        words = row.browser or UNKNOWN
        if row.system:
            words = f"{words} on {row.system}"
        connection.execute(
            live_session.update().where(live_session.c.id == row.id).values(device=words)
        )
    with op.batch_alter_table("live_session") as batch_op:
        batch_op.alter_column("device", existing_type=sa.String(length=128), nullable=False)
