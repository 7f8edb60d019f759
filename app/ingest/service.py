"""The ingest service: authenticate a write key, and store validated events durably.

Contract of :func:`store_events` (one call per request, in the caller's session):

1. Messages repeated within the request count once (the first wins); message ids the
   source already stored are duplicates (the dedupe key is ``(source, message_id)``,
   forever). Counts come from the insert itself, so they are exact even when two
   requests race with the same messages; ``duplicate_message_ids`` lists the repeats and
   the ids found stored by an earlier request.
2. For the new messages: readers are resolved in bulk (``data.ingest_writes``), story
   and writer ids are filled from the catalog when the client left them out (chapter ->
   story -> writer), the rows are inserted with ``data.writes.insert_events`` (Core
   insert-or-ignore, so a concurrent retry still stores each message once), and reader
   traits from ``identify``/``traits`` are applied.
3. The transaction is committed before returning: a result means the events are durable.
   A locked or unreachable database raises ``IngestError`` 503 (with ``Retry-After``);
   nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from app.auth.api_keys import find_active_key
from app.ingest.caches import IngestCaches
from app.ingest.errors import unauthorized, unavailable
from app.ingest.gate import NO_GATE, GateTimeout, WriteGate
from app.ingest.validation import Accepted, Parsed, Rejected
from data.ingest_writes import (
    ReaderIds,
    TraitUpdate,
    apply_reader_traits,
    catalog_parents,
    existing_message_ids,
    resolve_readers,
    stored_message_ids,
    touch_api_key,
)
from data.writes import insert_events

logger = logging.getLogger("legato.ingest")

#: Seconds a client is asked to wait after a 503.
RETRY_AFTER_UNAVAILABLE = 1


@dataclass(frozen=True)
class WriteKey:
    """The authenticated write key of a request."""

    id: int
    source: str


@dataclass
class IngestResult:
    """What happened to a request's messages (``accepted`` were stored now)."""

    accepted: int
    duplicates: int
    duplicate_message_ids: list[str]
    rejected: list[Rejected]

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "duplicate_message_ids": self.duplicate_message_ids,
            "rejected": [item.as_json() for item in self.rejected],
        }


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a locked, unreachable or timed-out database into 503 ``unavailable``."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as error:
        logger.warning("ingest: database unavailable: %s", error.__class__.__name__)
        reason = "locked" if "locked" in str(error).lower() else "unavailable"
        raise unavailable(
            f"The database is {reason}; nothing was stored. Retry the same request.",
            RETRY_AFTER_UNAVAILABLE,
        ) from error
    except sa_exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise unavailable(
            "The database connection was lost; nothing was stored. Retry the same request.",
            RETRY_AFTER_UNAVAILABLE,
        ) from error


def authenticate(session: Session, presented: str | None) -> WriteKey:
    """The active write key ``presented``; 401 when it is missing, unknown, revoked or
    not a write key (a read key cannot write)."""
    if not presented:
        raise unauthorized(
            "A write key is required: send it as the HTTP Basic user name (empty password), "
            'as "Authorization: Bearer <key>", or as "writeKey" in the JSON body.'
        )
    with database_errors():
        key = find_active_key(session, presented, "write")
        if key is None or not key.source:
            raise unauthorized("The write key is invalid or has been revoked.")
        return WriteKey(key.id, key.source)


def _dedupe(accepted: list[Accepted]) -> tuple[list[Accepted], list[str]]:
    first: dict[str, Accepted] = {}
    repeated: list[str] = []
    for item in accepted:
        message_id = item.row["message_id"]
        if message_id in first:
            repeated.append(message_id)
        else:
            first[message_id] = item
    return list(first.values()), repeated


def _fill_readers(
    session: Session, items: list[Accepted], now: datetime, caches: IngestCaches
) -> ReaderIds | None:
    """Set ``reader_id`` on every row: from the cache, else resolved (and maybe created)
    in bulk. Returns what was resolved from the database (to cache after commit)."""
    by_user, by_anonymous = caches.readers_by_user, caches.readers_by_anonymous
    missing: dict[tuple[str | None, str | None], datetime] = {}
    for item in items:
        row = item.row
        user_id = row["user_id"]
        reader_id = by_user.get(user_id) if user_id is not None else None
        if reader_id is None and user_id is None:
            reader_id = by_anonymous.get(row["anonymous_id"])
        row["reader_id"] = reader_id
        if reader_id is None:
            pair = (user_id, row["anonymous_id"])
            seen = missing.get(pair)
            if seen is None or row["occurred_at"] < seen:
                missing[pair] = row["occurred_at"]
    links = [item.link for item in items if item.link and item.link[0] not in by_user]
    if not missing and not links:
        return None
    readers = resolve_readers(session, [*missing, *links], missing, now)
    for item in items:
        row = item.row
        if row["reader_id"] is None:
            row["reader_id"] = readers.of(row["user_id"], row["anonymous_id"])
    return readers


