"""Coach: the kind of a red flag logged in the diary (calf, hot knee, locking, ...).

Revision ID: coach_0003
Revises: coach_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "coach_0003"
down_revision = "coach_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coach_diary") as batch:
        batch.add_column(sa.Column("red_flag_kind", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coach_diary") as batch:
        batch.drop_column("red_flag_kind")
