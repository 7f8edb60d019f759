"""writer reader read paths: per-writer first opens and per-writer reader days

Adds ``writer_reader_summary`` (a reader's first chapter open on a writer's stories and its
week) and ``writer_reader_daily`` (one row per writer, reader and active day, with that
first open copied in), both maintained by ``data.progress`` with the rollups. They serve
first-read-week cohorts and the most-engaged ranking (see docs/architecture.md, "Read
paths"). The upgrade fills both from ``story_reader_summary`` and ``story_reader_daily`` (the
same fold as ``data.progress.rebuild_writer_reader_tables``), so an upgraded database with
data answers correctly at once; the indexes are built after the fill.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _day(expression: str) -> str:
    """``data.sql.utc_day`` of ``expression`` on this dialect."""
    if op.get_bind().dialect.name == "sqlite":
        return f"date({expression})"
    return f"CAST({expression} AS DATE)"


def _week(day_expression: str) -> str:
    """``data.sql.week_start`` (the Monday) of a date ``day_expression`` on this dialect."""
    if op.get_bind().dialect.name == "sqlite":
        return f"date({day_expression}, 'weekday 0', '-6 days')"
    return f"CAST(date_trunc('week', CAST({day_expression} AS TIMESTAMP)) AS DATE)"


def upgrade() -> None:
    op.create_table(
        "writer_reader_summary",
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.BigInteger(), nullable=False),
        sa.Column("first_started_at", sa.DateTime(), nullable=False),
        sa.Column("first_week", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("writer_id", "reader_id", name=op.f("pk_writer_reader_summary")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "writer_reader_daily",
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("first_week", sa.Date(), nullable=True),
        sa.Column("chapter_views", sa.Integer(), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.Column("reading_seconds", sa.BigInteger(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "writer_id", "reader_id", "day", name=op.f("pk_writer_reader_daily")
        ),
        sqlite_with_rowid=False,
    )
    first = "min(first_started_at)"
    op.execute(
        "INSERT INTO writer_reader_summary (writer_id, reader_id, first_started_at, first_week) "
        f"SELECT writer_id, reader_id, {first}, {_week(_day(first))} "
        "FROM story_reader_summary GROUP BY writer_id, reader_id"
    )
    op.execute(
        "INSERT INTO writer_reader_daily (writer_id, reader_id, day, week, first_day, "
        "first_week, chapter_views, completions, reading_seconds, revenue_minor) "
        f"SELECT d.writer_id, d.reader_id, d.day, {_week('d.day')}, "
        f"{_day('max(w.first_started_at)')}, max(w.first_week), sum(d.chapter_views), "
        "sum(d.completions), sum(d.reading_seconds), sum(d.revenue_minor) "
        "FROM story_reader_daily AS d LEFT OUTER JOIN writer_reader_summary AS w "
        "ON w.writer_id = d.writer_id AND w.reader_id = d.reader_id "
        "WHERE d.writer_id IS NOT NULL GROUP BY d.writer_id, d.reader_id, d.day"
    )
    with op.batch_alter_table("writer_reader_summary", schema=None) as batch_op:
        batch_op.create_index(
            "ix_writer_reader_summary_writer_id_first_week",
            ["writer_id", "first_week", "first_started_at", "reader_id"],
            unique=False,
        )
    with op.batch_alter_table("writer_reader_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_writer_reader_daily_writer_id_day",
            ["writer_id", "day", "reader_id", "reading_seconds", "chapter_views"],
            unique=False,
        )
        batch_op.create_index(
            "ix_writer_reader_daily_writer_id_first_week",
            ["writer_id", "first_week", "week", "reader_id", "day", "first_day"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("writer_reader_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_writer_reader_daily_writer_id_first_week")
        batch_op.drop_index("ix_writer_reader_daily_writer_id_day")
    with op.batch_alter_table("writer_reader_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_writer_reader_summary_writer_id_first_week")
    op.drop_table("writer_reader_daily")
    op.drop_table("writer_reader_summary")
