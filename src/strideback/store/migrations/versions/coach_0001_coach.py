"""Coach: checks, diary, settings, plan starts.

Revision ID: coach_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "coach_0001"
down_revision = None
branch_labels = ("coach",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("taken_on", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("red_flags", sa.Text, nullable=False),
        sa.Column("referral", sa.Text),
        sa.Column("pattern", sa.String(40), nullable=False),
        sa.Column("pattern_message", sa.Text, nullable=False),
        sa.Column("kujala_total", sa.Integer),
        sa.Column("kujala_items", sa.Text),
        sa.Column("can_start_plan", sa.Boolean, nullable=False),
        sa.Column("notes", sa.Text),
    )
    op.create_index("ix_coach_checks_taken_on", "coach_checks", ["taken_on"])
    op.create_table(
        "coach_diary",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("pain_during", sa.Integer),
        sa.Column("pain_after", sa.Integer),
        sa.Column("pain_next_morning", sa.Integer),
        sa.Column("swelling", sa.String(8), nullable=False),
        sa.Column("done", sa.String(16)),
        sa.Column("sharp_pain", sa.Boolean, nullable=False),
        sa.Column("limp", sa.Boolean, nullable=False),
        sa.Column("red_flag", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("activity_id", sa.Integer),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "coach_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "coach_plan_starts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("start_on", sa.Date, nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("coach_plan_starts")
    op.drop_table("coach_settings")
    op.drop_table("coach_diary")
    op.drop_index("ix_coach_checks_taken_on", table_name="coach_checks")
    op.drop_table("coach_checks")
