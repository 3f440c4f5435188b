"""Activities: laps (compact JSON) and whether the sport is a guess.

Revision ID: core_0002
Revises: core_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("laps", sa.Text, nullable=True))
        batch.add_column(
            sa.Column("sport_guessed", sa.Boolean, nullable=False, server_default=sa.false())
        )
    # Activities imported before this revision: their provenance already says when the
    # sport was guessed (GPX without <type>).
    activities = sa.table(
        "activities", sa.column("sport_guessed", sa.Boolean), sa.column("provenance", sa.Text)
    )
    op.execute(
        activities.update()
        .where(activities.c.provenance.like('%"sport": "guessed%'))
        .values(sport_guessed=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("sport_guessed")
        batch.drop_column("laps")
