"""Coach: run-readiness test results in the diary; clinician clearance on plan starts.

Revision ID: coach_0002
Revises: coach_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "coach_0002"
down_revision = "coach_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER freely; on PostgreSQL it issues plain ALTER TABLE.
    with op.batch_alter_table("coach_diary") as batch:
        batch.add_column(sa.Column("squat_test_pain", sa.Integer, nullable=True))
        batch.add_column(sa.Column("hop_test_pain", sa.Integer, nullable=True))
    with op.batch_alter_table("coach_plan_starts") as batch:
        batch.add_column(sa.Column("cleared_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("restart_step", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coach_plan_starts") as batch:
        batch.drop_column("restart_step")
        batch.drop_column("cleared_on")
    with op.batch_alter_table("coach_diary") as batch:
        batch.drop_column("hop_test_pain")
        batch.drop_column("squat_test_pain")
