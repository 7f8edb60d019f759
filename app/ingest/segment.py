"""The Segment vocabulary: how Segment calls and event names map onto canonical events.

This module is data only (plus one lookup); docs/events.md documents the same mapping.

- ``track`` events are mapped by name: the name is normalised (lower case, ``_`` and ``-``
  read as spaces, runs of spaces collapsed) and looked up in :data:`TRACK_EVENT_TYPES`;
  our own canonical names (``chapter_start``) map to themselves; anything else is stored
  as ``custom`` with the name kept in ``event_name``.
- ``page`` and ``screen`` are ``page_view``; ``identify``, ``group`` and ``alias`` are
  stored as ``custom`` events named ``identify`` / ``group`` / ``alias`` (they are messages
  too: deduplicated by ``messageId`` like any other), and ``identify`` updates the reader.
- Canonical columns are read from ``properties`` under the names in :data:`PROPERTY_ALIASES`
  (first one present wins) and removed from the stored ``properties``.
"""

from __future__ import annotations

import re

from data.models import EventType

#: Segment call types accepted in a batch (``/v1/batch``, ``/v1/import``).
CALL_TYPES = ("track", "identify", "page", "screen", "group", "alias")

#: Normalised track event name -> canonical type (besides the canonical names themselves).
TRACK_EVENT_TYPES: dict[str, EventType] = {
    "signed up": EventType.SIGNUP,
    "account created": EventType.SIGNUP,
    "signed in": EventType.LOGIN,
    "logged in": EventType.LOGIN,
    "page viewed": EventType.PAGE_VIEW,
    "screen viewed": EventType.PAGE_VIEW,
    "story viewed": EventType.STORY_VIEW,
    "chapter started": EventType.CHAPTER_START,
    "chapter opened": EventType.CHAPTER_START,
    "chapter progress": EventType.CHAPTER_PROGRESS,
    "chapter progressed": EventType.CHAPTER_PROGRESS,
    "chapter completed": EventType.CHAPTER_COMPLETE,
    "chapter finished": EventType.CHAPTER_COMPLETE,
    "story liked": EventType.LIKE,
    "chapter liked": EventType.LIKE,
    "comment posted": EventType.COMMENT,
    "comment added": EventType.COMMENT,
    "story shared": EventType.SHARE,
    "chapter shared": EventType.SHARE,
    "story followed": EventType.FOLLOW,
    "writer followed": EventType.FOLLOW,
    "chapter unlocked": EventType.CHAPTER_UNLOCK,
    "chapter purchased": EventType.CHAPTER_UNLOCK,
    "tip sent": EventType.TIP,
    "writer tipped": EventType.TIP,
    "subscription started": EventType.SUBSCRIBE,
    "subscription renewed": EventType.SUBSCRIBE,
    "experiment viewed": EventType.EXPERIMENT_EXPOSURE,
}
for _type in EventType:
    if _type is not EventType.CUSTOM:
        TRACK_EVENT_TYPES.setdefault(_type.value.replace("_", " "), _type)

#: Canonical column -> ``properties`` keys it is read from (first present wins).
#: ``revenue`` is in major units (4.99); ``revenue_minor``/``amount_minor`` in minor units.
PROPERTY_ALIASES: dict[str, tuple[str, ...]] = {
    "writer_id": ("writer_id", "writerId"),
    "story_id": ("story_id", "storyId"),
    "chapter_id": ("chapter_id", "chapterId"),
    "progress_pct": ("percent", "progress_pct", "progress"),
    "read_seconds": ("read_seconds", "readSeconds", "seconds"),
    "revenue_minor": ("revenue_minor", "amount_minor"),
    "revenue": ("revenue",),
    "currency": ("currency",),
}
#: Experiment exposure: ``properties.experiment`` / ``properties.variant`` are also read from
#: Segment's "Experiment Viewed" names and stored under the canonical keys.
EXPERIMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "experiment": ("experiment", "experiment_name", "experiment_id"),
    "variant": ("variant", "variation_name", "variation_id"),
}
MAPPED_PROPERTY_KEYS = frozenset(name for names in PROPERTY_ALIASES.values() for name in names)
#: Currency of a revenue event that does not say (Segment's own default).
DEFAULT_CURRENCY = "USD"

_SEPARATORS = re.compile(r"[\s_\-]+")


def canonical_type(event_name: str) -> EventType:
    """The canonical type of a ``track`` event called ``event_name`` (``custom`` if unknown)."""
    return TRACK_EVENT_TYPES.get(_SEPARATORS.sub(" ", event_name).strip().lower(), EventType.CUSTOM)
