"""Typed filters shared by every query: the period, the scope and the reader segment.

``Period`` is an inclusive range of UTC days; ``previous()`` is the period of the same
length that ends the day before it starts. ``Scope`` is one writer or (``writer_id=None``)
the whole platform; who may ask for which scope is decided by the caller from the
logged-in account, never from a browser-supplied value. ``Segment`` narrows reader-level
metrics to readers with given traits (country, device, age band, acquisition source); it
can only narrow, never widen, what a scope sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta

from data.models.readers import ACQUISITION_SOURCES, AGE_BANDS, DEVICES

MAX_PERIOD_DAYS = 3660
#: The days a caller may name in a filter (the ingest accepts events from 2000-01-01 on).
#: ``Period`` itself does not enforce them, so ``previous()`` of an early period still works;
#: request layers check user input against them.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2999, 12, 31)


class FilterError(ValueError):
    """A filter value is invalid; the message names the field."""


@dataclass(frozen=True)
class Period:
    """Inclusive day range ``start``..``end``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise FilterError(f"start ({self.start}) is after end ({self.end})")
        if self.days > MAX_PERIOD_DAYS:
            raise FilterError(f"a period may span at most {MAX_PERIOD_DAYS} days")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The equally long period just before this one."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]

    @classmethod
    def last_days(cls, days: int, today: date) -> Period:
        """The ``days`` days ending with ``today``."""
        if days < 1:
            raise FilterError("a period needs at least one day")
        return cls(today - timedelta(days=days - 1), today)


@dataclass(frozen=True)
class Scope:
    """One writer's data, or the platform's when ``writer_id`` is ``None``."""

    writer_id: int | None = None

    @property
    def is_platform(self) -> bool:
        return self.writer_id is None


#: The reader traits a ``Segment`` filters on, in order.
SEGMENT_FIELDS = ("country", "device", "age_band", "acquisition_source")
#: The value that matches readers without the trait (as breakdowns label them).
UNKNOWN_TRAIT = "unknown"
#: Accepted values per trait (``country``: any ISO 3166 alpha-2 code, checked by pattern).
SEGMENT_VOCABULARY: dict[str, tuple[str, ...]] = {
    "device": DEVICES,
    "age_band": AGE_BANDS,
    "acquisition_source": ACQUISITION_SOURCES,
}
MAX_SEGMENT_VALUES = 250
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _segment_values(name: str, raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """``raw`` (one value, several, or ``None``) validated and normalised: a sorted tuple
    without repeats, countries upper-case. Raises ``FilterError`` naming ``name``."""
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else list(raw)
    if len(values) > MAX_SEGMENT_VALUES:
        raise FilterError(f"{name} accepts at most {MAX_SEGMENT_VALUES} values")
    cleaned = set()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise FilterError(f"{name} values must be non-empty strings")
        value = value.strip()
        if value.lower() == UNKNOWN_TRAIT:
            cleaned.add(UNKNOWN_TRAIT)
        elif name == "country":
            if not _COUNTRY.match(value.upper()):
                raise FilterError(
                    f"country must be two-letter ISO 3166 codes such as DE (or "
                    f"'{UNKNOWN_TRAIT}'), not {value!r}"
                )
            cleaned.add(value.upper())
        elif value in SEGMENT_VOCABULARY[name]:
            cleaned.add(value)
        else:
            allowed = ", ".join((*SEGMENT_VOCABULARY[name], UNKNOWN_TRAIT))
            raise FilterError(f"{name} must be one of {allowed}, not {value!r}")
    return tuple(sorted(cleaned))


@dataclass(frozen=True)
class Segment:
    """Readers whose traits match. Each field lists accepted values (a reader matches
    when their trait is any of them; ``"unknown"`` matches readers without the trait);
    an empty field sets no condition, and the fields combine with AND. The default
    ``Segment()`` is every reader.

    Fields may be given as one string or any iterable of strings; they are stored as
    sorted tuples without repeats (countries upper-cased), so equal segments compare
    equal. Raises ``FilterError`` naming the field for a value outside the vocabulary
    (``SEGMENT_VOCABULARY``; countries: two letters) or more than ``MAX_SEGMENT_VALUES``
    values."""

    country: tuple[str, ...] = ()
    device: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    acquisition_source: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for item in fields(self):
            object.__setattr__(
                self, item.name, _segment_values(item.name, getattr(self, item.name))
            )

    @property
    def is_everyone(self) -> bool:
        """True when no field sets a condition."""
        return not any(getattr(self, name) for name in SEGMENT_FIELDS)

    def conditions(self) -> dict[str, tuple[str, ...]]:
        """The fields that set a condition, by name (in ``SEGMENT_FIELDS`` order)."""
        return {name: getattr(self, name) for name in SEGMENT_FIELDS if getattr(self, name)}
