"""Form clips: one row per analysed running-form video.

Revision ID: form_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "form_0001"
down_revision = None
branch_labels = ("form",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_clips",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("runner", sa.String(100), nullable=True),
        sa.Column("video_path", sa.String(1000), nullable=False),
        sa.Column("video_sha256", sa.String(64), nullable=False),
        sa.Column("view", sa.String(16), nullable=False),
        sa.Column("task", sa.String(32), nullable=False),
        sa.Column("fps", sa.Float, nullable=False),
        sa.Column("capture_fps", sa.Float, nullable=False),
        sa.Column("out_dir", sa.String(1000), nullable=False),
        sa.Column("metrics_json", sa.Text, nullable=False),
        sa.Column("quality_json", sa.Text, nullable=False),
        sa.Column("backend", sa.String(100), nullable=False),
    )
    op.create_index("ix_form_clips_created_at", "form_clips", ["created_at"])
    op.create_index("ix_form_clips_recorded_on", "form_clips", ["recorded_on"])
    op.create_index("ix_form_clips_video_sha256", "form_clips", ["video_sha256"])


def downgrade() -> None:
    op.drop_table("form_clips")
