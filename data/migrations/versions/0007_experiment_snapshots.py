"""experiment snapshots: the stored analysis of each experiment, and its exposure index

Adds ``experiment_snapshots`` (one row per experiment: the per-arm sums of
``data.experiments.experiment_sums`` as JSON, when they were computed and how long it took,
and a pending recompute request), written by the ``experiment_analysis`` job so the results
page reads stored sums instead of aggregating events in the request. Adds
``ix_experiment_exposures_experiment_id_variant_key_first_day`` on (experiment, variant, UTC
day of the first exposure, first exposure): the analysis counts exposure rows per arm and
day in index order (an expression index, spelled like ``data.sql.utc_day``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_EXPOSURE_DAY_INDEX = "ix_experiment_exposures_experiment_id_variant_key_first_day"


def _day(column: str) -> sa.TextClause:
    """``data.sql.utc_day(column)`` on this dialect (an expression index is used only by
    queries spelling the same expression)."""
    if op.get_bind().dialect.name == "sqlite":
        return sa.text(f"date({column})")
    return sa.text(f"CAST({column} AS DATE)")


def upgrade() -> None:
    op.create_table(
        "experiment_snapshots",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_snapshots_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", name=op.f("pk_experiment_snapshots")),
    )
    op.create_index(
        _EXPOSURE_DAY_INDEX,
        "experiment_exposures",
        [
            sa.column("experiment_id"),
            sa.column("variant_key"),
            _day("first_exposed_at"),
            sa.column("first_exposed_at"),
        ],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(_EXPOSURE_DAY_INDEX, table_name="experiment_exposures")
    op.drop_table("experiment_snapshots")
