"""Clinic: a clinician's private, dated notes on a runner (their own branch, `clinic`).

Revision ID: clinic_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "clinic_0001"
down_revision = None
branch_labels = ("clinic",)
depends_on = "accounts_0001"


def upgrade() -> None:
    op.create_table(
        "clinic_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("runner_id", sa.Integer, sa.ForeignKey("accounts_users.id"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("accounts_users.id"), nullable=False),
        sa.Column("noted_on", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_clinic_notes_runner_id", "clinic_notes", ["runner_id"])
    op.create_index("ix_clinic_notes_author_id", "clinic_notes", ["author_id"])
    op.create_index("ix_clinic_notes_noted_on", "clinic_notes", ["noted_on"])


def downgrade() -> None:
    op.drop_table("clinic_notes")
