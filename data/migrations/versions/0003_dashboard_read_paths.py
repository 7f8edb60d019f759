"""dashboard read paths: story reader summaries and covering indexes

Adds ``story_reader_summary`` (one row per story and reader who opened a chapter) and
``story_chapter_stats`` / ``story_entry_cohorts`` (per-chapter and entry-cohort reader counts
of a story), all maintained with
``reader_chapter_progress`` by ``data.progress``, and the indexes the writer dashboards
and real-time tiles read through (see docs/architecture.md, "Read paths").

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 05:02:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SRD_COVERING = [
    "writer_id",
    "day",
    "reader_id",
    "story_id",
    "chapter_views",
    "completions",
    "reading_seconds",
    "revenue_minor",
]


def upgrade() -> None:
    op.create_table(
        "story_reader_summary",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.BigInteger(), nullable=False),
        sa.Column("writer_id", sa.Integer(), nullable=False),
        sa.Column("first_started_at", sa.DateTime(), nullable=False),
        sa.Column("entry_chapter", sa.Integer(), nullable=False),
        sa.Column("first_chapter_started_at", sa.DateTime(), nullable=True),
        sa.Column("chapters_started", sa.Integer(), nullable=False),
        sa.Column("release_day_starts", sa.Integer(), nullable=False),
        sa.Column("busiest_day_starts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "reader_id", name=op.f("pk_story_reader_summary")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("story_reader_summary", schema=None) as batch_op:
        batch_op.create_index(
            "ix_story_reader_summary_writer_id_first_started_at",
            ["writer_id", "first_started_at", "reader_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_story_reader_summary_reader_id_first_started_at",
            ["reader_id", "first_started_at", "writer_id"],
            unique=False,
        )
    op.create_table(
        "story_chapter_stats",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("chapter_number", sa.Integer(), nullable=False),
        sa.Column("readers", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("reached_release_day", sa.Integer(), nullable=False),
        sa.Column("reached_binge", sa.Integer(), nullable=False),
        sa.Column("reached_catch_up", sa.Integer(), nullable=False),
        sa.Column("completers", sa.Integer(), nullable=False),
        sa.Column("next_24h", sa.Integer(), nullable=False),
        sa.Column("next_7d", sa.Integer(), nullable=False),
        sa.Column("paywall_reached", sa.Integer(), nullable=False),
        sa.Column("unlocked", sa.Integer(), nullable=False),
        sa.Column("read_without_unlock", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "chapter_number", name=op.f("pk_story_chapter_stats")),
    )
    op.create_table(
        "story_entry_cohorts",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("entry_chapter", sa.Integer(), nullable=False),
        sa.Column("chapter_offset", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "story_id", "entry_chapter", "chapter_offset", name=op.f("pk_story_entry_cohorts")
        ),
    )
    with op.batch_alter_table("reader_chapter_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reader_chapter_progress_story_id_reader_id_covering",
            [
                "story_id",
                "reader_id",
                "chapter_number",
                "first_started_at",
                "first_completed_at",
                "unlocked_at",
            ],
            unique=False,
        )
        batch_op.drop_index("ix_reader_chapter_progress_story_id_chapter_number")
        batch_op.create_index(
            "ix_reader_chapter_progress_story_id_chapter_number",
            [
                "story_id",
                "chapter_number",
                "first_started_at",
                "reader_id",
                "first_completed_at",
                "unlocked_at",
            ],
            unique=False,
        )
    with op.batch_alter_table("story_reader_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_story_reader_daily_writer_id_day")
        batch_op.create_index("ix_story_reader_daily_writer_id_day", _SRD_COVERING, unique=False)
        batch_op.create_index(
            "ix_story_reader_daily_writer_id_reader_id_day",
            ["writer_id", "reader_id", "day"],
            unique=False,
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_event_type_occurred_at", ["event_type", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_event_type_occurred_at")
    with op.batch_alter_table("story_reader_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_story_reader_daily_writer_id_reader_id_day")
        batch_op.drop_index("ix_story_reader_daily_writer_id_day")
        batch_op.create_index("ix_story_reader_daily_writer_id_day", ["writer_id", "day"])
    with op.batch_alter_table("reader_chapter_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_reader_chapter_progress_story_id_chapter_number")
        batch_op.create_index(
            "ix_reader_chapter_progress_story_id_chapter_number", ["story_id", "chapter_number"]
        )
        batch_op.drop_index("ix_reader_chapter_progress_story_id_reader_id_covering")
    with op.batch_alter_table("story_reader_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_story_reader_summary_reader_id_first_started_at")
        batch_op.drop_index("ix_story_reader_summary_writer_id_first_started_at")
    op.drop_table("story_reader_summary")
    op.drop_table("story_chapter_stats")
    op.drop_table("story_entry_cohorts")
