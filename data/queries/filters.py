"""Typed filters shared by every query: the period and the scope.

``Period`` is an inclusive range of UTC days; ``previous()`` is the period of the same
length that ends the day before it starts. ``Scope`` is one writer or (``writer_id=None``)
the whole platform; who may ask for which scope is decided by the caller from the
logged-in account, never from a browser-supplied value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MAX_PERIOD_DAYS = 3660


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
