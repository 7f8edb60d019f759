"""Validation: request documents in, canonical ``events`` rows (or exact field errors) out.

Pure functions of the parsed JSON document and a :class:`Clock`; no I/O. Two flavours:

- **native** (``/api/v1/events/*``): snake_case fields at the top level of each event,
  unknown fields refused, ids are JSON integers, revenue as ``revenue_minor`` or
  ``amount`` (major units) with a required ``currency``;
- **Segment** (``/v1/*``): Segment's message shapes, unknown fields ignored, canonical
  columns read from ``properties`` (``app.ingest.segment``), ids may also be digit strings,
  ``currency`` defaults to USD.

Every error names the exact path of the field (``batch[3].properties.percent``, or
``properties.percent`` for a single-event body) and what was wrong. A batch item with
errors is rejected alone; the other items are still accepted. Time: ``received_at`` is
the server's; the client time (``originalTimestamp`` or ``timestamp``) is corrected for
clock skew as ``received_at - (sentAt - timestamp)`` when ``sentAt`` is present; an event
more than ``Clock.max_future`` ahead of the server clock after correction, or before
:data:`EARLIEST`, is rejected. Definitions: docs/events.md and docs/api.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
import orjson

from app.ingest import segment
from app.ingest.body import MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_NESTING, describe_bytes
from app.ingest.errors import FieldError, IngestError
from data.currency import CURRENCY_DECIMALS
from data.models import ACQUISITION_SOURCES, AGE_BANDS, DEVICES, EventType

#: Column order of every row handed to ``data.writes.insert_events`` (uniform rows).
ROW_KEYS = (
    "source",
    "message_id",
    "event_type",
    "event_name",
    "user_id",
    "anonymous_id",
    "reader_id",
    "writer_id",
    "story_id",
    "chapter_id",
    "occurred_at",
    "received_at",
    "read_seconds",
    "progress_pct",
    "revenue_minor",
    "currency",
    "properties",
    "context",
)
#: Earliest event time accepted (historical backfill back to this is fine).
EARLIEST = datetime(2000, 1, 1)
MAX_ID = 2**31 - 1
MAX_TEXT = 128
MAX_READ_SECONDS = 86_400
MAX_REVENUE_MINOR = 10**13
CANONICAL_TYPES = frozenset(t.value for t in EventType if t is not EventType.CUSTOM)
ENGAGEMENT_ACTIONS = (
    EventType.STORY_VIEW,
    EventType.CHAPTER_START,
    EventType.CHAPTER_PROGRESS,
    EventType.CHAPTER_COMPLETE,
    EventType.LIKE,
    EventType.COMMENT,
    EventType.SHARE,
    EventType.FOLLOW,
)
BEHAVIOUR_ACTIONS = (
    EventType.SIGNUP,
    EventType.LOGIN,
    EventType.PAGE_VIEW,
    EventType.EXPERIMENT_EXPOSURE,
)
REVENUE_ACTIONS = (EventType.CHAPTER_UNLOCK, EventType.TIP, EventType.SUBSCRIBE)

# Type-specific requirements: each tuple is a set of alternatives, one must be present.
REQUIRED_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    EventType.STORY_VIEW: (("story_id",),),
    EventType.CHAPTER_START: (("story_id",), ("chapter_id",)),
    EventType.CHAPTER_PROGRESS: (
        ("story_id",),
        ("chapter_id",),
        ("progress_pct", "read_seconds"),
    ),
    EventType.CHAPTER_COMPLETE: (("story_id",), ("chapter_id",)),
    EventType.LIKE: (("story_id",),),
    EventType.COMMENT: (("story_id",),),
    EventType.SHARE: (("story_id",),),
    EventType.FOLLOW: (("writer_id", "story_id"),),
    EventType.CHAPTER_UNLOCK: (("chapter_id",), ("revenue_minor",), ("currency",)),
    EventType.TIP: (("writer_id", "story_id"), ("revenue_minor",), ("currency",)),
    EventType.SUBSCRIBE: (("writer_id", "story_id"), ("revenue_minor",), ("currency",)),
}

#: ``REQUIRED_FIELDS`` keyed by plain strings (faster lookups on the hot path).
_REQUIRED_BY_TYPE = {str(name): columns for name, columns in REQUIRED_FIELDS.items()}

_COMMON_NATIVE_FIELDS = frozenset(
    {
        "message_id",
        "user_id",
        "anonymous_id",
        "timestamp",
        "sent_at",
        "writer_id",
        "story_id",
        "chapter_id",
        "properties",
        "context",
        "writeKey",
    }
)
_NATIVE_NAMES = {name: name for name in ROW_KEYS}
_SEGMENT_NAMES = {name: name for name in ROW_KEYS}
_SEGMENT_NAMES.update(
    {
        "writer_id": "properties.writer_id",
        "story_id": "properties.story_id",
        "chapter_id": "properties.chapter_id",
        "progress_pct": "properties.percent",
        "read_seconds": "properties.read_seconds",
        "revenue_minor": "properties.revenue",
        "currency": "properties.currency",
    }
)


@dataclass(frozen=True)
class Clock:
    """The server time of the request and how far ahead a client time may be."""

    received_at: datetime
    max_future: timedelta


@dataclass(frozen=True)
class NativeEndpoint:
    """How one native endpoint names and restricts its events.

    ``name_field`` is ``event`` (any name; canonical names map to their type) or
    ``action`` (one of ``actions``); ``fields`` are the accepted top-level fields."""

    name_field: str
    actions: tuple[EventType, ...] | None
    fields: frozenset[str]


TRACK = NativeEndpoint(
    "event",
    None,
    _COMMON_NATIVE_FIELDS
    | {"event", "progress_pct", "read_seconds", "revenue_minor", "amount", "currency", "traits"},
)
CONTENT_ENGAGEMENT = NativeEndpoint(
    "action", ENGAGEMENT_ACTIONS, _COMMON_NATIVE_FIELDS | {"action", "progress_pct", "read_seconds"}
)
USER_BEHAVIOUR = NativeEndpoint(
    "action", BEHAVIOUR_ACTIONS, _COMMON_NATIVE_FIELDS | {"action", "traits"}
)
REVENUE = NativeEndpoint(
    "action",
    REVENUE_ACTIONS,
    _COMMON_NATIVE_FIELDS | {"action", "revenue_minor", "amount", "currency"},
)


@dataclass(slots=True)
class Accepted:
    """A valid message: its ``events`` row (``reader_id`` still ``None``), the reader
    traits it reports (``(columns, traits)``) and a ``(user_id, anonymous_id)`` pair to
    link (Segment ``alias``)."""

    index: int
    row: dict[str, Any]
    traits: tuple[dict[str, Any], dict[str, Any]] | None = None
    link: tuple[str, str] | None = None


@dataclass(slots=True)
class Rejected:
    """An invalid batch item: where it was, its ``message_id`` if readable, and why."""

    index: int
    message_id: str | None
    errors: list[FieldError]

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "message_id": self.message_id,
            "errors": [error.as_json() for error in self.errors],
        }


@dataclass
class Parsed:
    """The outcome of validating a request: accepted messages and rejected items."""

    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def all_errors(self) -> list[FieldError]:
        return [error for item in self.rejected for error in item.errors]


class _Item:
    """Collects the errors of one message: a single-message body (``index`` ``None``) or
    batch item ``index`` (field paths ``batch[3].name``, built only when one fails)."""

    __slots__ = ("errors", "index")

    def __init__(self, index: int | None = None) -> None:
        self.index = index
        self.errors: list[FieldError] = []

    def fail(self, name: str, message: str) -> None:
        if self.index is None:
            self.errors.append(FieldError(name or "body", message))
        else:
            where = f"batch[{self.index}]"
            self.errors.append(FieldError(f"{where}.{name}" if name else where, message))


# --------------------------------------------------------------------------- field checks


def _kind(value: Any) -> str:
    """The JSON type name of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _text(
    item: _Item, value: Any, name: str, *, required: bool = False, numbers: bool = False
) -> str | None:
    if value is None:
        if required:
            item.fail(name, "is required")
        return None
    if type(value) is str:
        if not 0 < len(value) <= MAX_TEXT:
            item.fail(name, f"must be 1 to {MAX_TEXT} characters long (got {len(value)})")
            return None
        if "\x00" in value:
            item.fail(name, "must not contain NUL characters")
            return None
        return value
    if numbers and type(value) is int:
        return str(value)
    item.fail(name, f"must be a string, not {_kind(value)}")
    return None


