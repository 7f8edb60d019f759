"""alerts: anomalies found by the alerts job, their likely source and webhook delivery

Adds ``alerts`` (``data.models.Alert``): one row per anomalous (writer, metric, day) —
``writer_id`` NULL for the platform — with the observed value, the expected value and range,
direction, severity, the likely source, evidence (JSON), the owner's read mark and the
webhook delivery state. Two partial unique indexes make (writer, metric, day) unique for
writers and (metric, day) unique for the platform (NULLs are never equal in a unique index),
so job reruns update instead of duplicating; ``ix_alerts_writer_id_day`` serves the
notification list and the unread count, ``ix_alerts_webhook_status`` the deliveries still
pending. Definitions: docs/metrics.md, "Alerts".

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 09:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("writer_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("observed", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("expected_low", sa.Float(), nullable=False),
        sa.Column("expected_high", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("source_kind", sa.String(length=32), nullable=True),
        sa.Column("source_label", sa.String(length=200), nullable=True),
        sa.Column("source_share", sa.Float(), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("read_by_id", sa.Integer(), nullable=True),
        sa.Column("webhook_status", sa.String(length=16), nullable=False),
        sa.Column("webhook_attempts", sa.Integer(), nullable=False),
        sa.Column("webhook_last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("webhook_delivered_at", sa.DateTime(), nullable=True),
        sa.Column("webhook_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_runs.id"], name=op.f("fk_alerts_job_run_id_job_runs")
        ),
        sa.ForeignKeyConstraint(
            ["read_by_id"], ["users.id"], name=op.f("fk_alerts_read_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["writer_id"], ["writers.id"], name=op.f("fk_alerts_writer_id_writers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        "uq_alerts_writer_id_metric_day",
        "alerts",
        ["writer_id", "metric", "day"],
        unique=True,
        sqlite_where=sa.text("writer_id IS NOT NULL"),
        postgresql_where=sa.text("writer_id IS NOT NULL"),
    )
    op.create_index(
        "uq_alerts_platform_metric_day",
        "alerts",
        ["metric", "day"],
        unique=True,
        sqlite_where=sa.text("writer_id IS NULL"),
        postgresql_where=sa.text("writer_id IS NULL"),
    )
    op.create_index("ix_alerts_writer_id_day", "alerts", ["writer_id", "day"], unique=False)
    op.create_index("ix_alerts_webhook_status", "alerts", ["webhook_status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_alerts_webhook_status", table_name="alerts")
    op.drop_index("ix_alerts_writer_id_day", table_name="alerts")
    op.drop_index("uq_alerts_platform_metric_day", table_name="alerts")
    op.drop_index("uq_alerts_writer_id_metric_day", table_name="alerts")
    op.drop_table("alerts")
