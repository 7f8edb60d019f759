"""A platform with a planted drop-off chapter and a planted hiatus, for the recommendations
job (raw events → rollups → rules, the real pipeline).

``build_recommendation_platform(session, today)`` creates (``base`` = ``today`` − 140 days
at 00:00 UTC, ``dN`` = base + N days), rolls up and commits:

- writer 1 "Ada Quill", story 10 "The Glass Orchard": chapters 1–6 released weekly at
  18:00 on d0, d7, …, d35, then nothing for 42 days (the **planted hiatus**, usual cadence
  7 days), then chapters 7–15 weekly from d77 to d133. 300 readers (ids 1–300) start at chapter 1
  and read each chapter within 20 hours of its release; from one chapter to the next about
  8% stop, except that only about 35% of chapter 4's readers open chapter 5 (the **planted
  drop-off**, and most of those who stop give up inside chapter 4) and only half of
  chapter 6's readers come back after the hiatus.
- writer 2 "Bram Stoker-Lite", story 20 "Night Ledger": 19 chapters released weekly from
  d0 to d126, 60 readers (ids 1001–1060) who read on release and each continue with
  probability 0.95 — a regular story (no drop-off, no hiatus) — and 20 late readers
  (1061–1080) who binge all 19 chapters, three a day from d128 to d134.
- dashboard accounts for both writers and an admin (``tests.factories.add_accounts``).

Random choices come from a seeded generator, so the platform is the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from data.models import Chapter, Reader, Story, Writer
from data.writes import insert_events, rebuild_rollups
from tests.factories import add_accounts

PLANTED_STORY = 10
#: The chapter readers leave after (the loss is into chapter 5).
PLANTED_DROPOFF_CHAPTER = 4
PLANTED_DROPOFF_CHAPTER_ID = 104
#: The hiatus: from chapter 6's release (d35) to chapter 7's (d77).
HIATUS_START_DAY = 35
HIATUS_END_DAY = 77
REGULAR_STORY = 20


@dataclass(frozen=True)
class PlantedPlatform:
    """Where the patterns are: ``base`` is day 0; ``hiatus_start`` the release before the gap."""

    base: datetime
    hiatus_start: datetime
    hiatus_end: datetime


def _release_days_story_10() -> list[int]:
    return [7 * n for n in range(6)] + [HIATUS_END_DAY + 7 * n for n in range(9)]


def build_recommendation_platform(session: Session, today: date) -> PlantedPlatform:
    """Create the platform of the module docstring, roll it up and commit."""
    rng = np.random.default_rng(7)
    base = datetime.combine(today - timedelta(days=140), time.min)
    session.add_all(
        [
            Writer(id=1, handle="ada", display_name="Ada Quill", joined_at=base),
            Writer(id=2, handle="bram", display_name="Bram Stoker-Lite", joined_at=base),
        ]
    )
    session.flush()
    session.add_all(
        [
            Story(id=PLANTED_STORY, writer_id=1, title="The Glass Orchard", genre="fantasy",
                  status="ongoing", created_at=base, published_at=base),
            Story(id=REGULAR_STORY, writer_id=2, title="Night Ledger", genre="horror",
                  status="ongoing", created_at=base, published_at=base),
        ]
    )  # fmt: skip
    session.flush()
    releases = {
        PLANTED_STORY: [base + timedelta(days=d, hours=18) for d in _release_days_story_10()],
        REGULAR_STORY: [base + timedelta(days=7 * n, hours=18) for n in range(19)],
    }
    chapters = []
    for story_id, times in releases.items():
        for number, published in enumerate(times, start=1):
            chapters.append(
                Chapter(id=story_id * 10 + number if story_id == PLANTED_STORY else 200 + number,
                        story_id=story_id, number=number, title=f"Part {number}",
                        word_count=2000, published_at=published)
            )  # fmt: skip
    session.add_all(chapters)
    readers = [*range(1, 301), *range(1001, 1081)]
    session.add_all(
        Reader(id=r, user_id=f"r{r}", country="US", device="ios", first_seen_at=base)
        for r in readers
    )
    session.flush()

    rows: list[dict[str, Any]] = []

    def read(reader: int, story: int, chapter_id: int, when: datetime, done: bool) -> None:
        writer = 1 if story == PLANTED_STORY else 2
        for kind, at in (
            ("chapter_start", when),
            ("chapter_complete", when + timedelta(minutes=25)),
        ):
            if kind == "chapter_complete" and not done:
                continue
            rows.append({
                "source": "test", "message_id": f"m{len(rows)}", "event_type": kind,
                "event_name": kind, "user_id": f"r{reader}", "reader_id": reader,
                "writer_id": writer, "story_id": story, "chapter_id": chapter_id,
                "occurred_at": at, "received_at": at,
            })  # fmt: skip

    # Story 10: continue probabilities into each chapter (index = chapter number).
    go_on = dict.fromkeys(range(2, 16), 0.92) | {2: 0.9, 5: 0.35, 7: 0.5}
    for reader in range(1, 301):
        number = 1
        while True:
            continues = number < 15 and rng.random() < go_on[number + 1]
            gives_up_inside = number == PLANTED_DROPOFF_CHAPTER and not continues
            done = rng.random() < (0.3 if gives_up_inside else 0.92)
            when = releases[PLANTED_STORY][number - 1] + timedelta(hours=int(rng.integers(1, 20)))
            read(reader, PLANTED_STORY, PLANTED_STORY * 10 + number, when, done)
            if not continues:
                break
            number += 1
    # Story 20: a regular story; readers 1061-1080 binge all 19 chapters, three a day from
    # d128 (opens long after release: "own-time" reading).
    for reader in range(1061, 1081):
        hour = int(rng.integers(0, 21))
        for number in range(1, 20):
            when = base + timedelta(days=128 + (number - 1) // 3, hours=hour + (number - 1) % 3)
            read(reader, REGULAR_STORY, 200 + number, when, True)
    for reader in range(1001, 1061):
        number = 1
        while True:
            when = releases[REGULAR_STORY][number - 1] + timedelta(hours=int(rng.integers(1, 20)))
            read(reader, REGULAR_STORY, 200 + number, when, rng.random() < 0.92)
            if number == 19 or rng.random() >= 0.95:
                break
            number += 1

    insert_events(session, rows)
    session.flush()
    rebuild_rollups(session)
    add_accounts(session)
    session.commit()
    return PlantedPlatform(
        base=base,
        hiatus_start=releases[PLANTED_STORY][5],
        hiatus_end=releases[PLANTED_STORY][6],
    )
