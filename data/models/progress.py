"""Per-reader rollups maintained by the rollup job: how far each reader got in each story.

``ReaderChapterProgress`` has one row per reader and catalog chapter the reader touched,
with the *first* time the reader opened the chapter, finished it and unlocked it. Rows only
ever move earlier (the job merges with ``min``), so rebuilding any day again gives the same
rows. It is the base of retention, drop-off, reader types, next-chapter hooks, paywall
conversion and entry-chapter cohorts (definitions: docs/metrics.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base


class ReaderChapterProgress(Base):
    """One reader's first open, first completion and unlock of one chapter.

    The key is ``(story_id, reader_id, chapter_number)`` (equivalent to ``(chapter_id,
    reader_id)`` through the catalog), so a reader's path through a story is one index
    range; ``ix_reader_chapter_progress_story_id_chapter_number`` serves per-chapter counts.
    Any of the three timestamps may be ``None`` (an unlock without an open, say).
    """

    __tablename__ = "reader_chapter_progress"
    __table_args__ = (
        Index("ix_reader_chapter_progress_story_id_chapter_number", "story_id", "chapter_number"),
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
