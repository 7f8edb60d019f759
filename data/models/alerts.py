"""Alerts: anomalies the ``alerts`` job found in a writer's or the platform's daily series,
with their likely source and the state of their optional webhook delivery (definitions:
docs/metrics.md, "Alerts"). Pages only read these and mark them read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base, utcnow

#: Series the job watches (per writer and for the platform): distinct readers, chapter
#: opens and revenue (minor units of the reporting currency) per UTC day.
ALERT_METRICS = ("readers", "views", "revenue")
ALERT_DIRECTIONS = ("spike", "drop")
ALERT_SEVERITIES = ("low", "medium", "high")
#: ``Alert.source_kind`` values (``None``: no single source stands out).
ALERT_SOURCE_KINDS = ("release", "story", "writer", "country", "acquisition_source")
#: ``Alert.webhook_status``: ``none`` — no webhook was configured when the alert was raised
#: (never sent); ``pending`` — to be sent (again) by the next run; ``delivered``; ``failed``
#: — gave up after the last allowed attempt.
WEBHOOK_STATUSES = ("none", "pending", "delivered", "failed")


class Alert(Base):
    """One anomalous day of one series: ``writer_id`` (``None`` for the platform, which
    only admins see), ``metric`` (one of ``ALERT_METRICS``), ``day``.

    ``observed`` against ``expected`` and the expected range ``expected_low`` …
    ``expected_high`` (the metric's unit); ``direction`` spike|drop, ``severity``
    low|medium|high, ``score`` the deviation in spreads; the likely source
    (``source_kind``, ``source_label``, ``source_share`` of the deviation, ``story_id`` for
    story and release sources) and ``summary`` (one sentence); ``evidence`` holds the
    numbers behind it (JSON). One row per (writer, metric, day) — two partial unique
    indexes, because NULL (the platform) is never equal to NULL in a unique index — so a
    rerun updates the row instead of adding one. ``read_at`` is the owner's read mark (the
    writer's; any admin's for platform alerts). ``webhook_*`` record delivery: status (see
    ``WEBHOOK_STATUSES``), attempts so far, when it was delivered, the last error."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_writer_id_metric_day",
            "writer_id",
            "metric",
            "day",
            unique=True,
            sqlite_where=text("writer_id IS NOT NULL"),
            postgresql_where=text("writer_id IS NOT NULL"),
        ),
        Index(
            "uq_alerts_platform_metric_day",
            "metric",
            "day",
            unique=True,
            sqlite_where=text("writer_id IS NULL"),
            postgresql_where=text("writer_id IS NULL"),
        ),
        Index("ix_alerts_writer_id_day", "writer_id", "day"),
        Index("ix_alerts_webhook_status", "webhook_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    writer_id: Mapped[int | None] = mapped_column(ForeignKey("writers.id"))
    metric: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(8))
    observed: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    expected_low: Mapped[float] = mapped_column(Float)
    expected_high: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    source_kind: Mapped[str | None] = mapped_column(String(32))
    source_label: Mapped[str | None] = mapped_column(String(200))
    source_share: Mapped[float | None] = mapped_column(Float)
    story_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    webhook_status: Mapped[str] = mapped_column(String(16), default="none")
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    webhook_delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    webhook_error: Mapped[str | None] = mapped_column(Text)
