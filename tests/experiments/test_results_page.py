"""The results page's plain functions (``callbacks.admin_experiments``), on SQLite and
PostgreSQL: results come from the stored snapshot; without one a small experiment is
analysed on demand and a large one is requested (and the launcher called) instead of
computed in the request; "Recompute now" only records a request and starts the launcher;
the header reads sensibly right after the start."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

import callbacks.admin_experiments as page
import data.experiments as experiments_module
from app.analytics.experiment_report import PowerStatus
from callbacks.common import AccessDenied, Viewer
from data.experiments import (
    ExperimentData,
    create_experiment,
    experiment_sums,
    load_snapshot,
    record_exposure,
    start_experiment,
    store_snapshot,
)
from data.models import Experiment
from tests.experiments.helpers import ACTOR, form

ADMIN = Viewer(user_id=1, role="admin", writer_id=None, display_name="Admin")
WRITER = Viewer(user_id=2, role="writer", writer_id=1, display_name="Writer")
NOW = datetime(2026, 3, 5, 12)


class Launcher:
    """Counts launches (the app's launcher starts the analysis job in a thread)."""

    def __init__(self) -> None:
        self.calls = 0
        self.requested_by: list[str] = []

    def __call__(self, requested_by: str) -> bool:
        self.calls += 1
        self.requested_by.append(requested_by)
        return True


def _experiment(session: Session, units: int) -> Experiment:
    experiment = create_experiment(session, form(), ACTOR)
    start_experiment(session, experiment.key, ACTOR)
    experiment.started_at = NOW - timedelta(days=2)
    for i in range(units):
        variant = "control" if i % 2 else "bright"
        record_exposure(session, experiment.id, f"u{i}", variant, NOW - timedelta(hours=i))
    session.commit()
    return experiment


def _no_sums(session: Session, experiment: Experiment) -> ExperimentData:
    raise AssertionError("the page must not aggregate events")


def test_a_small_experiment_without_snapshot_is_analysed_on_demand(session: Session) -> None:
    experiment = _experiment(session, 6)
    launch = Launcher()
    results = page.load_results(session, ADMIN, "cover-test", NOW, launch)
    assert results.report is not None
    assert [n for _, n in results.report.arms] == [3, 3]
    stored = load_snapshot(session, experiment.id)
    assert stored.computed_at == NOW
    assert stored.data == experiment_sums(session, experiment)
    assert launch.calls == 0


def test_a_large_experiment_without_snapshot_is_requested_not_computed(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _experiment(session, 6)
    monkeypatch.setattr(page, "ON_DEMAND_MAX_EXPOSURES", 5)
    monkeypatch.setattr(experiments_module, "experiment_sums", _no_sums)
    launch = Launcher()
    results = page.load_results(session, ADMIN, "cover-test", NOW, launch)
    assert results.report is None
    assert results.stored.pending
    assert results.exposures == 6
    assert launch.calls == 1
    outputs = page.results_outputs(session, ADMIN, "cover-test", None, NOW, "USD", launch)
    assert "being computed" in str(outputs[5])
    assert outputs[-2] is False  # the page polls while the analysis runs
    assert launch.calls == 1  # already requested: not launched again


def test_the_page_reads_the_snapshot_and_never_aggregates(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment = _experiment(session, 6)
    data = experiment_sums(session, experiment)
    store_snapshot(
        session, experiment.id, data, computed_at=NOW - timedelta(minutes=7), seconds=12.5
    )
    session.commit()
    monkeypatch.setattr(experiments_module, "experiment_sums", _no_sums)
    outputs = page.results_outputs(session, ADMIN, "cover-test", None, NOW, "USD", Launcher())
    freshness = str(outputs[11])
    assert "Computed 7 minutes ago" in freshness
    assert "took 12.5 s" in freshness
    assert outputs[12] is False  # "Recompute now" enabled
    assert outputs[13] is True  # no polling
    assert outputs[14] == {
        "computed_at": (NOW - timedelta(minutes=7)).isoformat(),
        "pending": False,
    }


def test_recompute_records_a_request_and_starts_the_job(session: Session) -> None:
    experiment = _experiment(session, 2)
    page.load_results(session, ADMIN, "cover-test", NOW, None)
    shown = page.shown_state(load_snapshot(session, experiment.id))
    launch = Launcher()
    page.request_recompute(session, ADMIN, "cover-test", NOW + timedelta(minutes=1), launch)
    assert launch.requested_by == ["Admin"]
    assert load_snapshot(session, experiment.id).requested_at == NOW + timedelta(minutes=1)
    assert page.analysis_moved(session, ADMIN, "cover-test", shown)  # now pending
    with pytest.raises(AccessDenied):
        page.request_recompute(session, WRITER, "cover-test", NOW, launch)
    with pytest.raises(LookupError):
        page.request_recompute(session, ADMIN, "missing", NOW, launch)


def _running(started: datetime, status: str = "running") -> Experiment:
    return Experiment(key="k", status=status, started_at=started, stopped_at=None)


def test_right_after_the_start_days_remaining_wait_for_the_first_day() -> None:
    power = PowerStatus("unlock_conversion", 0.05, 10_000, 40, days_remaining=None)
    facts = page.timing_facts(_running(NOW - timedelta(hours=3)), power, NOW)
    assert facts == ["started 3 hours ago", "days remaining: estimate after the first day"]
    assert page.timing_facts(_running(NOW), None, NOW)[0] == "started just now"


def test_after_a_day_the_header_shows_days_running_and_remaining() -> None:
    power = PowerStatus("unlock_conversion", 0.05, 10_000, 4_000, days_remaining=12)
    experiment = _running(NOW - timedelta(days=2, hours=12))
    assert page.timing_facts(experiment, power, NOW) == [
        "2.5 days running",
        "days remaining: ~12 days",
    ]
    reached = PowerStatus("unlock_conversion", 0.05, 10_000, 12_000, days_remaining=0)
    assert page.remaining_text(experiment, reached, NOW) == "sample size reached"
    # A snapshot taken during the first day has no traffic rate yet.
    early = PowerStatus("unlock_conversion", 0.05, 10_000, 40, days_remaining=None)
    assert page.remaining_text(experiment, early, NOW) == "estimate with the next analysis"


def test_drafts_and_stopped_experiments_have_no_days_remaining() -> None:
    assert page.timing_facts(Experiment(key="k", status="draft"), None, NOW) == ["not started"]
    stopped = Experiment(
        key="k", status="stopped", started_at=NOW - timedelta(days=10), stopped_at=NOW
    )
    assert page.timing_facts(stopped, None, NOW) == ["ran 10.0 days"]
    assert page.remaining_text(stopped, None, NOW) is None
