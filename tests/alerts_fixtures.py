"""Platforms with known anomalies for the alerts tests.

``build_alert_platform(session, spike_day)`` creates writers 1 "Ada Quill" (stories 10
"The Glass Orchard", 14 chapters, and 11 "Salt & Signal") and 2 "Bram Stoker-Lite" (story 20
"Night Ledger"), readers 1–400 (every fourth in BR, the others in US; odd ids came
"organic", even ids through "search"), and nine weeks of regular reading before
``spike_day``: every day, story 10 is opened by 24 readers on weekdays and 14 on weekends,
story 11 by 12 / 7 and story 20 by 20 / 12 (±2 from day to day), all drawn from readers
1–200, and writer 1 earns two unlocks of 199 a day. On ``spike_day`` chapter 14 of story
10 is released at 09:00 and 60 more readers (201–260, spread over countries and sources
like everyone else) open it: writer 1's and the platform's readers and views spike, with
story 10 — a release — as the source. Revenue and writer 2 stay normal. Rolled up and
committed, with the dashboard accounts of ``tests.factories.add_accounts``.

``add_alert(session, **fields)`` stores one alert row directly (for page tests).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import Alert, Chapter, Reader, Story, Writer
from data.writes import insert_events, rebuild_rollups
from tests.factories import add_accounts

HISTORY_DAYS = 63
SPIKE_READERS = 60
#: (story, chapter opened on normal days, weekday readers, weekend readers)
NORMAL_READING = ((10, 1013, 24, 14), (11, 1101, 12, 7), (20, 2001, 20, 12))
STORY_WRITER = {10: 1, 11: 1, 20: 2}
RELEASED_CHAPTER = 1014  # story 10, chapter 14 (chapter ids: 100 × story id + number)


def _at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _catalog(session: Session, start: date, spike_day: date) -> None:
    session.add_all(
        [
            Writer(id=1, handle="ada", display_name="Ada Quill", joined_at=_at(start)),
            Writer(id=2, handle="bram", display_name="Bram Stoker-Lite", joined_at=_at(start)),
        ]
    )
    session.flush()
    session.add_all(
        [
            Story(id=10, writer_id=1, title="The Glass Orchard", genre="fantasy",
                  created_at=_at(start), published_at=_at(start)),
            Story(id=11, writer_id=1, title="Salt & Signal", genre="sci-fi",
                  created_at=_at(start), published_at=_at(start)),
            Story(id=20, writer_id=2, title="Night Ledger", genre="horror",
                  created_at=_at(start), published_at=_at(start)),
        ]
    )  # fmt: skip
    session.flush()
    chapters = [
        Chapter(
            id=1000 + number,
            story_id=10,
            number=number,
            title=f"Part {number}",
            published_at=_at(start + timedelta(days=number - 1), 9),
        )
        for number in range(1, 14)
    ]
    chapters.append(
        Chapter(id=RELEASED_CHAPTER, story_id=10, number=14, title="The Harvest",
                published_at=_at(spike_day, 9))
    )  # fmt: skip
    chapters.append(
        Chapter(id=1101, story_id=11, number=1, title="Static", published_at=_at(start))
    )
    chapters.append(Chapter(id=2001, story_id=20, number=1, title="Debts", published_at=_at(start)))
    session.add_all(chapters)
    session.add_all(
        [
            Reader(
                id=n,
                user_id=f"r{n}",
                country="BR" if n % 4 == 0 else "US",
                acquisition_source="organic" if n % 2 else "search",
            )
            for n in range(1, 401)
        ]
    )
    session.flush()


def _event(rows: list[dict[str, Any]], kind: str, reader: int, story: int, chapter: int | None,
           at: datetime, **extra: Any) -> None:  # fmt: skip
    rows.append(
        {
            "source": "test",
            "message_id": f"m{len(rows)}",
            "event_type": kind,
            "event_name": kind,
            "user_id": f"r{reader}",
            "reader_id": reader,
            "writer_id": STORY_WRITER[story],
            "story_id": story,
            "chapter_id": chapter,
            "occurred_at": at,
            "received_at": at,
            **extra,
        }
    )


def build_alert_platform(session: Session, spike_day: date, *, spike: bool = True) -> None:
    """Create the platform of the module docstring (``spike=False``: ``spike_day`` is as
    normal as the others) and commit."""
    start = spike_day - timedelta(days=HISTORY_DAYS)
    _catalog(session, start, spike_day)
    rows: list[dict[str, Any]] = []
    for index in range(HISTORY_DAYS + 1):
        day = start + timedelta(days=index)
        weekend = day.weekday() >= 5
        for position, (story, chapter, weekday_readers, weekend_readers) in enumerate(
            NORMAL_READING
        ):
            count = (weekend_readers if weekend else weekday_readers) + (index + position) % 5 - 2
            for k in range(count):
                reader = (index * 37 + position * 71 + k) % 200 + 1
                _event(rows, "chapter_start", reader, story, chapter, _at(day, 10, k % 60))
        for k in range(2):
            _event(rows, "chapter_unlock", 1 + k, 10, 1013, _at(day, 12, k),
                   revenue_minor=199, currency="USD")  # fmt: skip
    if spike:
        for k in range(SPIKE_READERS):
            _event(rows, "chapter_start", 201 + k, 10, RELEASED_CHAPTER,
                   _at(spike_day, 11, k % 60))  # fmt: skip
    insert_events(session, rows)
    session.flush()
    rebuild_rollups(session)
    add_accounts(session)
    session.commit()


def add_alert(session: Session, **fields: Any) -> Alert:
    """Store one alert (defaults: writer 1's readers spike yesterday, 140 vs 60 expected
    within 40–80, high severity, story 10 with chapter 14 released as the source) and
    flush; returns it."""
    yesterday = utcnow().date() - timedelta(days=1)
    values: dict[str, Any] = {
        "writer_id": 1,
        "metric": "readers",
        "day": yesterday,
        "direction": "spike",
        "observed": 140.0,
        "expected": 60.0,
        "expected_low": 40.0,
        "expected_high": 80.0,
        "severity": "high",
        "score": 12.0,
        "source_kind": "release",
        "source_label": "The Glass Orchard",
        "source_share": 0.82,
        "story_id": 10,
        "summary": "Story 'The Glass Orchard' accounts for 82% of the extra readers; chapter "
        "14 was released that day.",
        "evidence": {"releases": [{"number": 14, "label": "The Glass Orchard · Ch. 14"}]},
        "created_at": utcnow(),
        "updated_at": utcnow(),
        "webhook_status": "none",
        "webhook_attempts": 0,
    }
    values.update(fields)
    alert = Alert(**values)
    session.add(alert)
    session.flush()
    return alert
