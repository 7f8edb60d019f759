"""Per-reader rollups maintained by the rollup job: how far each reader got in each story.

``ReaderChapterProgress`` has one row per reader and catalog chapter the reader touched,
with the *first* time the reader opened the chapter, finished it and unlocked it. Rows only
ever move earlier (the job merges with ``min``), so rebuilding any day again gives the same
rows. It is the base of retention, drop-off, reader types, next-chapter hooks, paywall
conversion and entry-chapter cohorts (definitions: docs/metrics.md).

The other tables here are folds the same job keeps in step (``data.progress``): per story
and reader (``StoryReaderSummary``), per story and chapter (``StoryChapterStats``,
``StoryEntryCohort``), per writer and reader (``WriterReaderSummary``, ``WriterReaderFirstActive``) and per
writer, reader and day (``WriterReaderDaily``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base

#: A chapter opened at most this long after its publication is a release-day open.
RELEASE_DAY_SECONDS = 24 * 3600


class ReaderChapterProgress(Base):
    """One reader's first open, first completion and unlock of one chapter.

    The key is ``(story_id, reader_id, chapter_number)`` (equivalent to ``(chapter_id,
    reader_id)`` through the catalog), so a reader's path through a story is one index
    range; ``ix_reader_chapter_progress_story_id_chapter_number`` serves per-chapter counts and
    ``ix_reader_chapter_progress_story_id_reader_id_covering`` per-reader paths (both covering).
    Any of the three timestamps may be ``None`` (an unlock without an open, say).
    """

    __tablename__ = "reader_chapter_progress"
    __table_args__ = (
        Index(
            "ix_reader_chapter_progress_story_id_chapter_number",
            "story_id",
            "chapter_number",
            "first_started_at",
            "reader_id",
            "first_completed_at",
            "unlocked_at",
        ),
        # covering copy of the key order: a story's reader paths without table lookups
        Index(
            "ix_reader_chapter_progress_story_id_reader_id_covering",
            "story_id",
            "reader_id",
            "chapter_number",
            "first_started_at",
            "first_completed_at",
            "unlocked_at",
        ),
        Index(
            "ix_reader_chapter_progress_writer_id_reader_id_first_started_at",
            "writer_id",
            "reader_id",
            "first_started_at",
        ),
    )

    story_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chapter_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    chapter_id: Mapped[int] = mapped_column(Integer)
    writer_id: Mapped[int] = mapped_column(Integer)
    first_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    unlocked_at: Mapped[datetime | None] = mapped_column(DateTime)


class StoryReaderSummary(Base):
    """One reader's path through one story, folded from ``reader_chapter_progress``.

    One row per story and reader who opened at least one of its chapters, recomputed from
    the reader's progress rows whenever they change (``data.progress``), so it always equals
    a fresh aggregation of ``reader_chapter_progress`` against the catalog:

    - ``first_started_at``: the reader's first chapter open in the story;
    - ``entry_chapter``: the lowest chapter number opened at ``first_started_at``;
    - ``first_chapter_started_at``: when they opened chapter 1 (``None``: never);
    - ``chapters_started``: chapters opened;
    - ``release_day_starts``: chapters opened within 24 hours of their publication;
    - ``busiest_day_starts``: the most chapters first opened on one UTC day.

    The reader type (docs/metrics.md) is a pure function of the last three columns.
    """

    __tablename__ = "story_reader_summary"
    __table_args__ = (
        Index(
            "ix_story_reader_summary_writer_id_first_started_at",
            "writer_id",
            "first_started_at",
            "reader_id",
        ),
        Index(
            "ix_story_reader_summary_reader_id_first_started_at",
            "reader_id",
            "first_started_at",
            "writer_id",
        ),
        {"sqlite_with_rowid": False},
    )

    story_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    writer_id: Mapped[int] = mapped_column(Integer)
    first_started_at: Mapped[datetime] = mapped_column(DateTime)
    entry_chapter: Mapped[int] = mapped_column(Integer)
    first_chapter_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    chapters_started: Mapped[int] = mapped_column(Integer)
    release_day_starts: Mapped[int] = mapped_column(Integer)
    busiest_day_starts: Mapped[int] = mapped_column(Integer)


class StoryChapterStats(Base):
    """Per-chapter reader counts of one story since it began, folded from
    ``reader_chapter_progress`` (and ``story_reader_summary``) for every story whose progress
    changes (``data.progress``): exactly what the unfiltered retention, hook and paywall
    queries of ``data.queries.retention`` would count live (definitions: docs/metrics.md).

    One row per story and chapter number with any non-zero count; a missing row means zeros:

    - ``readers``: readers who opened the chapter; ``reached``: starting readers who did,
      and ``reached_release_day`` / ``reached_binge`` / ``reached_catch_up`` by reader type;
    - ``completers``: readers who completed it while a next chapter is published, with
      ``next_24h`` / ``next_7d`` of them opening the next chapter within the hook window;
    - ``paywall_reached`` (opened, unlocked or completed the previous chapter),
      ``unlocked`` and ``read_without_unlock`` of those.
    """

    __tablename__ = "story_chapter_stats"

    story_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chapter_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    readers: Mapped[int] = mapped_column(Integer, default=0)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    reached_release_day: Mapped[int] = mapped_column(Integer, default=0)
    reached_binge: Mapped[int] = mapped_column(Integer, default=0)
    reached_catch_up: Mapped[int] = mapped_column(Integer, default=0)
    completers: Mapped[int] = mapped_column(Integer, default=0)
    next_24h: Mapped[int] = mapped_column(Integer, default=0)
    next_7d: Mapped[int] = mapped_column(Integer, default=0)
    paywall_reached: Mapped[int] = mapped_column(Integer, default=0)
    unlocked: Mapped[int] = mapped_column(Integer, default=0)
    read_without_unlock: Mapped[int] = mapped_column(Integer, default=0)


class StoryEntryCohort(Base):
    """Entry-chapter cohorts of one story since it began, folded with ``story_chapter_stats``
    (``data.progress``): of the readers whose first open in the story was ``entry_chapter``
    (``story_reader_summary.entry_chapter``), how many opened chapter entry +
    ``chapter_offset``. One row per non-zero count; what ``entry_chapter_cohorts`` shows."""

    __tablename__ = "story_entry_cohorts"

    story_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_chapter: Mapped[int] = mapped_column(Integer, primary_key=True)
    chapter_offset: Mapped[int] = mapped_column(Integer, primary_key=True)
    reached: Mapped[int] = mapped_column(Integer, default=0)


class WriterReaderSummary(Base):
    """One reader's first chapter open on any of one writer's stories, folded from
    ``story_reader_summary`` (``data.progress``): one row per writer and reader with at least
    one summary row of the writer's stories, always equal to ``min(first_started_at)`` over
    them. The *first-read week* of first-read-week cohorts (docs/metrics.md, "Audience").

    - ``first_started_at``: the reader's first chapter open on the writer's stories;
    - ``first_week``: the Monday of its UTC day (``data.sql.week_start``).

    ``ix_writer_reader_summary_writer_id_first_week`` makes a writer's cohort sizes one
    range scan in cohort order.
    """

    __tablename__ = "writer_reader_summary"
    __table_args__ = (
        Index(
            "ix_writer_reader_summary_writer_id_first_week",
            "writer_id",
            "first_week",
            "first_started_at",
            "reader_id",
        ),
        {"sqlite_with_rowid": False},
    )

    writer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    first_started_at: Mapped[datetime] = mapped_column(DateTime)
    first_week: Mapped[date] = mapped_column(Date)


class WriterReaderDaily(Base):
    """One reader's activity on one writer's stories on one day: ``story_reader_daily`` summed
    over the writer's stories (``data.progress`` replaces the rows of every day the rollup job
    rebuilds), with the reader's first open on the writer's stories copied from
    ``writer_reader_summary`` (``None`` while they have opened none of its chapters).

    One row per ``(writer_id, reader_id, day)`` with a ``story_reader_daily`` row of that
    writer, so a reader's active days in a period are a row count, not a distinct count:

    - ``week``: the Monday of ``day``;
    - ``first_day`` / ``first_week``: the UTC day and Monday of
      ``writer_reader_summary.first_started_at``;
    - ``chapter_views``, ``completions``, ``reading_seconds``, ``revenue_minor``: the sums of
      the writer's ``story_reader_daily`` rows of that reader and day.

    Indexes: ``…_writer_id_day`` covers the most-engaged ranking (a period's rows with reader,
    reading time and views); ``…_writer_id_first_week`` holds a writer's rows in (cohort
    week, activity week) order, so first-read-week cohort activity is one range scan that
    groups without sorting.
    """

    __tablename__ = "writer_reader_daily"
    __table_args__ = (
        Index(
            "ix_writer_reader_daily_writer_id_day",
            "writer_id",
            "day",
            "reader_id",
            "reading_seconds",
            "chapter_views",
        ),
        Index(
            "ix_writer_reader_daily_writer_id_first_week",
            "writer_id",
            "first_week",
            "week",
            "reader_id",
            "day",
            "first_day",
        ),
        {"sqlite_with_rowid": False},
    )

    writer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    week: Mapped[date] = mapped_column(Date)
    first_day: Mapped[date | None] = mapped_column(Date)
    first_week: Mapped[date | None] = mapped_column(Date)
    chapter_views: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    reading_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class WriterReaderFirstActive(Base):
    """The first day a reader was active on any of one writer's stories: ``min(day)`` of
    the writer's ``story_reader_daily`` rows of that reader (equivalently of its
    ``writer_reader_daily`` rows), kept equal to it by ``data.progress`` whenever the rollup
    job rebuilds days (also days rebuilt with fewer rows). One row per writer and reader
    with at least one such row.

    "Active before the period" (docs/metrics.md, "Audience") is ``first_day < start``, so a
    writer's *new* readers of a period are the rows with ``first_day`` in it: one range
    count on ``ix_writer_reader_first_active_writer_id_first_day`` (which carries
    ``reader_id`` for segment filters on PostgreSQL; SQLite's secondary indexes of a
    ``WITHOUT ROWID`` table hold the key anyway).
    """

    __tablename__ = "writer_reader_first_active"
    __table_args__ = (
        Index(
            "ix_writer_reader_first_active_writer_id_first_day",
            "writer_id",
            "first_day",
            "reader_id",
        ),
        {"sqlite_with_rowid": False},
    )

    writer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
