"""Results computed by background jobs and served from tables: forecasts and
recommendations. Dashboards only read these; they never fit a model in a request."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base, utcnow

#: Series a forecast can be about; the platform's ``scope_id`` is ``PLATFORM_SCOPE_ID``.
FORECAST_SCOPES = ("platform", "writer", "story")
PLATFORM_SCOPE_ID = 0
FORECAST_METRICS = ("revenue", "readers")
#: ``Forecast.model`` values and how pages label them (the names are
#: ``app.analytics.forecasting``'s ``MODEL_*``).
FORECAST_MODELS = {
    "prophet": "Prophet",
    "seasonal_naive": "Seasonal naive (same weekday last week)",
    "projection": "Simple projection (not a forecast)",
    "none": "No forecast",
}


class Forecast(Base):
    """A stored forecast of one series (``scope`` platform|writer|story with ``scope_id``
    0 for the platform, ``metric`` revenue|readers) with the model actually used
    (prophet|seasonal_naive|projection|none) and its backtest errors. At most one forecast
    per series is ``is_current`` (a partial unique index); a new set becomes current only
    once all its points are written, in the same transaction (``data.forecast_store``).
    Definitions: docs/metrics.md, "Forecasts"."""

    __tablename__ = "forecasts"
    __table_args__ = (
        Index("ix_forecasts_scope_metric", "scope", "scope_id", "metric"),
        Index(
            "uq_forecasts_current",
            "scope",
            "scope_id",
            "metric",
            unique=True,
            sqlite_where=text("is_current = 1"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(32))
    horizon_days: Mapped[int] = mapped_column(Integer)
    history_days: Mapped[int] = mapped_column(Integer)
    mase: Mapped[float | None] = mapped_column(Float)
    mape: Mapped[float | None] = mapped_column(Float)
    baseline_mase: Mapped[float | None] = mapped_column(Float)
    generated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id"))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # revision 0006
    history_start: Mapped[date | None] = mapped_column(Date)
    history_end: Mapped[date | None] = mapped_column(Date)
    wape: Mapped[float | None] = mapped_column(Float)
    coverage_80: Mapped[float | None] = mapped_column(Float)
    coverage_95: Mapped[float | None] = mapped_column(Float)
    backtest_days: Mapped[int | None] = mapped_column(Integer)
    baseline_mape: Mapped[float | None] = mapped_column(Float)
    prophet_mase: Mapped[float | None] = mapped_column(Float)
    prophet_mape: Mapped[float | None] = mapped_column(Float)
    month_end: Mapped[date | None] = mapped_column(Date)
    month_to_date: Mapped[float | None] = mapped_column(Float)
    month_p10: Mapped[float | None] = mapped_column(Float)
    month_p50: Mapped[float | None] = mapped_column(Float)
    month_p90: Mapped[float | None] = mapped_column(Float)
    fit_seconds: Mapped[float | None] = mapped_column(Float)


class ForecastPoint(Base):
    """One forecast day with its 80% and 95% bands."""

    __tablename__ = "forecast_points"

    forecast_id: Mapped[int] = mapped_column(ForeignKey("forecasts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    yhat: Mapped[float] = mapped_column(Float)
    lower_80: Mapped[float] = mapped_column(Float)
    upper_80: Mapped[float] = mapped_column(Float)
    lower_95: Mapped[float] = mapped_column(Float)
    upper_95: Mapped[float] = mapped_column(Float)


class Recommendation(Base):
    """One piece of current advice for a writer, written by the ``recommendations`` job
    (revision 0008). ``fingerprint`` is a stable key of the advice (kind, what it concerns
    and its decisive parameter), unique per writer, so the same advice on the next run is
    recognised and a dismissal (``RecommendationDismissal``) keeps applying. The job replaces
    a writer's whole set in one transaction (``data.recommendation_store``); ``rank`` 1 is
    the highest ``priority``. ``evidence`` holds the numbers behind the advice."""

    __tablename__ = "recommendations"
    __table_args__ = (
        Index("ix_recommendations_writer_id_rank", "writer_id", "rank"),
        UniqueConstraint("writer_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    writer_id: Mapped[int] = mapped_column(ForeignKey("writers.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    chapter_id: Mapped[int | None] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(160))
    rank: Mapped[int] = mapped_column(Integer)
    priority: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    expected_effect: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id", ondelete="SET NULL"))


class RecommendationDismissal(Base):
    """A writer's "not for me" on one advice, keyed by its fingerprint (not a row id) so it
    outlives the job replacing the set; deleting the row restores the advice."""

    __tablename__ = "recommendation_dismissals"

    writer_id: Mapped[int] = mapped_column(
        ForeignKey("writers.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(160), primary_key=True)
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
