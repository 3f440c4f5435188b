"""Coach: soft delete of a check (deleted_at), so a deleted check can be restored (undo), and
changed_at (the last delete or restore, for the calendar's SEQUENCE).

Revision ID: coach_0006
Revises: coach_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "coach_0006"
down_revision = "coach_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coach_checks") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("changed_at", sa.DateTime, nullable=True))
        batch.create_index("ix_coach_checks_deleted_at", ["deleted_at"])


def downgrade() -> None:
    with op.batch_alter_table("coach_checks") as batch:
        batch.drop_index("ix_coach_checks_deleted_at")
        batch.drop_column("changed_at")
        batch.drop_column("deleted_at")
