"""The forecasts job's storage on SQLite and PostgreSQL: its inputs, the atomic replacement of
the stored set (also when the job fails or is killed half-way), idempotence, and the scoped
read function ``data.queries.forecasts.stored_forecast``.

Most series here are short (≤ 40 days), so the job stores labelled projections and fits no
Prophet model: these tests are about storage; ``test_forecasting.py`` covers the models and
one test below runs the whole path with Prophet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app.jobs.runner import run_job
from data import forecast_store
from data.db import make_session_factory, utcnow
from data.forecast_store import forecast_as_of, forecast_inputs
from data.models import (
    Forecast,
    ForecastPoint,
    JobLock,
    JobRun,
    StoryDaily,
)
from data.queries.filters import FilterError, Period, Scope
from data.queries.forecasts import POINT_COLUMNS, stored_forecast
from data.queries.overview import daily_series
from tests.forecast_fixtures import ADA, BRAM, CLEO, END, seed_platform

ROOT = Path(__file__).resolve().parents[2]
SERIES = [
    (Scope(), None),
    (Scope(ADA), None),
    (Scope(BRAM), None),
    (Scope(CLEO), None),
    (Scope(), 10),
    (Scope(), 20),
]


def snapshot(sessions) -> dict:
    """What a page would read for every series, from a new session (another connection)."""
    with sessions() as session:
        result = {}
        for scope, story in SERIES:
            for metric in ("revenue", "readers"):
                stored = stored_forecast(session, scope, metric, story_id=story)
                result[(scope, story, metric)] = (
                    None
                    if stored is None
                    else (
                        stored.generated_at,
                        stored.model,
                        stored.points.reset_index().to_dict("records"),
                    )
                )
        result["rows"] = (
            session.scalar(select(func.count()).select_from(Forecast)),
            session.scalar(select(func.count()).select_from(ForecastPoint)),
        )
        return result


@pytest.fixture
def sessions(engine):
    factory = make_session_factory(engine)
    with factory() as session:
        seed_platform(session, {10: 40, 20: 30})
    return factory


# --------------------------------------------------------------------------- inputs


def test_inputs_are_the_overview_series_of_every_scope(sessions) -> None:
    with sessions() as session:
        assert forecast_as_of(session, END + timedelta(days=1)) == END
        assert forecast_as_of(session, END + timedelta(days=30)) == END  # data stops at END
        assert forecast_as_of(session, END) == END - timedelta(days=1)  # today is incomplete
        inputs = forecast_inputs(session, END, 1095)
        keyed = {(s.scope, s.scope_id, s.metric): s.values for s in inputs}
        assert list(keyed) == [
            (scope, scope_id, metric)
            for scope, scope_id in (
                ("platform", 0),
                ("writer", ADA),
                ("writer", BRAM),
                ("writer", CLEO),
                ("story", 10),
                ("story", 20),
            )
            for metric in ("revenue", "readers")
        ]
        for scope, key in ((Scope(), ("platform", 0)), (Scope(ADA), ("writer", ADA))):
            revenue, readers = keyed[(*key, "revenue")], keyed[(*key, "readers")]
            assert revenue.index[0] == END - timedelta(days=39)
            assert revenue.index[-1] == END
            expected = daily_series(session, scope, Period(revenue.index[0], END))
            assert revenue.tolist() == expected["revenue"].tolist()
            assert readers.tolist() == expected["unique_readers"].tolist()
        assert keyed[("writer", CLEO, "revenue")].empty
        assert len(keyed[("story", 20, "readers")]) == 30
        story = session.get(StoryDaily, (20, END))
        assert keyed[("story", 20, "readers")].iloc[-1] == story.unique_readers


# --------------------------------------------------------------------------- the job


def test_the_job_stores_one_current_forecast_per_series(sessions) -> None:
    result = run_job(sessions, "forecasts")
    assert result.status == "succeeded", result.error
    with sessions() as session:
        forecasts = session.scalars(select(Forecast).order_by(Forecast.id)).all()
        assert len(forecasts) == 12
        assert {f.is_current for f in forecasts} == {True}
        assert {f.job_run_id for f in forecasts} == {result.run_id}
        points = session.scalar(select(func.count()).select_from(ForecastPoint))
        assert result.rows_written == 12 + points == 12 + 10 * 90  # Cleo's two have no points
        assert session.scalar(select(JobRun.rows_written).where(JobRun.id == result.run_id)) == (
            result.rows_written
        )
        ada = stored_forecast(session, Scope(ADA), "revenue")
        assert (ada.scope, ada.scope_id, ada.metric, ada.unit) == (
            "writer",
            ADA,
            "revenue",
            "minor",
        )
        assert ada.model == "projection"
        assert ada.model_label == "Simple projection (not a forecast)"
        assert not ada.backtested
        assert "flat projection" in ada.message
        assert (ada.history_start, ada.history_end, ada.history_days) == (
            END - timedelta(days=39),
            END,
            40,
        )
        assert list(ada.points.columns) == POINT_COLUMNS
        assert ada.points.index[0] == END + timedelta(days=1)
        assert len(ada.points) == ada.horizon_days == 90
        assert len(stored_forecast(session, Scope(ADA), "revenue", horizon_days=30).points) == 30
        assert ada.typical_error_pct is None
        assert ada.month_p10 is None
        assert ada.mase is None
        cleo = stored_forecast(session, Scope(CLEO), "readers")
        assert cleo.model == "none"
        assert cleo.points.empty
        assert "no data" in cleo.message
        assert session.scalar(select(func.count()).where(Forecast.scope_id == 99)) == 0


def test_writer_scope_is_enforced(sessions) -> None:
    assert run_job(sessions, "forecasts").status == "succeeded"
    with sessions() as session:
        assert stored_forecast(session, Scope(ADA), "readers").scope_id == ADA
        assert stored_forecast(session, Scope(ADA), "revenue", story_id=10).scope_id == 10
        assert stored_forecast(session, Scope(ADA), "revenue", story_id=20) is None
        assert stored_forecast(session, Scope(BRAM), "revenue", story_id=20).scope_id == 20
        assert stored_forecast(session, Scope(BRAM), "revenue", story_id=10) is None
        assert stored_forecast(session, Scope(ADA), "revenue", story_id=999) is None
        assert stored_forecast(session, Scope(), "revenue", story_id=20).scope == "story"
        platform = stored_forecast(session, Scope(), "revenue")
        assert (platform.scope, platform.scope_id) == ("platform", 0)
        assert stored_forecast(session, Scope(404), "revenue") is None
        with pytest.raises(FilterError, match="metric"):
            stored_forecast(session, Scope(ADA), "views")
        for horizon in (0, 91):
            with pytest.raises(FilterError, match="horizon"):
                stored_forecast(session, Scope(ADA), "revenue", horizon_days=horizon)


def test_rerunning_is_idempotent(sessions) -> None:
    assert run_job(sessions, "forecasts").status == "succeeded"
    first = snapshot(sessions)
    assert run_job(sessions, "forecasts").status == "succeeded"
    second = snapshot(sessions)
    assert first["rows"] == second["rows"] == (12, 900)

    def without_time(snap: dict) -> dict:
        return {key: value if key == "rows" else value[1:] for key, value in snap.items()}

    assert without_time(first) == without_time(second)
    assert all(second[key][0] > first[key][0] for key in second if key != "rows")


def test_one_current_forecast_per_series_is_a_database_rule(sessions) -> None:
    assert run_job(sessions, "forecasts").status == "succeeded"
    with sessions() as session:
        duplicate = {
            "scope": "writer", "scope_id": ADA, "metric": "revenue", "model": "none",
            "horizon_days": 0, "history_days": 0, "generated_at": utcnow(), "note": "",
        }  # fmt: skip
        session.execute(insert(Forecast), [{**duplicate, "is_current": False}])  # fine
        with pytest.raises(IntegrityError):
            session.execute(insert(Forecast), [{**duplicate, "is_current": True}])


# --------------------------------------------------------------------------- atomicity


def test_a_failure_mid_write_leaves_the_previous_set_whole_and_the_next_run_repairs(
    sessions, monkeypatch
) -> None:
    previous_run = run_job(sessions, "forecasts")
    before = snapshot(sessions)
    seen_meanwhile: list[dict] = []
    real_insert = forecast_store._insert_points
    calls = 0

    def interrupted(session, rows) -> None:
        nonlocal calls
        real_insert(session, rows)
        calls += 1
        if calls == 4:  # 4 of the 10 series' points are in the open transaction
            seen_meanwhile.append(snapshot(sessions))  # a page reading at that moment
            raise RuntimeError("killed mid-write")

    monkeypatch.setattr(forecast_store, "POINT_CHUNK_ROWS", 90)
    monkeypatch.setattr(forecast_store, "_insert_points", interrupted)
    failed = run_job(sessions, "forecasts")
    assert failed.status == "failed"
    assert "killed mid-write" in failed.error
    assert seen_meanwhile == [before]
    assert snapshot(sessions) == before  # nothing of the failed run is visible or left

    monkeypatch.setattr(forecast_store, "_insert_points", real_insert)
    repaired = run_job(sessions, "forecasts")
    assert repaired.status == "succeeded"
    after = snapshot(sessions)
    assert after["rows"] == before["rows"]
    with sessions() as session:
        assert set(session.scalars(select(Forecast.job_run_id))) == {repaired.run_id}
    assert previous_run.run_id < failed.run_id < repaired.run_id


KILLED_JOB = textwrap.dedent(
    """
    import os, signal, sys
    from app.jobs.runner import run_job
    from data import forecast_store
    from data.db import make_engine, make_session_factory

    real_insert, calls = forecast_store._insert_points, []

    def killed(session, rows):
        real_insert(session, rows)
        calls.append(len(rows))
        if len(calls) == 4:
            print("killing myself mid-write", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    forecast_store.POINT_CHUNK_ROWS = 90
    forecast_store._insert_points = killed
    run_job(make_session_factory(make_engine(sys.argv[1])), "forecasts")
    print("not killed", flush=True)
    """
)


def test_killing_the_process_mid_write_leaves_the_previous_set_and_the_next_run_repairs(
    sessions, db_url, tmp_path
) -> None:
    assert run_job(sessions, "forecasts").status == "succeeded"
    before = snapshot(sessions)
    script = tmp_path / "killed_job.py"
    script.write_text(KILLED_JOB)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.run(
        [sys.executable, str(script), db_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == -9, process.stderr
    assert "killing myself mid-write" in process.stdout
    assert snapshot(sessions) == before

    # The dead process still holds the job's lease and its run says "running".
    with sessions() as session:
        assert session.scalar(select(JobRun.status).order_by(JobRun.id.desc()).limit(1)) == (
            "running"
        )
    with sessions() as session:
        assert session.scalar(select(JobLock.job_name)) == "forecasts"
    # The next run sees that the holder is gone: it does not wait for the lease to run out,
    # marks the dead run interrupted and repairs the set.
    repaired = run_job(sessions, "forecasts")
    assert repaired.status == "succeeded"
    with sessions() as session:
        statuses = session.scalars(select(JobRun.status).order_by(JobRun.id)).all()
        assert statuses[-2:] == ["interrupted", "succeeded"]
    after = snapshot(sessions)
    assert after["rows"] == before["rows"]
    assert all(after[key][0] > before[key][0] for key in after if key != "rows")


# --------------------------------------------------------------------------- with Prophet


def test_the_whole_path_with_backtested_models(sqlite_url) -> None:
    from data.db import make_engine

    engine = make_engine(sqlite_url)
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            seed_platform(session, {10: 140, 20: 30})
        result = run_job(factory, "forecasts")
        assert result.status == "succeeded", result.error
        with factory() as session:
            for scope, story in ((Scope(ADA), None), (Scope(ADA), 10), (Scope(), None)):
                for metric in ("revenue", "readers"):
                    stored = stored_forecast(session, scope, metric, story_id=story)
                    assert stored.backtested, stored.message
                    assert stored.model in ("prophet", "seasonal_naive")
                    assert stored.backtest_days == 3 * 28
                    assert stored.mase is not None
                    assert stored.baseline_mase is not None
                    assert stored.prophet_mase is not None
                    assert stored.typical_error_pct == round(stored.wape * 100)
                    assert 0 <= stored.coverage_80 <= stored.coverage_95 <= 1
                    assert stored.month_end == date(2026, 6, 30)
                    assert stored.month_to_date > 0
                    assert stored.month_p10 <= stored.month_p50 <= stored.month_p90
                    assert len(stored.points) == 90
                    assert (stored.points["lower_95"] <= stored.points["yhat"]).all()
            assert stored_forecast(session, Scope(BRAM), "revenue").model == "projection"
    finally:
        engine.dispose()
