"""Profiles and following: about me, last seen, the follow table, and post
indexes for listing by id (a profile's, the timeline's, everyone's)

Revision ID: aa73fa092047
Revises: fdea0267ddfa
Create Date: 2026-12-01 14:20:03.756039

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "aa73fa092047"
down_revision = "fdea0267ddfa"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "follow",
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("followed_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("follower_id <> followed_id", name=op.f("ck_follow_not_oneself")),
        sa.ForeignKeyConstraint(
            ["followed_id"],
            ["user.id"],
            name=op.f("fk_follow_followed_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["user.id"],
            name=op.f("fk_follow_follower_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("follower_id", "followed_id", name=op.f("pk_follow")),
    )
    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_followed_id"), ["followed_id", "follower_id"], unique=False
        )

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_timestamp"))
        batch_op.drop_index(batch_op.f("ix_post_user_id"))
        batch_op.create_index(batch_op.f("ix_post_user_id"), ["user_id", "id"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("about_me", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("last_seen")
        batch_op.drop_column("about_me")

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_user_id"))
        batch_op.create_index(batch_op.f("ix_post_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_timestamp"), ["timestamp"], unique=False)

    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_followed_id"))

    op.drop_table("follow")
