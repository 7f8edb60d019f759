"""Daily rollups folded from raw events by the rollup job (recomputed per affected day).

Counter columns are shared by the story, chapter and writer tables through
``DailyCounters``. ``unique_readers`` is distinct readers that day in that scope; for a
date range use ``StoryReaderDaily`` (one row per story, day and reader), never a sum.
Revenue is in minor units of the reporting currency.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base


class DailyCounters:
    """Counters every daily rollup carries (definitions: docs/metrics.md)."""

    story_views: Mapped[int] = mapped_column(Integer, default=0)
    chapter_views: Mapped[int] = mapped_column(Integer, default=0)
    unique_readers: Mapped[int] = mapped_column(Integer, default=0)
    reading_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    follows: Mapped[int] = mapped_column(Integer, default=0)
    unlocks: Mapped[int] = mapped_column(Integer, default=0)
    tips: Mapped[int] = mapped_column(Integer, default=0)
    subscriptions: Mapped[int] = mapped_column(Integer, default=0)
    revenue_unlock_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_tip_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_subscription_minor: Mapped[int] = mapped_column(BigInteger, default=0)


COUNTER_COLUMNS = (
    "story_views",
    "chapter_views",
    "unique_readers",
    "reading_seconds",
    "completions",
    "likes",
    "comments",
    "shares",
    "follows",
    "unlocks",
    "tips",
    "subscriptions",
    "revenue_unlock_minor",
    "revenue_tip_minor",
    "revenue_subscription_minor",
)


class WriterDaily(DailyCounters, Base):
    """One writer's day."""

    __tablename__ = "writer_daily"

    writer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class StoryDaily(DailyCounters, Base):
    """One story's day."""

    __tablename__ = "story_daily"
    __table_args__ = (Index("ix_story_daily_writer_id_day", "writer_id", "day"),)

    story_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    writer_id: Mapped[int | None] = mapped_column(Integer)


class ChapterDaily(DailyCounters, Base):
    """One chapter's day."""

    __tablename__ = "chapter_daily"
    __table_args__ = (Index("ix_chapter_daily_story_id_day", "story_id", "day"),)

    chapter_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    story_id: Mapped[int | None] = mapped_column(Integer)
    writer_id: Mapped[int | None] = mapped_column(Integer)


class StoryReaderDaily(Base):
    """One reader's activity on one story on one day: the base of distinct-reader counts
    over ranges, segments, cohorts and retention."""

    __tablename__ = "story_reader_daily"
    __table_args__ = (
        # covering: per-writer period scans never touch the table (engagement, audience)
        Index(
            "ix_story_reader_daily_writer_id_day",
            "writer_id",
            "day",
            "reader_id",
            "story_id",
            "chapter_views",
            "completions",
            "reading_seconds",
            "revenue_minor",
        ),
        # "was this reader active with this writer before day X" is one index probe
        Index("ix_story_reader_daily_writer_id_reader_id_day", "writer_id", "reader_id", "day"),
        Index("ix_story_reader_daily_reader_id", "reader_id"),
    )

    story_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reader_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    writer_id: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer, default=0)
    chapter_views: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    reading_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)
