"""Accounts (clinic mode): users with roles, one-time invites, failed login attempts.

Revision ID: accounts_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "accounts_0001"
down_revision = None
branch_labels = ("accounts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("clinician_id", sa.Integer, sa.ForeignKey("accounts_users.id")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_accounts_users_role", "accounts_users", ["role"])
    op.create_index("ix_accounts_users_clinician_id", "accounts_users", ["clinician_id"])
    op.create_table(
        "accounts_invites",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("accounts_users.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
    )
    op.create_index("ix_accounts_invites_user_id", "accounts_invites", ["user_id"])
    op.create_table(
        "accounts_login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_accounts_login_failures_username", "accounts_login_failures", ["username"])
    op.create_index("ix_accounts_login_failures_at", "accounts_login_failures", ["at"])


def downgrade() -> None:
    op.drop_table("accounts_login_failures")
    op.drop_table("accounts_invites")
    op.drop_table("accounts_users")
