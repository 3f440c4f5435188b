"""Web dashboard: jobs belong to the server process that runs them (owner + heartbeat).

Revision ID: web_0002
Revises: web_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "web_0002"
down_revision = "web_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_jobs") as batch:
        batch.add_column(sa.Column("owner", sa.String(80), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime, nullable=True))
        batch.create_index("ix_web_jobs_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("web_jobs") as batch:
        batch.drop_index("ix_web_jobs_owner")
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
