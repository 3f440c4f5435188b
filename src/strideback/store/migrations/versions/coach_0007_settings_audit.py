"""Coach: an audit log of threshold changes, per runner (who, when, key, old → new).

Revision ID: coach_0007
Revises: coach_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "coach_0007"
down_revision = "coach_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_settings_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("runner_id", sa.Integer, sa.ForeignKey("accounts_users.id"), nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("old_value", sa.Text, nullable=False),
        sa.Column("new_value", sa.Text, nullable=False),
    )
    op.create_index("ix_coach_settings_audit_runner_id", "coach_settings_audit", ["runner_id"])
    op.create_index("ix_coach_settings_audit_changed_at", "coach_settings_audit", ["changed_at"])


def downgrade() -> None:
    op.drop_table("coach_settings_audit")
