"""Activities: soft delete (deleted_at), so a deleted activity can be restored (undo).

Revision ID: core_0003
Revises: core_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime, nullable=True))
        batch.create_index("ix_activities_deleted_at", ["deleted_at"])


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.drop_index("ix_activities_deleted_at")
        batch.drop_column("deleted_at")
