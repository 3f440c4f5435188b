"""Activities: every source file, activity and series belongs to a runner (issue #12).

A file's SHA-256 is unique per runner (two runners may import the same file).

Revision ID: core_0004
Revises: core_0003
"""

from alembic.operations import BatchOperations

from strideback.store.runner_migration import (
    add_runner_column,
    drop_runner_column,
    finish_runner_column,
    rebuild,
)

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = "accounts_0001"

_OLD_FK = "fk_activities_source_sha256_source_files"
_NEW_FK = "fk_activities_runner_id_source_files"


def upgrade() -> None:
    for table in ("source_files", "activities", "activity_series"):
        add_runner_column(table)
    with rebuild("activities") as batch:
        batch.drop_constraint(_OLD_FK, type_="foreignkey")
        batch.drop_constraint("uq_activities_source_sha256", type_="unique")
    finish_runner_column("source_files", primary_key=["runner_id", "sha256"])

    def per_runner_source(batch: BatchOperations) -> None:
        batch.create_unique_constraint(
            "uq_activities_runner_id", ["runner_id", "source_sha256", "leg_index"]
        )
        batch.create_foreign_key(
            _NEW_FK,
            "source_files",
            ["runner_id", "source_sha256"],
            ["runner_id", "sha256"],
            ondelete="CASCADE",
        )

    finish_runner_column("activities", more=per_runner_source)
    finish_runner_column("activity_series")


def downgrade() -> None:
    with rebuild("activities") as batch:
        batch.drop_constraint(_NEW_FK, type_="foreignkey")
        batch.drop_constraint("uq_activities_runner_id", type_="unique")
    drop_runner_column("activity_series")
    drop_runner_column("activities")
    drop_runner_column("source_files", primary_key=["sha256"])
    with rebuild("activities") as batch:
        batch.create_unique_constraint(
            "uq_activities_source_sha256", ["source_sha256", "leg_index"]
        )
        batch.create_foreign_key(
            _OLD_FK, "source_files", ["source_sha256"], ["sha256"], ondelete="CASCADE"
        )
