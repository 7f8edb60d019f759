"""Storage helpers of the ingest write path: readers, catalog lookups, dedupe lookups.

Everything here takes the caller's Session and never commits, so an ingest request
resolves readers, inserts its events (``data.writes.insert_events``) and applies trait
updates in one transaction. Statements are Core, set-based and chunked; no ORM object is
built per event.

Reader identity rule (docs/events.md): an event with a ``user_id`` belongs to the reader
with that ``user_id``; an event with only an ``anonymous_id`` to the reader with that
``anonymous_id``. When a message carries both and no reader has the ``user_id`` yet, an
anonymous reader with that ``anonymous_id`` and no ``user_id`` is linked to it (its
history stays one reader); otherwise a reader is created. Creation is insert-or-ignore,
so concurrent requests creating the same reader both end up with the same row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Dialect, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.models import ApiKey, Chapter, Event, Reader, Story

__all__ = [
    "ReaderIds",
    "TraitUpdate",
    "apply_reader_traits",
    "catalog_parents",
    "existing_message_ids",
    "resolve_readers",
    "stored_message_ids",
    "touch_api_key",
]

#: Values per ``IN (...)`` list (well under SQLite's and PostgreSQL's parameter limits).
IN_CHUNK = 900
_READERS = Reader.__table__
_EVENTS = Event.__table__
#: Typed reader columns a trait update may set (everything else stays in ``traits``).
READER_TRAIT_COLUMNS = frozenset(
    {"country", "device", "age_band", "signup_date", "acquisition_source"}
)


def _chunks(values: Collection[Any]) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _insert_or_ignore(dialect: Dialect, table: Any, key: str) -> Any:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` for the dialect (any other conflict,
    such as a primary key clash, still raises)."""
    if dialect.name == "postgresql":
        return pg_dialect.insert(table).on_conflict_do_nothing(index_elements=[key])
    if dialect.name == "sqlite":
        return sqlite_dialect.insert(table).on_conflict_do_nothing(index_elements=[key])
    raise NotImplementedError(f"ingest supports sqlite and postgresql, not {dialect.name}")


def existing_message_ids(session: Session, source: str, message_ids: Collection[str]) -> set[str]:
    """Which of ``message_ids`` are already stored for ``source`` (uses the unique index)."""
    found: set[str] = set()
    e = _EVENTS.c
    for chunk in _chunks(message_ids):
        found.update(
            session.execute(
                select(e.message_id).where(e.source == source, e.message_id.in_(chunk))
            ).scalars()
        )
    return found


def stored_message_ids(
    session: Session, source: str, message_ids: Collection[str], not_received_at: datetime
) -> list[str]:
    """Which of ``message_ids`` were stored for ``source`` by an earlier request: rows with
    a ``received_at`` other than ``not_received_at`` (the current request's stamp)."""
    found: list[str] = []
    e = _EVENTS.c
    for chunk in _chunks(message_ids):
        found.extend(
            session.execute(
                select(e.message_id).where(
                    e.source == source,
                    e.message_id.in_(chunk),
                    e.received_at != not_received_at,
                )
            ).scalars()
        )
    return found


