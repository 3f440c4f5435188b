"""Activities: source files, activities and their compressed series.

Revision ID: core_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_files",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("imported_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "source_sha256",
            sa.String(64),
            sa.ForeignKey(
                "source_files.sha256",
                ondelete="CASCADE",
                name="fk_activities_source_sha256_source_files",
            ),
            nullable=False,
        ),
        sa.Column("leg_index", sa.Integer, nullable=False),
        sa.Column("source_format", sa.String(16), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("sport", sa.String(32), nullable=False),
        sa.Column("sub_sport", sa.String(32)),
        sa.Column("name", sa.String(300)),
        sa.Column("start_time", sa.DateTime, nullable=False),
        sa.Column("utc_offset_s", sa.Integer),
        sa.Column("distance_m", sa.Float),
        sa.Column("elapsed_s", sa.Float),
        sa.Column("moving_s", sa.Float),
        sa.Column("ascent_m", sa.Float),
        sa.Column("descent_m", sa.Float),
        sa.Column("avg_cadence_spm", sa.Float),
        sa.Column("avg_hr_bpm", sa.Float),
        sa.Column("max_hr_bpm", sa.Float),
        sa.Column("device", sa.String(100)),
        sa.Column("provenance", sa.Text),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("source_sha256", "leg_index", name="uq_activities_source_sha256"),
    )
    op.create_index("ix_activities_source_sha256", "activities", ["source_sha256"])
    op.create_index("ix_activities_sport", "activities", ["sport"])
    op.create_index("ix_activities_start_time", "activities", ["start_time"])
    op.create_table(
        "activity_series",
        sa.Column(
            "activity_id",
            sa.Integer,
            sa.ForeignKey(
                "activities.id",
                ondelete="CASCADE",
                name="fk_activity_series_activity_id_activities",
            ),
            primary_key=True,
        ),
        sa.Column("n_samples", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("activity_series")
    op.drop_table("activities")
    op.drop_table("source_files")
