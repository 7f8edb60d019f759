"""Per-process caches of the ingest write path (one :class:`IngestCaches` per app).

They only hold facts that cannot change once true, so they never serve a stale answer:

- reader ids by ``user_id`` and by ``anonymous_id`` (a reader row is never deleted or
  re-keyed: linking only gives an anonymous reader the ``user_id`` no reader had);
  entries are added only after the transaction that created the reader committed;
- the catalog's ``story -> writer`` and ``chapter -> story`` parents (ids are the
  platform's and never move); ids the catalog does not know are re-asked after
  :data:`UNKNOWN_TTL_SECONDS`, so new stories are picked up;
- when this process last stamped each write key's ``last_used_at``.

Each mapping is cleared when it grows past :data:`MAX_ENTRIES` (a simple bound on memory).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_ENTRIES = 500_000
UNKNOWN_TTL_SECONDS = 60.0
KEY_TOUCH_SECONDS = 60.0


def _bounded_update(target: dict, items: Iterable[tuple]) -> None:
    if len(target) > MAX_ENTRIES:
        target.clear()
    target.update(items)


@dataclass
class IngestCaches:
    """See the module docstring. Thread-safe for the dict operations it performs."""

    readers_by_user: dict[str, int] = field(default_factory=dict)
    readers_by_anonymous: dict[str, int] = field(default_factory=dict)
    story_writer: dict[int, int] = field(default_factory=dict)
    chapter_story: dict[int, int] = field(default_factory=dict)
    unknown_stories: dict[int, float] = field(default_factory=dict)
    unknown_chapters: dict[int, float] = field(default_factory=dict)
    key_touched: dict[int, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember_readers(self, by_user: dict[str, int], by_anonymous: dict[str, int]) -> None:
        """Record committed reader ids."""
        with self.lock:
            _bounded_update(self.readers_by_user, by_user.items())
            _bounded_update(self.readers_by_anonymous, by_anonymous.items())

    def remember_catalog(
        self,
        story_writer: dict[int, int],
        chapter_story: dict[int, int],
        asked_stories: Iterable[int],
        asked_chapters: Iterable[int],
    ) -> None:
        """Record catalog parents found, and which asked ids the catalog did not know."""
        now = time.monotonic()
        with self.lock:
            _bounded_update(self.story_writer, story_writer.items())
            _bounded_update(self.chapter_story, chapter_story.items())
            _bounded_update(
                self.unknown_stories, ((s, now) for s in asked_stories if s not in story_writer)
            )
            _bounded_update(
                self.unknown_chapters,
                ((c, now) for c in asked_chapters if c not in chapter_story),
            )

    def recently_unknown(self, unknown: dict[int, float], item: int) -> bool:
        """True when the catalog did not know ``item`` less than the TTL ago."""
        asked = unknown.get(item)
        return asked is not None and time.monotonic() - asked < UNKNOWN_TTL_SECONDS

    def key_needs_touch(self, key_id: int) -> bool:
        """True when this process has not stamped the key's ``last_used_at`` recently."""
        touched = self.key_touched.get(key_id)
        return touched is None or time.monotonic() - touched >= KEY_TOUCH_SECONDS

    def key_touched_now(self, key_id: int) -> None:
        with self.lock:
            self.key_touched[key_id] = time.monotonic()
