"""Experiments (A/B tests), their variants, the first exposure of each unit, and the stored
analysis snapshot of each experiment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.db import Base, BigIntPK, utcnow
from data.sql import utc_day

EXPERIMENT_STATUSES = ("draft", "running", "stopped", "archived")


class Experiment(Base):
    """An experiment; ``salt`` makes its assignment independent of other experiments."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    salt: Mapped[str] = mapped_column(String(32))
    traffic_percent: Mapped[float] = mapped_column(Float, default=100.0)
    engine: Mapped[str] = mapped_column(String(16), default="bayesian")
    sequential: Mapped[bool] = mapped_column(Boolean, default=False)
    goal_metrics: Mapped[list[str]] = mapped_column(JSON, default=list)
    guardrail_metrics: Mapped[list[str]] = mapped_column(JSON, default=list)
    conversion_window_days: Mapped[int] = mapped_column(Integer, default=7)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime)

    variants: Mapped[list[ExperimentVariant]] = relationship(
        back_populates="experiment", order_by="ExperimentVariant.id"
    )


class ExperimentVariant(Base):
    """One arm; weights of an experiment's variants sum to 100."""

    __tablename__ = "experiment_variants"
    __table_args__ = (UniqueConstraint("experiment_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[float] = mapped_column(Float)
    is_control: Mapped[bool] = mapped_column(Boolean, default=False)

    experiment: Mapped[Experiment] = relationship(back_populates="variants")


class ExperimentExposure(Base):
    """First exposure of a unit to a variant (a unit seen in two variants is excluded
    from analysis and counted)."""

    __tablename__ = "experiment_exposures"
    __table_args__ = (UniqueConstraint("experiment_id", "unit_id", "variant_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"))
    unit_id: Mapped[str] = mapped_column(String(128))
    variant_key: Mapped[str] = mapped_column(String(64))
    first_exposed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Serves the analysis (``data.experiments.experiment_sums``): exposure rows per variant and
# first-exposure day in index order (SQLite groups them without sorting), covering the span.
# The day is spelled exactly like ``data.sql.utc_day``, which queries must use to hit it.
Index(
    "ix_experiment_exposures_experiment_id_variant_key_first_day",
    ExperimentExposure.__table__.c.experiment_id,
    ExperimentExposure.__table__.c.variant_key,
    utc_day(ExperimentExposure.__table__.c.first_exposed_at),
    ExperimentExposure.__table__.c.first_exposed_at,
)


class ExperimentSnapshot(Base):
    """The stored analysis of one experiment: the per-arm sums
    (``data.experiments.ExperimentData`` as JSON, ``data``) as of ``computed_at`` (when the
    computation started) and the ``seconds`` it took, written by the ``experiment_analysis``
    job (or on demand for small experiments). One row per experiment, replaced whole in one
    statement, so a reader sees the previous snapshot or the new one, never a mix.

    ``requested_at`` is set when an admin asks for a recomputation (or opens a large
    experiment that has no snapshot yet); the job computes requested experiments first and
    clears the request with the first snapshot computed after it. ``data`` is ``NULL`` while
    the first snapshot is still pending.
    """

    __tablename__ = "experiment_snapshots"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime | None] = mapped_column(DateTime)
    seconds: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    requested_at: Mapped[datetime | None] = mapped_column(DateTime)
