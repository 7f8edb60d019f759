"""The platform's catalog: writers, their stories and the stories' chapters.

Primary keys are the platform's own ids, so events that name a story or chapter can be
joined without a lookup. Events may name ids that are not (yet) in the catalog; they are
kept all the same (events carry no foreign keys).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.db import Base, utcnow

STORY_STATUSES = ("draft", "ongoing", "hiatus", "completed")


class Writer(Base):
    """A writer publishing on the platform (not a dashboard login: see ``User``)."""

    __tablename__ = "writers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(2))
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    stories: Mapped[list[Story]] = relationship(back_populates="writer")


class Story(Base):
    """A serialized story; ``status`` is one of ``STORY_STATUSES``."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    writer_id: Mapped[int] = mapped_column(ForeignKey("writers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    genre: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="ongoing")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    paywall_from_chapter: Mapped[int | None] = mapped_column(Integer)

    writer: Mapped[Writer] = relationship(back_populates="stories")
    chapters: Mapped[list[Chapter]] = relationship(
        back_populates="story", order_by="Chapter.number"
    )


class Chapter(Base):
    """One chapter of a story; ``number`` starts at 1 and is unique within the story."""

    __tablename__ = "chapters"
    __table_args__ = (UniqueConstraint("story_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    is_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    price_minor: Mapped[int | None] = mapped_column(Integer)

    story: Mapped[Story] = relationship(back_populates="chapters")
