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
    """A ranked, evidence-backed suggestion for a writer; dismissible."""

    __tablename__ = "recommendations"
    __table_args__ = (Index("ix_recommendations_writer_id_created_at", "writer_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    writer_id: Mapped[int] = mapped_column(ForeignKey("writers.id"))
    story_id: Mapped[int | None] = mapped_column(Integer)
    chapter_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    expected_effect: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id"))
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime)
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
