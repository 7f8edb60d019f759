"""Release cadence and hiatus detection (definitions: docs/metrics.md).

A story's usual cadence is the median gap between consecutive chapter releases. A
*hiatus* is a gap at least ``HIATUS_FACTOR`` times that long and at least
``MIN_HIATUS_DAYS`` days; an ongoing hiatus is the time since the last release when it
already qualifies at ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

HIATUS_FACTOR = 3.0
MIN_HIATUS_DAYS = 14
#: Releases needed before a cadence is known (two gaps).
MIN_RELEASES = 3


@dataclass(frozen=True)
class Hiatus:
    """A gap in releases: from the last release before it to the next release (``end``
    is ``None`` when the story is still on hiatus at ``as_of``)."""

    start: datetime
    end: datetime | None
    days: float
    usual_days: float


def usual_cadence_days(releases: Sequence[datetime]) -> float | None:
    """Median days between consecutive releases, or ``None`` with fewer than 3 releases."""
    ordered = sorted(releases)
    if len(ordered) < MIN_RELEASES:
        return None
    return float(median((b - a).total_seconds() / 86400 for a, b in pairwise(ordered)))


def detect_hiatuses(releases: Sequence[datetime], as_of: datetime | None = None) -> list[Hiatus]:
    """Gaps longer than ``max(3 × usual cadence, 14 days)`` between releases, in time
    order, plus the open gap from the last release to ``as_of`` when it qualifies.
    Stories with fewer than 3 releases have no usual cadence and so no hiatus."""
    ordered = sorted(releases)
    usual = usual_cadence_days(ordered)
    if usual is None:
        return []
    threshold = max(HIATUS_FACTOR * usual, float(MIN_HIATUS_DAYS))
    found = [
        Hiatus(a, b, (b - a).total_seconds() / 86400, usual)
        for a, b in pairwise(ordered)
        if (b - a) >= timedelta(days=threshold)
    ]
    if as_of is not None and as_of - ordered[-1] >= timedelta(days=threshold):
        found.append(
            Hiatus(ordered[-1], None, (as_of - ordered[-1]).total_seconds() / 86400, usual)
        )
    return found
