"""The job functions. Each takes a session and the :class:`JobSettings`, does its work
idempotently, and returns the number of rows it wrote; the runner commits, records the
run and holds the lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.jobs.forecasts import run_forecasts
from data.experiments import analyse_experiments, fold_exposure_events
from data.writes import rollup_new_events

#: The forecasts job runs nightly (an interval from scheduler start; ``flask jobs run
#: forecasts`` runs it at once). Forecasts are based on complete days, so more often adds little.
FORECASTS_INTERVAL_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class JobSettings:
    """The app settings jobs depend on (read from the app config by the caller)."""

    reporting_currency: str = "USD"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JobSettings:
        return cls(reporting_currency=str(config.get("REPORTING_CURRENCY", "USD")))


@dataclass(frozen=True)
class JobSpec:
    """A job: its function, what it does, and how often the scheduler runs it."""

    name: str
    function: Callable[[Session, JobSettings], int]
    description: str
    interval_seconds: int


def _rollups(session: Session, settings: JobSettings) -> int:
    return rollup_new_events(session, reporting_currency=settings.reporting_currency)


def _experiment_exposures(session: Session, _settings: JobSettings) -> int:
    return fold_exposure_events(session)


def _experiment_analysis(session: Session, _settings: JobSettings) -> int:
    return analyse_experiments(session)


def _forecasts(session: Session, _settings: JobSettings) -> int:
    return run_forecasts(session)


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "rollups",
            _rollups,
            "Fold new raw events into the daily writer/story/chapter rollups "
            "(recomputes only the days the new events touch).",
            60,
        ),
        JobSpec(
            "experiment_exposures",
            _experiment_exposures,
            "Fold experiment_exposure events sent through ingest into experiment_exposures "
            "(the assignment API records its exposures directly).",
            60,
        ),
        JobSpec(
            "experiment_analysis",
            _experiment_analysis,
            "Store per-arm sums of running and recently stopped experiments "
            "(experiment_snapshots) for the results pages: requested ones first, others when "
            "their snapshot is 10 minutes old. Commits after each experiment.",
            60,
        ),
        JobSpec(
            "forecasts",
            _forecasts,
            "Forecast daily revenue and readers 90 days ahead for the platform, every writer "
            "and every story (Prophet, backtested against a seasonal-naive baseline), and "
            "publish the new set atomically.",
            FORECASTS_INTERVAL_SECONDS,
        ),
    )
}
