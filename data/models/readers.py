"""Readers: the platform's end users, known by ``user_id`` and/or ``anonymous_id``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base, BigIntPK, utcnow

DEVICES = ("ios", "android", "web")
AGE_BANDS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
ACQUISITION_SOURCES = ("organic", "search", "social", "referral", "ads", "email")


class Reader(Base):
    """A reader with the traits dashboards segment by; unknown traits are ``None``.

    ``trait_set_id`` names the reader's combination of the four typed traits
    (:class:`ReaderTraitSet`; ``None`` when all four are unknown). Database triggers keep it
    in step with the trait columns on every insert and update, whichever code writes them
    (migration 0011), so readers can be grouped by one integer instead of four strings.
    """

    __tablename__ = "readers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    anonymous_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    device: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(8))
    signup_date: Mapped[date | None] = mapped_column(Date)
    acquisition_source: Mapped[str | None] = mapped_column(String(32))
    traits: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    trait_set_id: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


#: The trait columns a :class:`ReaderTraitSet` combines, in order.
TRAIT_SET_COLUMNS = ("country", "device", "age_band", "acquisition_source")


class ReaderTraitSet(Base):
    """One combination of a reader's four typed traits (``None``: unknown), at most once
    (the unique index compares ``coalesce(trait, '')``; no valid trait value is empty).
    Rows are only added, by the ``readers`` triggers, when a reader gets a combination not
    seen before; the all-unknown combination has no row (``Reader.trait_set_id`` is
    ``None``). Grouping a set of readers by ``trait_set_id`` and joining these rows gives
    their counts per combination without sorting on four strings per reader."""

    __tablename__ = "reader_trait_sets"
    __table_args__ = (
        Index(
            "uq_reader_trait_sets_traits",
            *(text(f"coalesce({column}, '')") for column in TRAIT_SET_COLUMNS),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country: Mapped[str | None] = mapped_column(String(2))
    device: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(8))
    acquisition_source: Mapped[str | None] = mapped_column(String(32))
