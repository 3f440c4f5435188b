"""Web: every background job and display preference belongs to a runner (issue #12); a
preference's key is unique per runner.

Revision ID: web_0003
Revises: web_0002
"""

from strideback.store.runner_migration import (
    add_runner_column,
    drop_runner_column,
    finish_runner_column,
)

revision = "web_0003"
down_revision = "web_0002"
branch_labels = None
depends_on = "accounts_0001"


def upgrade() -> None:
    add_runner_column("web_jobs")
    finish_runner_column("web_jobs")
    add_runner_column("web_preferences")
    finish_runner_column("web_preferences", primary_key=["runner_id", "key"])


def downgrade() -> None:
    drop_runner_column("web_jobs")
    drop_runner_column("web_preferences", primary_key=["key"])
