"""Readers: the platform's end users, known by ``user_id`` and/or ``anonymous_id``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base, BigIntPK, utcnow

DEVICES = ("ios", "android", "web")
AGE_BANDS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")
ACQUISITION_SOURCES = ("organic", "search", "social", "referral", "ads", "email")


class Reader(Base):
    """A reader with the traits dashboards segment by; unknown traits are ``None``."""

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
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
