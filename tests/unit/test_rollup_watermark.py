"""The rollup watermark never skips an event whose transaction commits late.

On PostgreSQL an event id is assigned at insert time but visible at commit, so a slow
transaction can commit an id below ids already rolled up. ``rollup_new_events`` only moves
the watermark past events older than its safety lag, re-folding the recent ones, so the
late event is still picked up (see its docstring)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.db import make_engine, make_session_factory, utcnow
from data.models import WriterDaily
from data.writes import ROLLUP_SAFETY_LAG, get_rollup_watermark, insert_events, rollup_new_events


def event(message_id: str, occurred_at: datetime, received_at: datetime) -> dict[str, Any]:
    return {
        "source": "app",
        "message_id": message_id,
        "event_type": "chapter_start",
        "event_name": "chapter_start",
        "reader_id": 1,
        "writer_id": 1,
        "story_id": 10,
        "chapter_id": 100,
        "occurred_at": occurred_at,
        "received_at": received_at,
    }


def views_by_day(session: Session) -> dict[date, int]:
    rows = session.execute(select(WriterDaily.day, WriterDaily.chapter_views)).all()
    return dict(rows)


def run_job(engine: Engine, now: datetime | None = None) -> int:
    with make_session_factory(engine)() as session:
        written = rollup_new_events(session, now=now)
        session.commit()
        return written


def test_an_event_committed_late_with_a_lower_id_is_not_skipped(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    sessions = make_session_factory(engine)
    now = utcnow()
    today, yesterday = now.date(), (now - timedelta(days=1)).date()
    try:
        slow = sessions()
        insert_events(slow, [event("slow", now - timedelta(days=1), now)])  # takes the lower id
        with sessions() as fast:
            insert_events(fast, [event("fast", now, now)])
            fast.commit()
        run_job(engine)
        with sessions() as session:
            assert views_by_day(session) == {today: 1}
            assert get_rollup_watermark(session) == 0  # nothing settled yet
        slow.commit()
        slow.close()
        run_job(engine)
        with sessions() as session:
            assert views_by_day(session) == {today: 1, yesterday: 1}
        # Once the events are older than the lag the watermark moves past both.
        later = now + ROLLUP_SAFETY_LAG + timedelta(seconds=1)
        assert run_job(engine, later) > 0
        with sessions() as session:
            assert get_rollup_watermark(session) == 2
        assert run_job(engine, later) == 0
    finally:
        engine.dispose()


def test_the_watermark_advances_only_past_settled_events(session: Session) -> None:
    now = utcnow()
    old = now - ROLLUP_SAFETY_LAG - timedelta(minutes=1)
    insert_events(session, [event("old", old, old), event("new", now, now)])
    session.commit()
    old_id, new_id = 1, 2
    assert rollup_new_events(session, now=now) > 0
    session.commit()
    assert get_rollup_watermark(session) == old_id
    expected: dict[date, int] = {}
    for moment in (old, now):
        expected[moment.date()] = expected.get(moment.date(), 0) + 1
    assert views_by_day(session) == expected
    # The recent event is folded in again (idempotently) until it is older than the lag.
    before = views_by_day(session)
    assert rollup_new_events(session, now=now) > 0
    session.commit()
    assert views_by_day(session) == before
    assert rollup_new_events(session, now=now + ROLLUP_SAFETY_LAG + timedelta(seconds=1)) > 0
    session.commit()
    assert get_rollup_watermark(session) == new_id
    assert rollup_new_events(session, now=now + ROLLUP_SAFETY_LAG) == 0
