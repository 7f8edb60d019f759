"""Small hand-built platforms with known answers, for exact-number tests.

``build_small_platform(session, today)`` creates two writers (1 "Ada Quill", 2 "Bram
Stoker-Lite"), three stories, a few chapters, four readers and a fixed list of events,
rolls them up and commits. ``EXPECTED`` holds the numbers a correct implementation must
report for writer 1 over the last 7 days and the 7 days before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from data.db import utcnow
from data.models import Chapter, Reader, Story, User, Writer
from data.writes import insert_events, rebuild_rollups

WRITER_PASSWORD = "writer-password-1"
OTHER_WRITER_PASSWORD = "writer-password-2"
ADMIN_PASSWORD = "admin-password-1"


@dataclass(frozen=True)
class Accounts:
    writer_email: str = "ada@example.com"
    other_writer_email: str = "bram@example.com"
    admin_email: str = "admin@example.com"


ACCOUNTS = Accounts()


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour, 0))


def add_accounts(session: Session) -> None:
    """Dashboard accounts for writers 1 and 2 and one admin (fast scrypt settings are
    not used on purpose: the real hashing path is tested)."""
    stamp = utcnow().replace(microsecond=0)
    for email, password, role, writer_id in (
        (ACCOUNTS.writer_email, WRITER_PASSWORD, "writer", 1),
        (ACCOUNTS.other_writer_email, OTHER_WRITER_PASSWORD, "writer", 2),
        (ACCOUNTS.admin_email, ADMIN_PASSWORD, "admin", None),
    ):
        session.add(
            User(
                email=email,
                password_hash=generate_password_hash(password, method="scrypt"),
                role=role,
                writer_id=writer_id,
                display_name=email.split("@")[0].title(),
                is_active=True,
                password_changed_at=stamp,
            )
        )


def build_small_platform(session: Session, today: date) -> None:
    """Create the catalog, readers, events and rollups described in the module docstring."""
    start = today - timedelta(days=30)
    session.add_all(
        [
            Writer(id=1, handle="ada", display_name="Ada Quill", joined_at=_at(start)),
            Writer(id=2, handle="bram", display_name="Bram Stoker-Lite", joined_at=_at(start)),
        ]
    )
    session.flush()
    session.add_all(
        [
            Story(
                id=10,
                writer_id=1,
                title="The Glass Orchard",
                genre="fantasy",
                status="ongoing",
                created_at=_at(start),
                published_at=_at(start),
            ),
            Story(
                id=11,
                writer_id=1,
                title="Salt & Signal",
                genre="sci-fi",
                status="ongoing",
                created_at=_at(start),
                published_at=_at(start),
            ),
            Story(
                id=20,
                writer_id=2,
                title="Night Ledger",
                genre="horror",
                status="ongoing",
                created_at=_at(start),
                published_at=_at(start),
            ),
        ]
    )
    session.flush()
    session.add_all(
        [
            Chapter(
                id=100,
                story_id=10,
                number=1,
                title="Seeds",
                word_count=2000,
                published_at=_at(start),
            ),
            Chapter(
                id=101,
                story_id=10,
                number=2,
                title="Roots",
                word_count=2500,
                published_at=_at(start),
                is_paid=True,
                price_minor=199,
            ),
            Chapter(
                id=110,
                story_id=11,
                number=1,
                title="Static",
                word_count=1800,
                published_at=_at(start),
            ),
            Chapter(
                id=200,
                story_id=20,
                number=1,
                title="Debts",
                word_count=3000,
                published_at=_at(start),
            ),
        ]
    )
    session.add_all(
        [Reader(id=n, user_id=f"r{n}", country="US", device="ios") for n in (1, 2, 3, 4)]
    )
    session.flush()

    rows: list[dict] = []

    def event(kind: str, reader: int, story: int, chapter: int | None, day: date, **extra):
        writer = 1 if story in (10, 11) else 2
        rows.append(
            {
                "source": "test",
                "message_id": f"m{len(rows)}",
                "event_type": kind,
                "event_name": kind,
                "user_id": f"r{reader}",
                "reader_id": reader,
                "writer_id": writer,
                "story_id": story,
                "chapter_id": chapter,
                "occurred_at": _at(day),
                "received_at": _at(day),
                **extra,
            }
        )

    # Current period for writer 1: the last 7 days (today - 6 .. today).
    d1, d2 = today - timedelta(days=1), today - timedelta(days=3)
    for reader in (1, 2, 3):
        event("chapter_start", reader, 10, 100, d1)
        event("chapter_progress", reader, 10, 100, d1, read_seconds=600, progress_pct=100)
    event("chapter_complete", 1, 10, 100, d1)
    event("chapter_complete", 2, 10, 100, d1)
    event("chapter_start", 1, 10, 101, d2)
    event("chapter_unlock", 1, 10, 101, d2, revenue_minor=199, currency="USD")
    event("tip", 2, 10, None, d2, revenue_minor=500, currency="USD")
    event("follow", 3, 10, None, d2)
    event("chapter_start", 1, 11, 110, d2)
    event("subscribe", 4, 11, None, d1, revenue_minor=999, currency="USD")
    # Previous period for writer 1 (today - 13 .. today - 7).
    p1 = today - timedelta(days=10)
    event("chapter_start", 1, 10, 100, p1)
    event("chapter_start", 2, 10, 100, p1)
    event("chapter_complete", 1, 10, 100, p1)
    event("tip", 1, 10, None, p1, revenue_minor=300, currency="USD")
    # Writer 2 only.
    event("chapter_start", 4, 20, 200, d1)
    event("chapter_start", 3, 20, 200, d1)
    event("tip", 4, 20, None, d1, revenue_minor=10_000, currency="USD")
    event("follow", 4, 20, None, d1)

    insert_events(session, rows)
    session.flush()
    rebuild_rollups(session)
    add_accounts(session)
    session.commit()


# Writer 1, last 7 days vs the 7 days before.
EXPECTED_WRITER_1 = {
    "views": (5, 2),
    "unique_readers": (4, 2),  # readers 1, 2, 3 on story 10/11 + reader 4 (subscribe)
    "reading_seconds": (1800, 0),
    "completion_rate": (2 / 5, 1 / 2),
    "follows": (1, 0),
    "revenue": (199 + 500 + 999, 300),
}
EXPECTED_WRITER_2_REVENUE = 10_000
