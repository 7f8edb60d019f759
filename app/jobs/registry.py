"""The job functions. Each takes a session and the :class:`JobSettings`, does its work
idempotently, and returns the number of rows it wrote; the runner commits, records the
run and holds the lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.jobs.alerts import ALERTS_INTERVAL_SECONDS, run_alerts
from app.jobs.forecasts import run_forecasts
from app.jobs.recommendations import run_recommendations
from data.experiments import analyse_experiments, fold_exposure_events
from data.queries.recommendations import RECOMMENDATIONS_EVERY_HOURS
from data.writes import rollup_new_events

#: The forecasts job runs nightly (an interval from scheduler start; ``flask jobs run
#: forecasts`` runs it at once). Forecasts are based on complete days, so more often adds little.
FORECASTS_INTERVAL_SECONDS = 24 * 60 * 60
#: The recommendations job runs every 6 hours: its inputs are whole-life and weekly
#: rollups, which move slowly; the Recommendations page says so when it has nothing yet.
RECOMMENDATIONS_INTERVAL_SECONDS = RECOMMENDATIONS_EVERY_HOURS * 60 * 60


@dataclass(frozen=True)
class JobSettings:
    """The app settings jobs depend on (read from the app config by the caller)."""

    reporting_currency: str = "USD"
    #: Where the alerts job POSTs new alerts (``None``: no webhook), and the HMAC secret
    #: that signs them (``None``: unsigned).
    alerts_webhook_url: str | None = None
    alerts_webhook_secret: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JobSettings:
        return cls(
            reporting_currency=str(config.get("REPORTING_CURRENCY", "USD")),
            alerts_webhook_url=config.get("ALERTS_WEBHOOK_URL") or None,
            alerts_webhook_secret=config.get("ALERTS_WEBHOOK_SECRET") or None,
        )


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


def _alerts(session: Session, settings: JobSettings) -> int:
    return run_alerts(
        session,
        webhook_url=settings.alerts_webhook_url,
        webhook_secret=settings.alerts_webhook_secret,
        currency=settings.reporting_currency,
    )


def _recommendations(session: Session, settings: JobSettings) -> int:
    return run_recommendations(session, currency=settings.reporting_currency)


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
        JobSpec(
            "recommendations",
            _recommendations,
            "Run the recommendation rules (drop-off chapters, hiatuses, paywall position, "
            "release time, chapter length, momentum, audience segments) for every writer and "
            "replace each writer's stored advice (dismissals are kept).",
            RECOMMENDATIONS_INTERVAL_SECONDS,
        ),
        JobSpec(
            "alerts",
            _alerts,
            "Look for spikes and drops in daily readers, views and revenue of every writer and "
            "the platform over the last 3 complete days (against each weekday's usual level), "
            "store them with their likely source, and POST new ones to ALERTS_WEBHOOK_URL "
            "when it is set (failed deliveries are retried on later runs).",
            ALERTS_INTERVAL_SECONDS,
        ),
    )
}
