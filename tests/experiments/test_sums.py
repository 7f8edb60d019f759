"""Sufficient statistics in SQL: exact values on hand-built exposures and events, on SQLite
and PostgreSQL; and folding ingest exposure events into experiment_exposures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.experiments import (
    create_experiment,
    experiment_sums,
    fold_exposure_events,
    record_exposure,
    start_experiment,
)
from data.models import ExperimentExposure
from data.writes import insert_events
from tests.experiments.helpers import ACTOR, form

D = datetime(2026, 3, 2)


def at(days: float, hour: float) -> datetime:
    return D + timedelta(days=days, hours=hour)


def event(n: int, kind: str, when: datetime, *, user=None, anon=None, **extra) -> dict:
    return {
        "source": "tests",
        "message_id": f"m{n}",
        "event_type": kind,
        "event_name": kind,
        "user_id": user,
        "anonymous_id": anon,
        "occurred_at": when,
        "received_at": when,
        **extra,
    }


def test_per_arm_and_day_sums_are_exact(session: Session) -> None:
    experiment = create_experiment(session, form(), ACTOR)
    start_experiment(session, experiment.key, ACTOR)
    for unit, variant, when in (
        ("u1", "control", at(0, 10)),
        ("u2", "control", at(0, 12)),
        ("u3", "bright", at(0, 9)),
        ("u4", "bright", at(1, 9)),
        ("u5", "control", at(0, 8)),
        ("u5", "bright", at(0, 9)),  # seen in two variants: excluded
    ):
        record_exposure(session, experiment.id, unit, variant, when)
    insert_events(
        session,
        [
            event(1, "chapter_unlock", at(0, 9), user="u1", revenue_minor=500),  # before exposure
            event(2, "chapter_start", at(0, 11), user="u1", chapter_id=1),
            event(3, "chapter_progress", at(0, 11.3), user="u1", read_seconds=300),
            event(4, "chapter_complete", at(0, 11.5), user="u1", chapter_id=1),
            event(5, "chapter_unlock", at(0, 11.7), user="u1", revenue_minor=99),
            event(6, "chapter_start", at(1, 8), user="u1", chapter_id=1),  # same chapter
            event(7, "tip", at(0, 10), user="u3", revenue_minor=200),
            event(8, "chapter_start", at(6, 10), user="u3", chapter_id=3),
            event(9, "chapter_start", at(7, 9), user="u3", chapter_id=4),  # window ends here
            event(10, "chapter_start", at(1, 10), anon="u4", chapter_id=5),  # anonymous unit
            event(11, "chapter_complete", at(1, 10.5), anon="u4", chapter_id=5),
            event(12, "chapter_unlock", at(0, 10), user="u5", revenue_minor=99),
            event(13, "like", at(0, 13), user="u2"),  # not a metric event
        ],
    )
    session.commit()
    data = experiment_sums(session, experiment)
    assert data.excluded_units == 1
    assert data.per_variant == {"control": 2, "bright": 2}
    by_key = {(c.variant, c.day): c for c in data.cohorts}
    assert set(by_key) == {
        ("control", date(2026, 3, 2)),
        ("bright", date(2026, 3, 2)),
        ("bright", date(2026, 3, 3)),
    }
    control = by_key["control", date(2026, 3, 2)]
    assert control.n == 2
    assert control.sums == {
        "unlocked": 1, "unlocked_sq": 1, "revenue": 99, "revenue_sq": 9801,
        "read_seconds": 300, "read_seconds_sq": 90000, "chapters": 1, "chapters_sq": 1,
        "starts": 2, "starts_sq": 4, "completes": 1, "completes_sq": 1, "completes_x_starts": 2,
    }  # fmt: skip
    bright_day1 = by_key["bright", date(2026, 3, 2)]
    assert bright_day1.n == 1
    assert bright_day1.sums["revenue"] == 200
    assert bright_day1.sums["revenue_sq"] == 40000
    assert bright_day1.sums["chapters"] == 1  # chapter 4 is outside the 7-day window
    assert bright_day1.sums["starts"] == 1
    bright_day2 = by_key["bright", date(2026, 3, 3)]
    assert (bright_day2.sums["starts"], bright_day2.sums["completes"]) == (1, 1)
    assert bright_day2.sums["completes_x_starts"] == 1


def test_no_exposures_gives_no_cohorts(session: Session) -> None:
    experiment = create_experiment(session, form(), ACTOR)
    data = experiment_sums(session, experiment)
    assert data.cohorts == []
    assert data.excluded_units == 0


def test_ingest_exposure_events_are_folded_once(session: Session) -> None:
    experiment = create_experiment(session, form(), ACTOR)
    start_experiment(session, experiment.key, ACTOR)
    old = datetime(2026, 3, 1, 12)
    props = {"experiment": "cover-test", "variant": "bright"}
    insert_events(
        session,
        [
            event(1, "experiment_exposure", old, user="u1", properties=props),
            event(2, "experiment_exposure", old, anon="a2", properties=props),
            event(3, "experiment_exposure", old, user="u3", properties={"experiment": "x"}),
            event(4, "experiment_exposure", old, user="u4", properties={**props, "variant": "zz"}),
            event(5, "experiment_exposure", old, user="u1", properties=props),  # repeat
        ],
    )
    session.commit()
    assert fold_exposure_events(session, now=datetime(2026, 3, 2)) == 2
    assert fold_exposure_events(session, now=datetime(2026, 3, 2)) == 0
    session.commit()
    rows = session.execute(
        select(ExperimentExposure.unit_id, ExperimentExposure.variant_key).order_by(
            ExperimentExposure.unit_id
        )
    ).all()
    assert [tuple(r) for r in rows] == [("a2", "bright"), ("u1", "bright")]


def test_a_unit_in_two_variants_is_excluded_even_with_events_in_one_window(
    session: Session,
) -> None:
    experiment = create_experiment(session, form(), ACTOR)
    start_experiment(session, experiment.key, ACTOR)
    record_exposure(session, experiment.id, "both", "control", at(0, 8))
    record_exposure(session, experiment.id, "both", "bright", at(5, 8))  # later, 2nd variant
    record_exposure(session, experiment.id, "solo", "control", at(0, 9))
    insert_events(
        session,
        [
            # Only in the control exposure's window (before the bright exposure).
            event(1, "chapter_unlock", at(1, 8), user="both", revenue_minor=99),
            event(2, "chapter_unlock", at(1, 9), user="solo", revenue_minor=50),
        ],
    )
    session.commit()
    data = experiment_sums(session, experiment)
    assert data.excluded_units == 1
    assert data.per_variant == {"control": 1}
    (cohort,) = data.cohorts
    assert (cohort.variant, cohort.n, cohort.sums["revenue"]) == ("control", 1, 50)
    assert data.first_exposure == at(0, 8)  # the span covers every exposure row
    assert data.last_exposure == at(5, 8)
