"""Sign-ins indexed by time alone, for deleting everyone's old ones now and then

Revision ID: 5e2b9c1d7a40
Revises: 13424b0ce684
Create Date: 2026-12-02 10:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5e2b9c1d7a40"
down_revision = "13424b0ce684"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sign_in") as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_at"), ["at"], unique=False)


def downgrade():
    with op.batch_alter_table("sign_in") as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_at"))
