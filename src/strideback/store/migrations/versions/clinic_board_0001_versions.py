"""Clinician board: one data version per runner, moved by every write Today depends on.

Revision ID: clinic_board_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "clinic_board_0001"
down_revision = None
branch_labels = ("clinic_board",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinic_board_versions",
        sa.Column("runner", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("clinic_board_versions")