def _plain_text(value: Any) -> bool:
    """The common valid case of :func:`_text`, inlined by hot paths."""
    return type(value) is str and 0 < len(value) <= MAX_TEXT and "\x00" not in value


def _identifier(item: _Item, value: Any, name: str, *, digits: bool = False) -> int | None:
    if value is None:
        return None
    number: Any = value
    if digits and type(value) is str and value.isascii() and value.isdigit() and len(value) < 12:
        number = int(value)
    if type(number) is int:
        if 1 <= number <= MAX_ID:
            return number
        item.fail(name, f"must be an id between 1 and {MAX_ID} (got {number})")
        return None
    shape = "an integer or a string of digits" if digits else "an integer"
    item.fail(name, f"must be {shape}, not {_kind(value)}")
    return None


def _number(
    item: _Item, value: Any, name: str, maximum: int, *, strings: bool = False
) -> int | None:
    """A number between 0 and ``maximum``, rounded to an integer."""
    if value is None:
        return None
    number: Any = value
    if strings and type(value) is str:
        try:
            number = float(value)
        except ValueError:
            number = value
    if type(number) not in (int, float):
        item.fail(name, f"must be a number, not {_kind(value)}")
        return None
    if not 0 <= number <= maximum:
        item.fail(name, f"must be between 0 and {maximum} (got {value})")
        return None
    return round(number)


