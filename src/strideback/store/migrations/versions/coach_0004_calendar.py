"""Coach: a random calendar id per runner, for unique, stable iCalendar UIDs.

Revision ID: coach_0004
Revises: coach_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "coach_0004"
down_revision = "coach_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_calendar",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_uid", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("coach_calendar")