def catalog_parents(
    session: Session, story_ids: Collection[int], chapter_ids: Collection[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """``({story_id: writer_id}, {chapter_id: story_id})`` for the ids the catalog knows.

    Ids missing from the catalog are simply absent from the result (events naming them
    are stored as sent)."""
    story_writer: dict[int, int] = {}
    chapter_story: dict[int, int] = {}
    for chunk in _chunks(chapter_ids):
        chapter_story.update(
            session.execute(select(Chapter.id, Chapter.story_id).where(Chapter.id.in_(chunk))).all()
        )
    wanted = set(story_ids) | set(chapter_story.values())
    for chunk in _chunks(wanted):
        story_writer.update(
            session.execute(select(Story.id, Story.writer_id).where(Story.id.in_(chunk))).all()
        )
    return story_writer, chapter_story


@dataclass
class ReaderIds:
    """Reader ids by ``user_id`` and by ``anonymous_id`` (see the module's identity rule)."""

    by_user: dict[str, int] = field(default_factory=dict)
    by_anonymous: dict[str, int] = field(default_factory=dict)

    def of(self, user_id: str | None, anonymous_id: str | None) -> int | None:
        """The reader an event with these ids belongs to."""
        if user_id is not None:
            return self.by_user.get(user_id)
        if anonymous_id is not None:
            return self.by_anonymous.get(anonymous_id)
        return None


def _lookup(session: Session, column: Any, values: Collection[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(values):
        found.update(session.execute(select(column, _READERS.c.id).where(column.in_(chunk))).all())
    return found


def _link_anonymous(session: Session, pairs: Mapping[str, str], at: datetime) -> None:
    """Give anonymous readers (no ``user_id`` yet) the ``user_id`` they identified as.

    ``pairs`` maps ``user_id -> anonymous_id`` for users no reader has yet. Runs in a
    savepoint: if a concurrent request created a reader for one of the users meanwhile,
    the unique constraint refuses the update and linking is skipped for this batch."""
    r = _READERS.c
    statement = (
        update(_READERS)
        .where(and_(r.anonymous_id == bindparam("anon"), r.user_id.is_(None)))
        .values(user_id=bindparam("user"), updated_at=at)
    )
    params = [{"anon": anon, "user": user} for user, anon in sorted(pairs.items())]
    try:
        with session.begin_nested():
            session.connection().execute(statement, params)
    except IntegrityError:
        pass


def resolve_readers(
    session: Session,
    identities: Iterable[tuple[str | None, str | None]],
    first_seen_at: Mapping[tuple[str | None, str | None], datetime],
    now: datetime,
) -> ReaderIds:
    """Find or create the readers of ``identities`` (``(user_id, anonymous_id)`` pairs).

    Applies the module's identity rule: existing readers are looked up in bulk, anonymous
    readers are linked to a ``user_id`` they now carry, and the rest are created with
    insert-or-ignore (``first_seen_at[pair]``, else ``now``, as their first-seen time).
    Returns every pair's reader id through :class:`ReaderIds`. Does not commit.
    """
    users: dict[str, str | None] = {}
    anonymous: set[str] = set()
    first_seen: dict[tuple[str, str], datetime] = {}
    for user_id, anonymous_id in identities:
        pair = (user_id, anonymous_id)
        if user_id is not None:
            if users.get(user_id) is None:
                users[user_id] = anonymous_id
            key = ("user", user_id)
        elif anonymous_id is not None:
            anonymous.add(anonymous_id)
            key = ("anonymous", anonymous_id)
        else:
            continue
        seen = first_seen_at.get(pair, now)
        if key not in first_seen or seen < first_seen[key]:
            first_seen[key] = seen
    r = _READERS.c
    ids = ReaderIds(_lookup(session, r.user_id, users), _lookup(session, r.anonymous_id, anonymous))
    # Sorted, so concurrent requests take row locks in the same order (no deadlocks).
    unknown_users = sorted(user for user in users if user not in ids.by_user)
    links = {user: anon for user in unknown_users if (anon := users[user]) is not None}
    if links:
        _link_anonymous(session, links, now)
        ids.by_user.update(_lookup(session, r.user_id, unknown_users))
        unknown_users = [user for user in unknown_users if user not in ids.by_user]
    unknown_anonymous = sorted(anon for anon in anonymous if anon not in ids.by_anonymous)
    connection = session.connection()
    if unknown_users:
        connection.execute(
            _insert_or_ignore(connection.dialect, _READERS, "user_id"),
            [
                {
                    "user_id": user,
                    "anonymous_id": None,
                    "first_seen_at": first_seen[("user", user)],
                    "updated_at": now,
                }
                for user in unknown_users
            ],
        )
        ids.by_user.update(_lookup(session, r.user_id, unknown_users))
    if unknown_anonymous:
        connection.execute(
            _insert_or_ignore(connection.dialect, _READERS, "anonymous_id"),
            [
                {
                    "user_id": None,
                    "anonymous_id": anon,
                    "first_seen_at": first_seen[("anonymous", anon)],
                    "updated_at": now,
                }
                for anon in unknown_anonymous
            ],
        )
        ids.by_anonymous.update(_lookup(session, r.anonymous_id, unknown_anonymous))
    return ids


@dataclass(frozen=True)
class TraitUpdate:
    """Traits one message reported for a reader, applied in ``at`` order.

    ``columns`` holds validated values for the typed reader columns (``country``,
    ``device``, ``age_band``, ``signup_date``, ``acquisition_source``); ``traits`` is
    everything the client sent, merged into ``readers.traits``."""

    reader_id: int
    at: datetime
    columns: Mapping[str, str | date]
    traits: Mapping[str, Any]


def apply_reader_traits(session: Session, updates: Sequence[TraitUpdate], now: datetime) -> int:
    """Apply trait updates to their readers, oldest ``at`` first; returns readers changed.

    For each reader, later updates win key by key: ``traits`` are merged into the stored
    JSON and typed columns are overwritten by the values given. Does not commit."""
    if not updates:
        return 0
    merged: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for item in sorted(updates, key=lambda u: u.at):
        columns, traits = merged.setdefault(item.reader_id, ({}, {}))
        columns.update(item.columns)
        traits.update(item.traits)
    readers = {
        reader.id: reader
        for chunk in _chunks(merged)
        for reader in session.scalars(select(Reader).where(Reader.id.in_(chunk)))
    }
    for reader_id, (columns, traits) in merged.items():
        reader = readers.get(reader_id)
        if reader is None:
            continue
        for name, value in columns.items():
            if name in READER_TRAIT_COLUMNS:
                setattr(reader, name, value)
        if traits:
            reader.traits = {**(reader.traits or {}), **traits}
        reader.updated_at = now
    session.flush()
    return len(readers)


def touch_api_key(session: Session, key_id: int, now: datetime) -> None:
    """Set the key's ``last_used_at`` to ``now`` (callers throttle how often). Does not
    commit."""
    keys = ApiKey.__table__
    session.execute(update(keys).where(keys.c.id == key_id).values(last_used_at=now))
