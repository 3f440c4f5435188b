"""Coach: every check, diary day, setting, plan start and calendar belongs to a runner
(issue #12). A diary day is unique per runner, and so is a setting's key.

Revision ID: coach_0005
Revises: coach_0004
"""

from strideback.store.runner_migration import (
    add_runner_column,
    drop_runner_column,
    finish_runner_column,
)

revision = "coach_0005"
down_revision = "coach_0004"
branch_labels = None
depends_on = "accounts_0001"

_PER_RUNNER_KEY = {"coach_diary": "day", "coach_settings": "key"}
_TABLES = ("coach_checks", "coach_diary", "coach_settings", "coach_plan_starts", "coach_calendar")


def upgrade() -> None:
    for table in _TABLES:
        add_runner_column(table)
        key = _PER_RUNNER_KEY.get(table)
        finish_runner_column(table, primary_key=["runner_id", key] if key else None)


def downgrade() -> None:
    for table in _TABLES:
        key = _PER_RUNNER_KEY.get(table)
        drop_runner_column(table, primary_key=[key] if key else None)
