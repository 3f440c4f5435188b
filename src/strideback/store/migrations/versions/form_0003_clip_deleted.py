"""Form: soft delete of a clip (deleted_at, and deleted_from: the folder its files came
from while they lie in the trash), so a deleted clip can be restored (undo).

Revision ID: form_0003
Revises: form_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "form_0003"
down_revision = "form_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_clips") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("deleted_from", sa.String(1000), nullable=True))
        batch.create_index("ix_form_clips_deleted_at", ["deleted_at"])


def downgrade() -> None:
    with op.batch_alter_table("form_clips") as batch:
        batch.drop_index("ix_form_clips_deleted_at")
        batch.drop_column("deleted_from")
        batch.drop_column("deleted_at")
