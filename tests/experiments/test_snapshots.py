"""The stored analysis (``experiment_snapshots``) and the ``experiment_analysis`` job, on
SQLite and PostgreSQL: a snapshot equals ``experiment_sums`` computed directly, the job is
idempotent, a snapshot is replaced atomically (readers see the old one or the new one,
a failed computation leaves the old one), requests are served first and cleared, and only
due experiments are recomputed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import data.experiments as experiments_module
from app.jobs.runner import run_job
from data.db import make_session_factory
from data.experiments import (
    ANALYSIS_REFRESH,
    ANALYSIS_SETTLE,
    AnalysisFailed,
    ArmDaySums,
    ExperimentData,
    analyse_experiments,
    analysis_due,
    create_experiment,
    experiment_sums,
    experiments_due,
    load_snapshot,
    record_exposure,
    request_analysis,
    snapshot_state,
    start_experiment,
    stop_experiment,
    store_snapshot,
)
from data.models import Experiment, ExperimentSnapshot, JobRun
from data.writes import insert_events
from tests.experiments.helpers import ACTOR, form

D = datetime(2026, 3, 2, 8)
NOW = D + timedelta(days=3)


def _event(n: int, kind: str, when: datetime, unit: str, **extra: object) -> dict:
    return {
        "source": "tests",
        "message_id": f"s{n}",
        "event_type": kind,
        "event_name": kind,
        "user_id": unit,
        "occurred_at": when,
        "received_at": when,
        **extra,
    }


def running_experiment(session: Session, key: str, units: int = 6) -> Experiment:
    """A running experiment with ``units`` exposed readers over two days (one of them seen
    in both variants) and some unlocks, starts and completions."""
    experiment = create_experiment(session, form(key), ACTOR)
    start_experiment(session, key, ACTOR)
    experiment.started_at = D
    events = []
    for i in range(units):
        variant = "control" if i % 2 == 0 else "bright"
        at = D + timedelta(days=i % 2, hours=i)
        record_exposure(session, experiment.id, f"{key}-u{i}", variant, at)
        events.append(_event(100 * i + 1, "chapter_start", at + timedelta(hours=1), f"{key}-u{i}"))
        if i % 3 == 0:
            events.append(
                _event(
                    100 * i + 2,
                    "chapter_unlock",
                    at + timedelta(hours=2),
                    f"{key}-u{i}",
                    revenue_minor=199,
                )
            )
    record_exposure(session, experiment.id, f"{key}-u0", "bright", D + timedelta(hours=5))
    insert_events(session, [{**e, "message_id": f"{key}-{e['message_id']}"} for e in events])
    session.commit()
    return experiment


def test_the_job_stores_what_experiment_sums_computes(session: Session) -> None:
    first = running_experiment(session, "first")
    second = running_experiment(session, "second", units=4)
    assert analyse_experiments(session, now=lambda: NOW) == 2
    for experiment in (first, second):
        stored = load_snapshot(session, experiment.id)
        assert stored is not None
        assert stored.data == experiment_sums(session, experiment)
        assert stored.computed_at == NOW
        assert stored.seconds is not None
        assert stored.seconds >= 0
        assert not stored.pending
    data = load_snapshot(session, first.id).data
    assert data.excluded_units == 1  # first-u0 saw both variants
    assert data.per_variant == {"control": 2, "bright": 3}


def test_the_job_is_idempotent(session: Session) -> None:
    experiment = running_experiment(session, "cover-test")
    assert analyse_experiments(session, now=lambda: NOW) == 1
    before = load_snapshot(session, experiment.id)
    # Nothing is due again before the refresh interval; after it, the same data is stored.
    assert analyse_experiments(session, now=lambda: NOW + timedelta(minutes=1)) == 0
    later = NOW + ANALYSIS_REFRESH
    assert analyse_experiments(session, now=lambda: later) == 1
    after = load_snapshot(session, experiment.id)
    assert after.data == before.data
    assert after.computed_at == later
    assert session.scalar(select(func.count()).select_from(ExperimentSnapshot)) == 1


def test_readers_see_the_old_snapshot_until_the_new_one_commits(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions() as writer:
        experiment = running_experiment(writer, "cover-test")
        old = ExperimentData([], 0)
        store_snapshot(writer, experiment.id, old, computed_at=NOW, seconds=1.0)
        writer.commit()
        new = experiment_sums(writer, experiment)
        assert store_snapshot(writer, experiment.id, new, computed_at=NOW + timedelta(1), seconds=2)
        with sessions() as reader:  # the writer has not committed yet
            seen = load_snapshot(reader, experiment.id)
            assert (seen.data, seen.computed_at, seen.seconds) == (old, NOW, 1.0)
        writer.commit()
        with sessions() as reader:
            seen = load_snapshot(reader, experiment.id)
            assert (seen.data, seen.computed_at, seen.seconds) == (new, NOW + timedelta(1), 2.0)


def test_a_failed_analysis_keeps_the_old_snapshot_and_the_others_proceed(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = running_experiment(session, "broken")
    fine = running_experiment(session, "fine")
    analyse_experiments(session, now=lambda: NOW)
    kept = load_snapshot(session, broken.id)
    real = experiments_module.experiment_sums

    def failing(session: Session, experiment: Experiment) -> ExperimentData:
        if experiment.key == "broken":
            raise RuntimeError("disk on fire")
        return real(session, experiment)

    monkeypatch.setattr(experiments_module, "experiment_sums", failing)
    later = NOW + ANALYSIS_REFRESH
    with pytest.raises(AnalysisFailed, match=str(broken.id)):
        analyse_experiments(session, now=lambda: later)
    assert load_snapshot(session, broken.id) == kept
    assert load_snapshot(session, fine.id).computed_at == later


def test_an_older_computation_never_replaces_a_newer_snapshot(session: Session) -> None:
    experiment = running_experiment(session, "cover-test")
    newer = ExperimentData([ArmDaySums("control", date(2026, 3, 2), 3, {"unlocked": 1.0})], 0)
    assert store_snapshot(session, experiment.id, newer, computed_at=NOW, seconds=1.0)
    stale = ExperimentData([], 0)
    assert not store_snapshot(
        session, experiment.id, stale, computed_at=NOW - timedelta(minutes=1), seconds=9.0
    )
    session.commit()
    assert load_snapshot(session, experiment.id).data == newer


def test_requests_come_first_and_are_cleared_by_a_later_computation(session: Session) -> None:
    fresh = running_experiment(session, "fresh")
    draft = create_experiment(session, form("draft"), ACTOR)
    session.commit()
    analyse_experiments(session, now=lambda: NOW)
    assert experiments_due(session, NOW + timedelta(minutes=1)) == []
    request_analysis(session, draft.id, NOW + timedelta(minutes=2))
    request_analysis(session, fresh.id, NOW + timedelta(minutes=3))
    session.commit()
    assert experiments_due(session, NOW + timedelta(minutes=4)) == [draft.id, fresh.id]
    assert load_snapshot(session, draft.id).data is None  # requested, not computed yet
    # A computation that started before the request leaves it pending.
    store_snapshot(
        session, fresh.id, ExperimentData([], 0), computed_at=NOW + timedelta(minutes=2), seconds=1
    )
    session.commit()
    assert snapshot_state(session, fresh.id)[1] == NOW + timedelta(minutes=3)
    assert analyse_experiments(session, now=lambda: NOW + timedelta(minutes=5)) == 2
    assert load_snapshot(session, fresh.id).requested_at is None
    assert load_snapshot(session, draft.id).data == ExperimentData([], 0)
    assert experiments_due(session, NOW + timedelta(minutes=6)) == []


def test_the_runner_runs_the_job_under_its_lock(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions() as session:
        experiment = running_experiment(session, "cover-test")
    result = run_job(sessions, "experiment_analysis", trigger="admin")
    assert (result.status, result.rows_written) == ("succeeded", 1)
    with sessions() as session:
        assert load_snapshot(session, experiment.id).data is not None
        run = session.get(JobRun, result.run_id)
        assert (run.job_name, run.trigger) == ("experiment_analysis", "admin")


def test_stopped_experiments_settle_and_archived_ones_wait_for_a_request(
    session: Session,
) -> None:
    experiment = running_experiment(session, "cover-test")
    stop_experiment(session, experiment.key, ACTOR)
    experiment.stopped_at = NOW
    session.commit()
    settled = NOW + timedelta(days=experiment.conversion_window_days) + ANALYSIS_SETTLE
    analyse_experiments(session, now=lambda: NOW)
    assert experiments_due(session, NOW + ANALYSIS_REFRESH) == [experiment.id]
    analyse_experiments(session, now=lambda: settled + timedelta(hours=1))
    assert experiments_due(session, settled + timedelta(days=30)) == []


@pytest.mark.parametrize(
    ("status", "stopped", "computed", "requested", "due"),
    [
        ("running", None, None, None, True),
        ("running", None, NOW - timedelta(minutes=1), None, False),
        ("running", None, NOW - ANALYSIS_REFRESH, None, True),
        ("stopped", NOW - timedelta(days=1), NOW - ANALYSIS_REFRESH, None, True),
        ("stopped", NOW - timedelta(days=30), NOW - timedelta(days=29), None, True),
        ("stopped", NOW - timedelta(days=30), NOW - timedelta(days=20), None, False),
        ("stopped", NOW - timedelta(days=30), None, None, True),
        ("draft", None, None, None, False),
        ("archived", NOW - timedelta(days=30), None, None, False),
        ("archived", NOW - timedelta(days=30), NOW, NOW, True),
    ],
)
def test_analysis_due(status, stopped, computed, requested, due) -> None:
    assert analysis_due(status, stopped, 7, computed, requested, NOW) is due


def test_snapshot_json_round_trips() -> None:
    data = ExperimentData(
        [ArmDaySums("control", date(2026, 3, 2), 5, {"unlocked": 2.0, "unlocked_sq": 2.0})],
        excluded_units=3,
        first_exposure=datetime(2026, 3, 2, 8, 1, 2, 345678),
        last_exposure=datetime(2026, 3, 4, 9),
        per_variant={"control": 5},
    )
    assert ExperimentData.from_json(data.to_json()) == data
    with pytest.raises(ValueError, match="format"):
        ExperimentData.from_json({**data.to_json(), "format": 99})
