"""The job functions. Each takes a session, does its work idempotently, and returns the
number of rows it wrote; the runner commits, records the run and holds the lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.experiments import fold_exposure_events
from data.writes import rollup_new_events


@dataclass(frozen=True)
class JobSpec:
    """A job: its function, what it does, and how often the scheduler runs it."""

    name: str
    function: Callable[[Session], int]
    description: str
    interval_seconds: int


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "rollups",
            rollup_new_events,
            "Fold new raw events into the daily writer/story/chapter rollups "
            "(recomputes only the days the new events touch).",
            60,
        ),
        JobSpec(
            "experiment_exposures",
            fold_exposure_events,
            "Fold experiment_exposure events sent through ingest into experiment_exposures "
            "(the assignment API records its exposures directly).",
            60,
        ),
    )
}