def _fill_catalog(session: Session, items: list[Accepted], caches: IngestCaches) -> None:
    """Fill ``story_id`` from the chapter and ``writer_id`` from the story where the client
    left them out and the catalog knows them (cached per process)."""
    rows = [item.row for item in items]
    chapter_story, story_writer = caches.chapter_story, caches.story_writer
    ask_chapters = {
        chapter
        for row in rows
        if row["story_id"] is None
        and (chapter := row["chapter_id"]) is not None
        and chapter not in chapter_story
        and not caches.recently_unknown(caches.unknown_chapters, chapter)
    }
    ask_stories = {
        story
        for row in rows
        if row["writer_id"] is None
        and (story := row["story_id"]) is not None
        and story not in story_writer
        and not caches.recently_unknown(caches.unknown_stories, story)
    }
    if ask_chapters or ask_stories:
        found_writers, found_stories = catalog_parents(session, ask_stories, ask_chapters)
        caches.remember_catalog(found_writers, found_stories, ask_stories, ask_chapters)
    for row in rows:
        if row["story_id"] is None and row["chapter_id"] is not None:
            row["story_id"] = chapter_story.get(row["chapter_id"])
        if row["writer_id"] is None and row["story_id"] is not None:
            row["writer_id"] = story_writer.get(row["story_id"])


@contextmanager
def _gate(gate: WriteGate) -> Iterator[None]:
    try:
        with gate.hold():
            yield
    except GateTimeout as error:
        raise unavailable(
            "The database is busy with other writes; nothing was stored. Retry the same request.",
            RETRY_AFTER_UNAVAILABLE,
        ) from error


def store_events(
    session: Session,
    key: WriteKey,
    parsed: Parsed,
    now: datetime,
    caches: IngestCaches,
    gate: WriteGate = NO_GATE,
) -> IngestResult:
    """Store ``parsed.accepted`` for ``key`` and commit (see the module docstring).

    Reads (dedupe lookup, catalog) come before the writes, and the writes through the
    commit run inside ``gate`` (``app.ingest.gate``: SQLite writers take turns without
    polling), so the database's write lock is held only for the inserts and the commit.
    Raises ``IngestError`` 503 when the database is locked, busy or unavailable (the
    transaction is rolled back; the client retries the same request)."""
    unique, repeated = _dedupe(parsed.accepted)
    readers = None
    touch = caches.key_needs_touch(key.id)
    message_ids = [item.row["message_id"] for item in unique]
    with database_errors():
        try:
            new = unique
            if any(item.traits is not None for item in unique):
                # Trait updates must come from new messages only (a retried old identify
                # must not overwrite newer traits), so look the duplicates up first.
                stored = existing_message_ids(session, key.source, message_ids)
                new = [item for item in unique if item.row["message_id"] not in stored]
            if new:
                _fill_catalog(session, new, caches)
            # Sorted by message id: concurrent requests with overlapping messages (retries)
            # then wait for each other instead of deadlocking (PostgreSQL).
            rows = sorted((item.row for item in new), key=itemgetter("message_id"))
            with _gate(gate):
                inserted = 0
                if new:
                    readers = _fill_readers(session, new, now, caches)
                    inserted = insert_events(session, rows)
                    updates = [
                        TraitUpdate(item.row["reader_id"], item.row["occurred_at"], *item.traits)
                        for item in new
                        if item.traits is not None and item.row["reader_id"] is not None
                    ]
                    apply_reader_traits(session, updates, now)
                stored_before: list[str] = []
                if inserted < len(unique):  # some were stored already: say which
                    stored_before = stored_message_ids(session, key.source, message_ids, now)
                if touch:
                    touch_api_key(session, key.id, now)
                session.commit()
        except BaseException:
            with suppress(Exception):  # a dead connection cannot roll back; keep the cause
                session.rollback()
            raise
    if readers is not None:  # only committed readers are cached
        caches.remember_readers(readers.by_user, readers.by_anonymous)
    if touch:
        caches.key_touched_now(key.id)
    return IngestResult(
        accepted=inserted,
        duplicates=len(parsed.accepted) - inserted,
        duplicate_message_ids=repeated + stored_before,
        rejected=parsed.rejected,
    )
