"""Accounts (clinic mode): server-side login sessions.

Revision ID: accounts_0002
Revises: accounts_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "accounts_0002"
down_revision = "accounts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("accounts_users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("acting_runner_id", sa.Integer, sa.ForeignKey("accounts_users.id")),
    )
    op.create_index("ix_accounts_sessions_user_id", "accounts_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("accounts_sessions")
