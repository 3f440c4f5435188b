"""Web: a background job can be run again after a server restart: its task, arguments,
input files and the number of times a worker started it.

Revision ID: web_0004
Revises: web_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "web_0004"
down_revision = "web_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_jobs") as batch:
        batch.add_column(sa.Column("task", sa.String(200), nullable=True))
        batch.add_column(sa.Column("args", sa.Text, nullable=True))
        batch.add_column(sa.Column("inputs", sa.Text, nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("web_jobs") as batch:
        batch.drop_column("attempts")
        batch.drop_column("inputs")
        batch.drop_column("args")
        batch.drop_column("task")
