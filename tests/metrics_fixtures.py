"""A small hand-built platform for the metrics engine, with every answer worked out.

``build_metrics_platform(session)`` creates (all times naive UTC, ``BASE`` = Monday
2026-01-05 00:00, ``dN`` = BASE + N days):

- writer 1 "Ada": story 10 (4 chapters published d0, d7, d14, d21; chapters 3 and 4 paid,
  100 each) and story 11 (one chapter, d0); writer 2 "Bram": story 20 (one chapter);
  writer 3 "Cleo": no stories, no data.
- readers 1–5 with traits, reader 6 without any.
- story 10 reading paths (each chapter open has a 300 s ``chapter_progress`` 10 minutes in):

  ==== ===========================================================================
  r1   release-day: ch1 d0 01:00 (done 01:20), ch2 d7 02:00 (02:20), ch3 unlock d14 00:59,
       open 01:00 (01:20), ch4 unlock d21 02:59, open 03:00 (03:20); likes ch1 d0 01:30
       and ch2 d7 02:30; follows story 10 d7 03:00
  r2   binge on d22: ch1 10:00 (10:20), ch2 11:00 (11:20), ch3 unlock 11:59, open 12:00
       (12:20); comments ch3 12:40
  r3   catch-up: ch1 d3 00:00 (00:20), tip 500 d3 01:00, ch2 d9 00:00 (not finished)
  r4   ch1 d0 05:00 (not finished)
  r5   subscriber: subscribe 999 d29 23:00, ch1 d30 00:00 (00:20), ch2 d31, ch3 d32 (no
       unlock), ch4 d40 (each done 20 min later); shares ch4 d40 00:30
  r6   ch2 only, d50 00:00 (not finished)
  ==== ===========================================================================

- writer 2: r1 opens story 20 ch1 d5 and tips 10,000 the same day.
- "today" is d60 (``NOW`` = d60 12:00:30) with real-time events: r6 signs up at 09:00,
  r3 tips 300 at 11:30:30, r4 opens ch1 again at 11:40:30, r3 opens story 11 ch1 at
  11:50:30, r1 sends progress (60 s) at 11:58:30 and r2 likes ch1 at 11:59:30.

``EXPECTED`` (below) holds the answers the tests check.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from data.models import Chapter, Experiment, Reader, Story, Writer
from data.queries.filters import Period
from data.writes import insert_events, rebuild_rollups

BASE = datetime(2026, 1, 5)  # a Monday
NOW = BASE + timedelta(days=60, hours=12, seconds=30)
ALL_DAYS = Period(BASE.date(), (BASE + timedelta(days=59)).date())


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """``BASE`` + ``day`` days and the given time of day."""
    return BASE + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def day(n: int) -> date:
    return (BASE + timedelta(days=n)).date()


STORY_OF_CHAPTER = {100: 10, 101: 10, 102: 10, 103: 10, 110: 11, 200: 20}
WRITER_OF_STORY = {10: 1, 11: 1, 20: 2}


def _catalog(session: Session) -> None:
    session.add_all(
        [
            Writer(id=1, handle="ada", display_name="Ada", joined_at=at(-30)),
            Writer(id=2, handle="bram", display_name="Bram", joined_at=at(-30)),
            Writer(id=3, handle="cleo", display_name="Cleo", joined_at=at(-30)),
        ]
    )
    session.flush()
    session.add_all(
        [
            Story(id=10, writer_id=1, title="Glass Orchard", genre="fantasy", status="ongoing",
                  created_at=at(-1), published_at=at(0), paywall_from_chapter=3),
            Story(id=11, writer_id=1, title="Salt", genre="sci-fi", status="ongoing",
                  created_at=at(-1), published_at=at(0)),
            Story(id=20, writer_id=2, title="Night Ledger", genre="fantasy", status="ongoing",
                  created_at=at(-1), published_at=at(0)),
        ]
    )  # fmt: skip
    session.flush()
    chapters = [
        Chapter(id=100 + n, story_id=10, number=n + 1, title=f"Part {n + 1}", word_count=2000,
                published_at=at(7 * n), is_paid=n >= 2, price_minor=100 if n >= 2 else None)
        for n in range(4)
    ]  # fmt: skip
    chapters += [
        Chapter(id=110, story_id=11, number=1, title="Static", word_count=1500, published_at=at(0)),
        Chapter(id=200, story_id=20, number=1, title="Debts", word_count=3000, published_at=at(0)),
    ]
    session.add_all(chapters)
    traits = {
        1: ("US", "ios", "18-24", "organic"),
        2: ("US", "android", "25-34", "social"),
        3: ("GB", "ios", "25-34", "search"),
        4: ("DE", "web", "35-44", "ads"),
        5: ("US", "ios", "18-24", "referral"),
    }
    for reader in range(1, 7):
        country, device, age, source = traits.get(reader, (None, None, None, None))
        session.add(
            Reader(id=reader, user_id=f"r{reader}", country=country, device=device,
                   age_band=age, acquisition_source=source, first_seen_at=at(-1))
        )  # fmt: skip
    session.add(
        Experiment(id=1, key="cover-test", name="Cover test", salt="s1", status="running",
                   started_at=at(10), stopped_at=at(40))
    )  # fmt: skip
    session.flush()


def _events() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def event(
        kind: str,
        reader: int,
        when: datetime,
        *,
        story: int | None = None,
        chapter: int | None = None,
        writer: int | None = None,
        **extra: Any,
    ) -> None:
        if chapter is not None and story is None:
            story = STORY_OF_CHAPTER[chapter]
        if story is not None and writer is None:
            writer = WRITER_OF_STORY[story]
        rows.append({
            "source": "test", "message_id": f"m{len(rows)}", "event_type": kind,
            "event_name": kind, "user_id": f"r{reader}", "reader_id": reader,
            "writer_id": writer, "story_id": story, "chapter_id": chapter,
            "occurred_at": when, "received_at": when, **extra,
        })  # fmt: skip

    def read(
        reader: int, chapter: int, when: datetime, *, done: bool = True, unlock: bool = False
    ) -> None:
        if unlock:
            event("chapter_unlock", reader, when - timedelta(minutes=1), chapter=chapter,
                  revenue_minor=100, currency="USD")  # fmt: skip
        event("chapter_start", reader, when, chapter=chapter)
        event("chapter_progress", reader, when + timedelta(minutes=10), chapter=chapter,
              read_seconds=300, progress_pct=100 if done else 50)  # fmt: skip
        if done:
            event("chapter_complete", reader, when + timedelta(minutes=20), chapter=chapter)

    # r1: release-day reader.
    read(1, 100, at(0, 1))
    event("like", 1, at(0, 1, 30), chapter=100)
    read(1, 101, at(7, 2))
    event("like", 1, at(7, 2, 30), chapter=101)
    event("follow", 1, at(7, 3), story=10)
    read(1, 102, at(14, 1), unlock=True)
    read(1, 103, at(21, 3), unlock=True)
    # r2: binge on d22.
    read(2, 100, at(22, 10))
    read(2, 101, at(22, 11))
    read(2, 102, at(22, 12), unlock=True)
    event("comment", 2, at(22, 12, 40), chapter=102)
    # r3: catch-up.
    read(3, 100, at(3, 0))
    event("tip", 3, at(3, 1), story=10, revenue_minor=500, currency="USD")
    read(3, 101, at(9, 0), done=False)
    # r4: one chapter, not finished.
    read(4, 100, at(0, 5), done=False)
    # r5: subscriber.
    event("subscribe", 5, at(29, 23), story=10, revenue_minor=999, currency="USD")
    for n, d in enumerate((30, 31, 32, 40)):
        read(5, 100 + n, at(d, 0))
    event("share", 5, at(40, 0, 30), chapter=103)
    # r6: no traits, chapter 2 only.
    read(6, 101, at(50, 0), done=False)
    # Writer 2.
    read(1, 200, at(5, 8), done=False)
    event("tip", 1, at(5, 9), story=20, revenue_minor=10_000, currency="USD")
    # "Today" (d60): real-time window events.
    event("signup", 6, at(60, 9))
    event("tip", 3, at(60, 11, 30, 30), story=10, revenue_minor=300, currency="USD")
    event("chapter_start", 4, at(60, 11, 40, 30), chapter=100)
    event("chapter_start", 3, at(60, 11, 50, 30), chapter=110)
    event("chapter_progress", 1, at(60, 11, 58, 30), chapter=103, read_seconds=60,
          progress_pct=100)  # fmt: skip
    event("like", 2, at(60, 11, 59, 30), chapter=100)
    return rows


def build_metrics_platform(session: Session) -> None:
    """Create the platform of the module docstring, roll it up and commit."""
    _catalog(session)
    insert_events(session, _events())
    session.flush()
    rebuild_rollups(session)
    session.commit()


STORY_10_ENGAGEMENT = 100 * (0.5 * 12 / 15 + 0.3 * 1.0 + 0.2 * (4500 / 6 / 60 / 60))
