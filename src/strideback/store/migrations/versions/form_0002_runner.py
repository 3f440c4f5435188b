"""Form: every analysed clip belongs to a runner (issue #12).

Revision ID: form_0002
Revises: form_0001
"""

from strideback.store.runner_migration import (
    add_runner_column,
    drop_runner_column,
    finish_runner_column,
)

revision = "form_0002"
down_revision = "form_0001"
branch_labels = None
depends_on = "accounts_0001"


def upgrade() -> None:
    add_runner_column("form_clips")
    finish_runner_column("form_clips")


def downgrade() -> None:
    drop_runner_column("form_clips")