def _timestamp(item: _Item, value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str:
        item.fail(name, f"must be an ISO 8601 date-time string, not {_kind(value)}")
        return None
    try:
        # Fast path: extended-format date-times in UTC ("…T…Z" / "…T…+00:00").
        if value[10:11] == "T" and (value[-6:] == "+00:00" or value[-1:] == "Z"):
            parsed = datetime.fromisoformat(value[: -6 if value[-1] == "0" else -1])
            if parsed.tzinfo is None:
                return parsed
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            offset = parsed.utcoffset()
            parsed = parsed.replace(tzinfo=None)
            if offset:
                parsed -= offset
    except (ValueError, OverflowError):
        item.fail(
            name, f"is not an ISO 8601 date-time such as 2026-03-02T09:30:00Z (got {value!r})"
        )
        return None
    return parsed


def _occurred(
    item: _Item,
    clock: Clock,
    client: datetime | None,
    sent_at: datetime | None,
    name: str,
) -> datetime | None:
    received = clock.received_at
    if client is None:
        return received
    try:
        occurred = received - (sent_at - client) if sent_at is not None else client
    except OverflowError:
        item.fail(name, "is too far from sentAt to correct for clock skew")
        return None
    ahead = occurred - received
    if ahead > clock.max_future:
        corrected = " after clock-skew correction" if sent_at is not None else ""
        item.fail(
            name,
            f"is {_duration(ahead)} ahead of the server clock{corrected}; at most "
            f"{int(clock.max_future.total_seconds())} s in the future is accepted",
        )
        return None
    if occurred < EARLIEST:
        item.fail(name, "is before 2000-01-01T00:00:00Z, the earliest event time accepted")
        return None
    return occurred


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days = f" ({seconds / 86400:.1f} days)" if seconds >= 86400 else ""
    return f"{seconds:,} s{days}"


def _too_deep(node: Any, levels_left: int) -> list[str | int] | None:
    """Path (keys) to the first container nested deeper than allowed, else ``None``."""
    children = node.items() if type(node) is dict else enumerate(node)
    for key, child in children:
        if type(child) is dict or type(child) is list:
            if levels_left == 0:
                return [key]
            found = _too_deep(child, levels_left - 1)
            if found is not None:
                return [key, *found]
    return None


def _within(node: dict[str, Any] | list[Any], levels_left: int) -> bool:
    """Whether no container inside ``node`` is nested more than ``levels_left`` deeper
    (the quick yes/no; :func:`_too_deep` finds the path for the message)."""
    for child in node.values() if type(node) is dict else node:
        if (type(child) is dict or type(child) is list) and (
            levels_left == 0 or not _within(child, levels_left - 1)
        ):
            return False
    return True


def _object(item: _Item, value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if type(value) is not dict:
        item.fail(name, f"must be an object, not {_kind(value)}")
        return None
    if value and not _within(value, MAX_NESTING - 1):
        path = _too_deep(value, MAX_NESTING - 1)
        if path is not None:
            shown = name + "".join(f"[{p}]" if type(p) is int else f".{p}" for p in path)
            item.fail(shown, f"is nested more than {MAX_NESTING} levels deep inside {name}")
            return None
    return value


def _currency(item: _Item, value: Any, name: str) -> str | None:
    if value is None:
        return None
    if type(value) is str and len(value) == 3 and value.isascii() and value.isalpha():
        return value.upper()
    item.fail(name, f"must be a three-letter ISO 4217 currency code such as USD (got {value!r})")
    return None


def _minor_units(item: _Item, value: Any, name: str, *, digits: bool = False) -> int | None:
    if value is None:
        return None
    number: Any = value
    if digits and type(value) is str and value.isascii() and value.isdigit() and len(value) < 15:
        number = int(value)
    if type(number) is not int:
        item.fail(name, f"must be a whole number of minor units (cents), not {_kind(value)}")
        return None
    if not 0 <= number <= MAX_REVENUE_MINOR:
        item.fail(name, f"must be between 0 and {MAX_REVENUE_MINOR} minor units (got {number})")
        return None
    return number


def _major_to_minor(item: _Item, value: Any, name: str, currency: str) -> int | None:
    """An amount in major units (``4.99`` or ``"4.99"``) as minor units of ``currency``."""
    if type(value) is bool or type(value) not in (int, float, str):
        item.fail(name, f"must be a number of {currency} (e.g. 4.99), not {_kind(value)}")
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        item.fail(name, f"must be a number of {currency} (e.g. 4.99), got {value!r}")
        return None
    if not amount.is_finite() or amount < 0:
        item.fail(name, f"must be a finite amount of at least 0 (got {value!r})")
        return None
    decimals = CURRENCY_DECIMALS.get(currency, 2)
    minor = amount.scaleb(decimals)
    if minor != minor.to_integral_value():
        item.fail(name, f"has more decimal places than {currency} has ({decimals})")
        return None
    if minor > MAX_REVENUE_MINOR:
        item.fail(name, f"is larger than the {MAX_REVENUE_MINOR} minor units accepted")
        return None
    return int(minor)


def _trait_columns(item: _Item, traits: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Typed reader columns from well-known traits (invalid values are field errors)."""
    columns: dict[str, Any] = {}
    country = traits.get("country")
    country_name = f"{name}.country"
    address = traits.get("address")
    if country is None and type(address) is dict:
        country, country_name = address.get("country"), f"{name}.address.country"
    if country is not None:
        if type(country) is str and len(country) == 2 and country.isascii() and country.isalpha():
            columns["country"] = country.upper()
        else:
            item.fail(country_name, "must be a two-letter ISO 3166 country code such as DE")
    for column, keys, allowed in (
        ("device", ("device",), DEVICES),
        ("age_band", ("age_band", "ageBand"), AGE_BANDS),
        ("acquisition_source", ("acquisition_source", "acquisitionSource"), ACQUISITION_SOURCES),
    ):
        for key in keys:
            value = traits.get(key)
            if value is None:
                continue
            if value in allowed:
                columns[column] = value
            else:
                item.fail(f"{name}.{key}", f"must be one of {', '.join(allowed)}")
            break
    for key in ("signup_date", "signupDate", "createdAt"):
        value = traits.get(key)
        if value is not None:
            signed_up = _timestamp(item, value, f"{name}.{key}")
            if signed_up is not None:
                columns["signup_date"] = signed_up.date()
            break
    return columns


def _require(item: _Item, row: Mapping[str, Any], names: Mapping[str, str]) -> None:
    event_type = row["event_type"]
    for alternatives in _REQUIRED_BY_TYPE.get(event_type, ()):
        for column in alternatives:
            if row[column] is not None:
                break
        else:
            others = [names[column] for column in alternatives[1:]]
            hint = f" (or {' or '.join(others)})" if others else ""
            item.fail(names[alternatives[0]], f"is required for {event_type} events{hint}")
    if event_type == EventType.EXPERIMENT_EXPOSURE:
        properties = row["properties"] or {}
        for key in ("experiment", "variant"):
            if type(properties.get(key)) is not str or not properties[key]:
                item.fail(f"properties.{key}", "is required for experiment_exposure events")


def _row(source: str, received_at: datetime, **values: Any) -> dict[str, Any]:
    row = dict.fromkeys(ROW_KEYS)
    row["source"] = source
    row["received_at"] = received_at
    row.update(values)
    return row


# --------------------------------------------------------------------------- native


def _native_item(
    item: _Item,
    data: Any,
    index: int,
    endpoint: NativeEndpoint,
    clock: Clock,
    source: str,
    batch_sent_at: datetime | None,
) -> Accepted | None:
    if type(data) is not dict:
        item.fail("", f"must be an event object, not {_kind(data)}")
        return None
    if not endpoint.fields.issuperset(data):
        for name in sorted(set(data) - endpoint.fields):
            item.fail(name, "is not a field of this endpoint (see /api/openapi.json)")
    get = data.get
    # Fast paths inline the common valid case; the helpers produce the error messages.
    value = get("message_id")
    message_id = value if _plain_text(value) else _text(item, value, "message_id", required=True)
    raw_name = get(endpoint.name_field)
    if endpoint.actions is None:
        event_name = (
            raw_name if _plain_text(raw_name) else _text(item, raw_name, "event", required=True)
        )
        event_type = event_name if event_name in CANONICAL_TYPES else EventType.CUSTOM.value
    else:
        allowed = [action.value for action in endpoint.actions]
        event_name = event_type = raw_name if raw_name in allowed else None  # type: ignore[assignment]
        if event_type is None:
            problem = "is required" if raw_name is None else f"got {raw_name!r}"
            item.fail("action", f"must be one of {', '.join(allowed)} ({problem})")
    raw_user, raw_anonymous = get("user_id"), get("anonymous_id")
    if raw_user is None and raw_anonymous is None:
        item.fail("user_id", "user_id or anonymous_id is required")
    user_id = raw_user if _plain_text(raw_user) else _text(item, raw_user, "user_id")
    anonymous_id = (
        raw_anonymous if _plain_text(raw_anonymous) else _text(item, raw_anonymous, "anonymous_id")
    )
    value = get("sent_at")
    sent_at = batch_sent_at if value is None else _timestamp(item, value, "sent_at")
    client_time = _timestamp(item, get("timestamp"), "timestamp")
    occurred_at = _occurred(item, clock, client_time, sent_at, "timestamp")
    writer_id, story_id, chapter_id = get("writer_id"), get("story_id"), get("chapter_id")
    if writer_id is not None and not (type(writer_id) is int and 0 < writer_id <= MAX_ID):
        writer_id = _identifier(item, writer_id, "writer_id")
    if story_id is not None and not (type(story_id) is int and 0 < story_id <= MAX_ID):
        story_id = _identifier(item, story_id, "story_id")
    if chapter_id is not None and not (type(chapter_id) is int and 0 < chapter_id <= MAX_ID):
        chapter_id = _identifier(item, chapter_id, "chapter_id")
    value = get("progress_pct")
    progress_pct = (
        value
        if value is None or (type(value) is int and 0 <= value <= 100)
        else _number(item, value, "progress_pct", 100)
    )
    value = get("read_seconds")
    read_seconds = (
        value
        if value is None or (type(value) is int and 0 <= value <= MAX_READ_SECONDS)
        else _number(item, value, "read_seconds", MAX_READ_SECONDS)
    )
    currency = revenue_minor = trait_columns = traits = None
    raw_currency, raw_minor, amount = get("currency"), get("revenue_minor"), get("amount")
    if raw_currency is not None or raw_minor is not None or amount is not None:
        currency = _currency(item, raw_currency, "currency")
        revenue_minor = _minor_units(item, raw_minor, "revenue_minor")
        if amount is not None:
            if raw_minor is not None:
                item.fail("amount", "give either amount or revenue_minor, not both")
            elif currency is not None:
                revenue_minor = _major_to_minor(item, amount, "amount", currency)
        if raw_currency is None:
            item.fail("currency", "is required with revenue_minor or amount")
    value = get("traits")
    if value is not None:
        traits = _object(item, value, "traits")
        trait_columns = _trait_columns(item, traits, "traits") if traits else None
    value = get("properties")
    properties = value if value is None else _object(item, value, "properties")
    value = get("context")
    context = value if value is None else _object(item, value, "context")
    if item.errors:
        return None
    row = {
        "source": source,
        "message_id": message_id,
        "event_type": event_type,
        "event_name": event_name,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "reader_id": None,
        "writer_id": writer_id,
        "story_id": story_id,
        "chapter_id": chapter_id,
        "occurred_at": occurred_at,
        "received_at": clock.received_at,
        "read_seconds": read_seconds,
        "progress_pct": progress_pct,
        "revenue_minor": revenue_minor,
        "currency": currency,
        "properties": properties,
        "context": context,
    }
    if event_type in _REQUIRED_BY_TYPE or event_type == EventType.EXPERIMENT_EXPOSURE:
        _require(item, row, _NATIVE_NAMES)
        if item.errors:
            return None
    return Accepted(index, row, (trait_columns or {}, traits) if traits else None)


# --------------------------------------------------------------------------- Segment


def _first(properties: Mapping[str, Any], names: tuple[str, ...]) -> tuple[Any, str]:
    for name in names:
        value = properties.get(name)
        if value is not None:
            return value, name
    return None, names[0]


def _segment_columns(
    item: _Item, properties: dict[str, Any] | None, event_type: str
) -> dict[str, Any]:
    """Canonical columns read from a track event's ``properties`` (segment.PROPERTY_ALIASES);
    the stored properties lose the keys that were read."""
    columns: dict[str, Any] = {"properties": properties}
    if not properties:
        return columns
    aliases = segment.PROPERTY_ALIASES
    if not segment.MAPPED_PROPERTY_KEYS.isdisjoint(properties):
        for column in ("writer_id", "story_id", "chapter_id"):
            value, key = _first(properties, aliases[column])
            columns[column] = _identifier(item, value, f"properties.{key}", digits=True)
        value, key = _first(properties, aliases["progress_pct"])
        columns["progress_pct"] = _number(item, value, f"properties.{key}", 100, strings=True)
        value, key = _first(properties, aliases["read_seconds"])
        columns["read_seconds"] = _number(
            item, value, f"properties.{key}", MAX_READ_SECONDS, strings=True
        )
        minor, minor_key = _first(properties, aliases["revenue_minor"])
        major = properties.get("revenue")
        raw_currency = properties.get("currency")
        currency = _currency(item, raw_currency, "properties.currency")
        if minor is not None or major is not None:
            currency = currency or (None if raw_currency is not None else segment.DEFAULT_CURRENCY)
            if minor is not None and major is not None:
                item.fail("properties.revenue", f"give either revenue or {minor_key}, not both")
            elif minor is not None:
                columns["revenue_minor"] = _minor_units(
                    item, minor, f"properties.{minor_key}", digits=True
                )
            elif currency is not None:
                columns["revenue_minor"] = _major_to_minor(
                    item, major, "properties.revenue", currency
                )
        columns["currency"] = currency
        columns["properties"] = {
            key: value
            for key, value in properties.items()
            if key not in segment.MAPPED_PROPERTY_KEYS
        }
    if event_type == EventType.EXPERIMENT_EXPOSURE:
        stored = dict(columns["properties"])
        for canonical, names in segment.EXPERIMENT_ALIASES.items():
            value, _ = _first(properties, names)
            if value is not None:
                stored[canonical] = str(value)
        columns["properties"] = stored
    return columns


def _segment_item(
    item: _Item,
    data: Any,
    index: int,
    call: str | None,
    clock: Clock,
    source: str,
    batch_sent_at: datetime | None,
    batch_context: dict[str, Any] | None,
) -> Accepted | None:
    if type(data) is not dict:
        item.fail("", f"must be a message object, not {_kind(data)}")
        return None
    get = data.get
    if call is None:
        call = get("type")
        if call not in segment.CALL_TYPES:
            shown = "is required" if call is None else f"got {call!r}"
            item.fail("type", f"must be one of {', '.join(segment.CALL_TYPES)} ({shown})")
            return None
    message_id = _text(item, get("messageId"), "messageId", required=True)
    user_id = _text(item, get("userId"), "userId", numbers=True)
    anonymous_id = _text(item, get("anonymousId"), "anonymousId", numbers=True)
    if get("userId") is None and get("anonymousId") is None:
        item.fail("userId", "userId or anonymousId is required")
    sent_at = _timestamp(item, get("sentAt"), "sentAt") or batch_sent_at
    time_field = "originalTimestamp" if get("originalTimestamp") is not None else "timestamp"
    client_time = _timestamp(item, get(time_field), time_field)
    occurred_at = _occurred(item, clock, client_time, sent_at, time_field)
    context = _object(item, get("context"), "context")
    if batch_context:
        context = {**batch_context, **(context or {})}
    traits_result: tuple[dict[str, Any], dict[str, Any]] | None = None
    link: tuple[str, str] | None = None
    columns: dict[str, Any]
    if call == "track":
        event_name = _text(item, get("event"), "event", required=True)
        event_type = segment.canonical_type(event_name).value if event_name else "custom"
        properties = _object(item, get("properties"), "properties")
        columns = _segment_columns(item, properties, event_type)
    elif call in ("page", "screen"):
        event_type = EventType.PAGE_VIEW.value
        name = _text(item, get("name"), "name")
        event_name = name or call
        properties = _object(item, get("properties"), "properties")
        category = get("category")
        extra = {"call": call, **({"category": category} if category is not None else {})}
        columns = {"properties": {**(properties or {}), **extra}}
    else:
        event_type, event_name = EventType.CUSTOM.value, call
        traits = _object(item, get("traits"), "traits")
        stored: dict[str, Any] = {}
        if call == "identify":
            stored["traits"] = traits or {}
            if traits:
                traits_result = (_trait_columns(item, traits, "traits"), traits)
        elif call == "group":
            group_id = _text(item, get("groupId"), "groupId", required=True, numbers=True)
            stored.update(group_id=group_id, traits=traits or {})
        else:  # alias
            previous = _text(item, get("previousId"), "previousId", required=True, numbers=True)
            if user_id is None and get("userId") is None:
                item.fail("userId", "is required for alias")
            stored["previous_id"] = previous
            if previous is not None and user_id is not None:
                link = (user_id, previous)
        columns = {"properties": stored}
    if item.errors:
        return None
    row = _row(
        source,
        clock.received_at,
        message_id=message_id,
        event_type=event_type,
        event_name=event_name,
        user_id=user_id,
        anonymous_id=anonymous_id,
        occurred_at=occurred_at,
        context=context,
        **columns,
    )
    _require(item, row, _SEGMENT_NAMES)
    if item.errors:
        return None
    return Accepted(index, row, traits_result, link)


# --------------------------------------------------------------------------- documents

ItemParser = Callable[[_Item, Any, int], Accepted | None]


def _single(document: Any, parse: ItemParser) -> Parsed:
    item = _Item()
    accepted = parse(item, document, 0)
    if accepted is None:
        raise IngestError(
            400,
            "invalid_event",
            "The event is invalid: " + "; ".join(f"{e.field} {e.message}" for e in item.errors),
            errors=item.errors,
        )
    return Parsed([accepted], [])


def _item_size(data: Any) -> int:
    """Bytes of ``data`` as compact UTF-8 JSON (how the per-event limit is measured)."""
    try:
        return len(orjson.dumps(data))
    except TypeError:  # an integer beyond 64 bits (parsed exactly by the fallback parser)
        return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _batch(
    document: Any,
    body_size: int,
    parse: ItemParser,
    *,
    message_id_key: str,
) -> Parsed:
    if type(document) is not dict:
        raise IngestError(
            400,
            "invalid_body",
            f'The body must be a JSON object with a "batch" array, not {_kind(document)}.',
            errors=[FieldError("body", "must be an object")],
        )
    batch = document.get("batch")
    if type(batch) is not list or not batch:
        problem = (
            "is required" if batch is None else f"must be a non-empty array, not {_kind(batch)}"
        )
        if type(batch) is list:
            problem = "must contain at least one event"
        raise IngestError(
            400, "invalid_body", f"batch {problem}.", errors=[FieldError("batch", problem)]
        )
    if len(batch) > MAX_BATCH_EVENTS:
        raise IngestError(
            400,
            "too_many_events",
            f"The batch has {len(batch):,} events; the limit is {MAX_BATCH_EVENTS:,} events "
            "per request. Split it into smaller batches.",
        )
    measure = body_size > MAX_EVENT_BYTES
    parsed = Parsed()
    for index, data in enumerate(batch):
        _batch_item(parsed, data, index, measure, parse, message_id_key)
    return parsed


def _batch_item(
    parsed: Parsed, data: Any, index: int, measure: bool, parse: ItemParser, message_id_key: str
) -> None:
    """Validate batch item ``index`` and add it to ``parsed`` as accepted or rejected
    (``measure``: check the per-event byte limit)."""
    item = _Item(index)
    if measure and (size := _item_size(data)) > MAX_EVENT_BYTES:
        item.fail(
            "",
            f"is {size:,} bytes; the limit is {describe_bytes(MAX_EVENT_BYTES)} per event",
        )
        accepted = None
    else:
        accepted = parse(item, data, index)
    if accepted is not None:
        parsed.accepted.append(accepted)
    else:
        message_id = data.get(message_id_key) if type(data) is dict else None
        parsed.rejected.append(
            Rejected(index, message_id if type(message_id) is str else None, item.errors)
        )


def parse_native_event(
    document: Any, endpoint: NativeEndpoint, clock: Clock, source: str
) -> Parsed:
    """One native event (``/api/v1/events/track`` and the typed endpoints).

    Raises :class:`IngestError` 400 ``invalid_event`` with every field error."""
    return _single(
        document,
        lambda item, data, index: _native_item(item, data, index, endpoint, clock, source, None),
    )


def parse_native_batch(document: Any, body_size: int, clock: Clock, source: str) -> Parsed:
    """A native batch ``{"batch": [...], "sent_at"?}`` (``/api/v1/events/track-batch``).

    Raises :class:`IngestError` for a malformed envelope or too many events; invalid
    items are returned in ``Parsed.rejected``."""
    sent_at = None
    if type(document) is dict:
        unknown = set(document) - {"batch", "sent_at", "writeKey"}
        envelope = _Item()
        for name in sorted(unknown):
            envelope.fail(name, "is not a field of this endpoint (see /api/openapi.json)")
        sent_at = _timestamp(envelope, document.get("sent_at"), "sent_at")
        if envelope.errors:
            raise IngestError(
                400, "invalid_body", "The batch envelope is invalid.", errors=envelope.errors
            )
    return _batch(
        document,
        body_size,
        lambda item, data, index: _native_item(item, data, index, TRACK, clock, source, sent_at),
        message_id_key="message_id",
    )


# --------------------------------------------------------------------------- native batch, fast
#
# A typed decode (msgspec, in C) checks a native batch's JSON syntax, its field names and
# every field's type in one pass; Python then applies the remaining rules per item. An
# item these rules do not plainly accept (revenue or trait fields, a float, text or a time
# to look at closely, deep objects, a size near the limit) goes through the full
# validator (``_native_item`` via ``_batch_item``) on the JSON-parsed item, so the result
# equals :func:`parse_native_batch` on the same body. Anything the typed decode refuses
# (bad syntax, a wrong type or an unknown field anywhere) makes :func:`parse_native_batch_body`
# return ``None``: the caller then parses and validates fully, which names every error.


class _FastItem(msgspec.Struct, forbid_unknown_fields=True):
    message_id: str
    event: str
    user_id: str | None = None
    anonymous_id: str | None = None
    timestamp: str | None = None
    sent_at: str | None = None
    writer_id: int | None = None
    story_id: int | None = None
    chapter_id: int | None = None
    progress_pct: int | float | None = None
    read_seconds: int | float | None = None
    revenue_minor: Any = None
    amount: Any = None
    currency: Any = None
    traits: Any = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    writeKey: Any = None  # noqa: N815  (the Segment convention's name)


class _FastBatch(msgspec.Struct, forbid_unknown_fields=True):
    batch: list[_FastItem]
    sent_at: str | None = None
    writeKey: Any = None  # noqa: N815


_FAST_DECODER = msgspec.json.Decoder(_FastBatch)
_FAST_ENCODER = msgspec.json.Encoder()
#: Re-encoded items at most this large are certainly within MAX_EVENT_BYTES as sent (the
#: re-encoding names every field, so it is never much smaller than the original).
_FAST_SIZE_BOUND = MAX_EVENT_BYTES // 2


def _fast_row(
    event: _FastItem, scratch: _Item, clock: Clock, source: str, batch_sent_at: datetime | None
) -> dict[str, Any] | None:
    """The ``events`` row of ``event`` when the fast rules accept it, else ``None``."""
    if (
        event.revenue_minor is not None
        or event.amount is not None
        or event.currency is not None
        or event.traits is not None
    ):
        return None
    message_id, event_name = event.message_id, event.event
    user_id, anonymous_id = event.user_id, event.anonymous_id
    if not (_plain_text(message_id) and _plain_text(event_name)):
        return None
    if user_id is None:
        if anonymous_id is None or not _plain_text(anonymous_id):
            return None
    elif not _plain_text(user_id) or (anonymous_id is not None and not _plain_text(anonymous_id)):
        return None
    writer_id, story_id, chapter_id = event.writer_id, event.story_id, event.chapter_id
    if (
        (writer_id is not None and not 0 < writer_id <= MAX_ID)
        or (story_id is not None and not 0 < story_id <= MAX_ID)
        or (chapter_id is not None and not 0 < chapter_id <= MAX_ID)
    ):
        return None
    progress_pct, read_seconds = event.progress_pct, event.read_seconds
    if progress_pct is not None and not (type(progress_pct) is int and 0 <= progress_pct <= 100):
        return None
    if read_seconds is not None and not (
        type(read_seconds) is int and 0 <= read_seconds <= MAX_READ_SECONDS
    ):
        return None
    properties, context = event.properties, event.context
    if (properties and not _within(properties, MAX_NESTING - 1)) or (
        context and not _within(context, MAX_NESTING - 1)
    ):
        return None
    sent_at = batch_sent_at
    if event.sent_at is not None:
        sent_at = _timestamp(scratch, event.sent_at, "sent_at")
    client_time = _timestamp(scratch, event.timestamp, "timestamp")
    occurred_at = _occurred(scratch, clock, client_time, sent_at, "timestamp")
    if scratch.errors:
        return None
    event_type = event_name if event_name in CANONICAL_TYPES else EventType.CUSTOM.value
    row = {
        "source": source,
        "message_id": message_id,
        "event_type": event_type,
        "event_name": event_name,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "reader_id": None,
        "writer_id": writer_id,
        "story_id": story_id,
        "chapter_id": chapter_id,
        "occurred_at": occurred_at,
        "received_at": clock.received_at,
        "read_seconds": read_seconds,
        "progress_pct": progress_pct,
        "revenue_minor": None,
        "currency": None,
        "properties": properties,
        "context": context,
    }
    if event_type in _REQUIRED_BY_TYPE or event_type == EventType.EXPERIMENT_EXPOSURE:
        _require(scratch, row, _NATIVE_NAMES)
        if scratch.errors:
            return None
    return row


def parse_native_batch_body(
    body: bytes, clock: Clock, source: str, parse_document: Callable[[bytes], Any]
) -> Parsed | None:
    """:func:`parse_native_batch` of the JSON ``body`` (decompressed), faster; ``None``
    when the body needs the full parse (see the section comment), which the caller then
    does with ``parse_document(body)`` and :func:`parse_native_batch`. Items the fast rules
    do not accept are validated by the full validator on ``parse_document(body)``."""
    try:
        document = _FAST_DECODER.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError, ValueError):
        return None
    events = document.batch
    if not events or len(events) > MAX_BATCH_EVENTS:
        return None
    envelope = _Item()
    batch_sent_at = _timestamp(envelope, document.sent_at, "sent_at")
    if envelope.errors:
        return None
    measure = len(body) > MAX_EVENT_BYTES
    parsed = Parsed()
    parsed_items: list[Any] | None = None
    scratch = _Item()
    for index, event in enumerate(events):
        row = _fast_row(event, scratch, clock, source, batch_sent_at)
        if row is not None and (
            not measure or len(_FAST_ENCODER.encode(event)) <= _FAST_SIZE_BOUND
        ):
            parsed.accepted.append(Accepted(index, row))
            continue
        scratch.errors.clear()
        if parsed_items is None:
            parsed_items = parse_document(body)["batch"]
        _batch_item(
            parsed,
            parsed_items[index],
            index,
            measure,
            lambda item, data, i: _native_item(item, data, i, TRACK, clock, source, batch_sent_at),
            "message_id",
        )
    return parsed


def parse_segment_message(document: Any, call: str, clock: Clock, source: str) -> Parsed:
    """One Segment message posted to ``/v1/<call>`` (the call type comes from the path).

    Raises :class:`IngestError` 400 ``invalid_event`` with every field error."""
    return _single(
        document,
        lambda item, data, index: _segment_item(item, data, index, call, clock, source, None, None),
    )


def parse_segment_batch(document: Any, body_size: int, clock: Clock, source: str) -> Parsed:
    """A Segment batch ``{"batch": [...], "sentAt"?, "context"?}`` (``/v1/batch``,
    ``/v1/import``); each item names its call in ``type``. Batch-level ``sentAt`` applies
    to items without their own; batch-level ``context`` is merged under each item's."""
    sent_at = context = None
    if type(document) is dict:
        envelope = _Item()
        sent_at = _timestamp(envelope, document.get("sentAt"), "sentAt")
        context = _object(envelope, document.get("context"), "context")
        if envelope.errors:
            raise IngestError(
                400, "invalid_body", "The batch envelope is invalid.", errors=envelope.errors
            )
    return _batch(
        document,
        body_size,
        lambda item, data, index: _segment_item(
            item, data, index, None, clock, source, sent_at, context
        ),
        message_id_key="messageId",
    )
