"""Deterministic synthetic platform: writers, stories, chapters, readers and raw events.

The demo is what dashboards, forecasts and recommendations run on before real data
arrives, so it carries the patterns they look for:

- weekly seasonality (weekends busier) and per-story growth or decline;
- release schedules (weekly, twice or three times a week, weekdays) with spikes of
  release-day readers; binge readers who catch up many chapters in one sitting;
- chapter-to-chapter retention decay, and a few stories with a sharp drop-off cliff at
  one chapter; multi-week hiatuses (ongoing ones leave the story in status ``hiatus``);
- a paywall from chapter N of most stories: readers who continue mostly unlock each paid
  chapter (``chapter_unlock`` with revenue), the rest subscribe to the writer;
- tips, likes, comments, shares, follows, signups, logins, story and page views;
- readers with countries, devices, age bands, acquisition sources and signup dates.

Everything is drawn from one seeded :class:`numpy.random.Generator` (split per part by
``SeedSequence.spawn``) and vectorised: the same ``seed``, ``scale``, ``days`` and
``end`` give identical rows. Events cover the ``days`` whole UTC days before ``end``
(exclusive), so the newest day is complete; a burn-in period before the window is
simulated and discarded so the window starts in a steady state.

Public API: :func:`build_demo_platform` (in memory), :func:`generate_demo_platform`
(build, bulk insert, roll up), :func:`create_demo_accounts`, :func:`demo_platform_present`.
"""

from __future__ import annotations

import gc
import time as _time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from data.db import sync_id_sequence
from data.models import (
    ACQUISITION_SOURCES,
    AGE_BANDS,
    DEVICES,
    Chapter,
    Event,
    EventType,
    Reader,
    Story,
    User,
    Writer,
)
from data.writes import insert_events, rebuild_rollups, set_rollup_watermark

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_SOURCE",
    "DemoAlreadyPresentError",
    "DemoEvents",
    "DemoPlatform",
    "DemoSize",
    "DemoSummary",
    "build_demo_platform",
    "create_demo_accounts",
    "demo_platform_present",
    "generate_demo_platform",
]

DEMO_SOURCE = "demo"
REPORTING_CURRENCY = "USD"
SUBSCRIPTION_PRICE_MINOR = 499

#: (email, password, role, writer_id) of the local demo logins. Demo-only secrets.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, int | None], ...] = (
    ("admin@legato.demo", "demo-admin-pass", "admin", None),
    ("writer1@legato.demo", "demo-writer-pass", "writer", 1),
    ("writer2@legato.demo", "demo-writer-pass", "writer", 2),
)

_DAY = 86_400
_BURN_IN_DAYS = 180
# Mean days a reader keeps following a story before drifting away, whatever the chapter.
_JOURNEY_LIFETIME_DAYS = 60
_EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)
_CODE = {event_type: code for code, event_type in enumerate(_EVENT_TYPES)}
_TYPE_NAMES = np.array([event_type.value for event_type in _EVENT_TYPES], dtype=object)

# Platform traffic growth per 180 days (log scale): about +30% over the default window.
_PLATFORM_GROWTH = 0.25
# Discovery by weekday (Monday first): weekends are the busiest days.
_WEEKDAY_FACTOR = np.array([0.9, 0.88, 0.9, 0.95, 1.05, 1.32, 1.3])
# Global audience by UTC hour: Americas evening (00-04), Asia (11-15), Europe (18-22).
_HOUR_WEIGHTS = np.array(
    [7, 7, 6, 5, 4, 3, 2, 2, 2, 2, 3, 4, 5, 5, 5, 4, 4, 4, 5, 6, 6, 6, 6, 7], dtype=float
)
_HOUR_P = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()

_COUNTRIES = np.array(
    ["US", "GB", "PH", "IN", "CA", "AU", "DE", "BR", "NG", "ID", "MY", "MX", "FR", "ZA", "KE"]
)
_COUNTRY_P = np.array(
    [0.33, 0.09, 0.12, 0.10, 0.06, 0.04, 0.03, 0.05, 0.05, 0.03, 0.02, 0.02, 0.02, 0.02, 0.02]
)
# Willingness to pay relative to the average reader.
_COUNTRY_PAY = np.array(
    [1.35, 1.25, 0.6, 0.5, 1.25, 1.3, 1.2, 0.6, 0.5, 0.5, 0.7, 0.65, 1.1, 0.7, 0.5]
)
# iOS share by country; the rest is split android 3 : web 1.
_COUNTRY_IOS = np.array(
    [0.55, 0.5, 0.15, 0.08, 0.5, 0.55, 0.35, 0.15, 0.1, 0.1, 0.25, 0.2, 0.35, 0.2, 0.1]
)
_AGE_P = np.array([0.08, 0.30, 0.30, 0.17, 0.10, 0.05])
_ACQUISITION_P = np.array([0.35, 0.15, 0.22, 0.10, 0.13, 0.05])

_GENRES = ("fantasy", "romance", "sci-fi", "mystery", "horror", "thriller", "litrpg", "historical")
_GENRE_P = np.array([0.22, 0.24, 0.11, 0.09, 0.07, 0.09, 0.11, 0.07])

_GENRE_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fantasy": (
        ("Ashen", "Hollow", "Crimson", "Sunken", "Silver", "Shattered", "Wild", "Last"),
        ("Crown", "Throne", "Dragon", "Oath", "Realm", "Blade", "Witch", "Tower", "Ember"),
    ),
    "romance": (
        ("Reckless", "Sweet", "Stolen", "Forbidden", "Second", "Summer", "Secret", "Tender"),
        ("Heart", "Promise", "Vows", "Kiss", "Chance", "Bride", "Affair", "Arrangement"),
    ),
    "sci-fi": (
        ("Quantum", "Orbital", "Silent", "Neon", "Derelict", "Infinite", "Red", "Cold"),
        ("Station", "Protocol", "Signal", "Frontier", "Drift", "Colony", "Horizon", "Core"),
    ),
    "mystery": (
        ("Quiet", "Missing", "Crooked", "Hidden", "Painted", "Locked", "Grey", "Drowned"),
        ("Key", "Ledger", "Witness", "Alibi", "Manor", "Letter", "Harbour", "Clue"),
    ),
    "horror": (
        ("Hungry", "Rotten", "Pale", "Endless", "Whispering", "Buried", "Black", "Hollow"),
        ("House", "Woods", "Smile", "Choir", "Cellar", "Static", "Teeth", "Lantern"),
    ),
    "thriller": (
        ("Deadly", "Burned", "Clean", "Final", "Broken", "Hunted", "Dark", "Zero"),
        ("Target", "Contract", "Exit", "Asset", "Hour", "Trace", "Cipher", "Verdict"),
    ),
    "litrpg": (
        ("Solo", "Infinite", "Hidden", "Legendary", "Dungeon", "Rogue", "Awakened", "Unbound"),
        ("Leveler", "Class", "Quest", "Raid", "System", "Floor", "Summoner", "Tamer"),
    ),
    "historical": (
        ("Gilded", "Imperial", "Northern", "Winter", "Copper", "Rebel", "Royal", "Velvet"),
        ("Court", "Empire", "Dynasty", "Harvest", "Rebellion", "Legacy", "Garden", "Road"),
    ),
}
_PLACES = (
    "Ashfall", "Veyra", "the North", "Saltmere", "Ironhold", "Lowmarsh", "the Abyss",
    "Brightwater", "Kestrel Bay", "the Old City", "Emberfall", "the Ninth Ring",
)  # fmt: skip
_CHAPTER_NOUNS = (
    "Storm", "Door", "Bargain", "Ghost", "Letter", "Fire", "River", "Mask", "Debt", "Choice",
    "Silence", "Crossing", "Feast", "Ruin", "Hunt", "Return", "Truth", "Wound", "Gate", "Map",
    "Stranger", "Night", "Fall", "Promise", "Lie", "Mirror", "Bell", "Harvest", "Tide", "Key",
)  # fmt: skip
_CHAPTER_ADJECTIVES = (
    "Broken", "First", "Long", "Burning", "Quiet", "Hidden", "Last", "Crimson", "Cold", "Empty",
    "Golden", "Sudden", "Bitter", "Dark", "Open", "Lost", "Second", "Iron", "Pale", "True",
)  # fmt: skip
_FIRST_NAMES = (
    "Mara", "Eli", "Sana", "Theo", "Ines", "Jonah", "Priya", "Caleb", "Nadia", "Oscar", "Lena",
    "Rafael", "Amara", "Felix", "Yuki", "Dario", "Chloe", "Kofi", "Esme", "Tobias", "Ada",
    "Hugo", "Leila", "Marcus",
)  # fmt: skip
_LAST_NAMES = (
    "Quill", "Hart", "Vale", "Ashby", "Reyes", "Okafor", "Lindqvist", "Moreau", "Sato", "Blake",
    "Castillo", "Wren", "Darrow", "Iyer", "Fenwick", "Novak", "Adeyemi", "Holt", "Marsh", "Kerr",
)  # fmt: skip
_WRITER_COUNTRIES = np.array(["US", "GB", "PH", "CA", "AU", "IN", "NG", "DE"])
_WRITER_COUNTRY_P = np.array([0.4, 0.15, 0.12, 0.08, 0.07, 0.08, 0.05, 0.05])

# Release weekdays of each cadence relative to a story's first weekday (Monday = 0),
# and how often a story uses it: weekly, twice, three times and five times a week.
_CADENCES = ((0,), (0, 3), (0, 2, 4), (0, 1, 2, 3, 4))
_CADENCE_P = np.array([0.35, 0.30, 0.25, 0.10])


class DemoAlreadyPresentError(RuntimeError):
    """The target database already holds demo data or catalog rows with demo ids."""


@dataclass(frozen=True)
class DemoSize:
    """How big the demo platform is.

    Catalog sizes (writers, stories, chapters) are fixed; ``readers`` and
    ``journeys_per_day`` (new reader-story journeys per day, which drive the event volume)
    grow with :meth:`scaled`. The defaults give about 1.1 million events over 180 days.
    """

    writers: int = 20
    stories: int = 120
    chapters: int = 2_500
    readers: int = 50_000
    days: int = 180
    journeys_per_day: float = 155.0

    def scaled(self, scale: float) -> DemoSize:
        """A copy with readers and journeys multiplied by ``scale`` (> 0)."""
        if scale <= 0:
            raise ValueError("scale must be positive")
        return replace(
            self,
            readers=max(round(self.readers * scale), 10),
            journeys_per_day=self.journeys_per_day * scale,
        )


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo_platform` wrote and how long it took.

    ``seconds`` covers generation plus bulk insert (``events_per_second`` is
    ``events / seconds``); the rollup rebuild is timed separately in
    ``rollup_seconds``. ``start`` is the first day with events, ``end`` the exclusive end.
    """

    writers: int
    stories: int
    chapters: int
    readers: int
    events: int
    seconds: float
    events_per_second: float
    generate_seconds: float
    insert_seconds: float
    rollup_rows: int
    rollup_seconds: float
    start: date
    end: date


@dataclass
class DemoEvents:
    """Events as parallel numpy columns sorted by time; ``-1`` stands for NULL.

    ``seconds`` are whole seconds since ``epoch`` (naive UTC); ``type_code`` indexes
    ``tuple(EventType)``; ids are int64; ``revenue_minor`` is in USD cents.
    """

    epoch: datetime
    seconds: np.ndarray
    type_code: np.ndarray
    reader_id: np.ndarray
    writer_id: np.ndarray
    story_id: np.ndarray
    chapter_id: np.ndarray
    read_seconds: np.ndarray
    progress_pct: np.ndarray
    revenue_minor: np.ndarray

    def __len__(self) -> int:
        return int(self.seconds.size)

    def frame(self) -> pd.DataFrame:
        """The events as a DataFrame (nullable integer columns, ``occurred_at``)."""
        columns: dict[str, Any] = {
            "occurred_at": pd.Timestamp(self.epoch) + pd.to_timedelta(self.seconds, unit="s"),
            "event_type": _TYPE_NAMES[self.type_code].astype(str),
        }
        for name in (
            "reader_id",
            "writer_id",
            "story_id",
            "chapter_id",
            "read_seconds",
            "progress_pct",
            "revenue_minor",
        ):
            values = getattr(self, name)
            columns[name] = pd.array(np.where(values < 0, 0, values), dtype="Int64")
            columns[name][values < 0] = pd.NA
        return pd.DataFrame(columns)

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Event rows ``start:stop`` as dicts for :func:`data.writes.insert_events`."""
        when = (np.datetime64(self.epoch, "s") + self.seconds[start:stop]).astype("datetime64[us]")
        occurred = when.astype(object).tolist()
        names = _TYPE_NAMES[self.type_code[start:stop]].tolist()
        revenue = self.revenue_minor[start:stop]
        currency = np.where(revenue >= 0, REPORTING_CURRENCY, None).tolist()
        reader = self.reader_id[start:stop]
        user = [None if r < 0 else f"u{r}" for r in reader.tolist()]
        message = [f"{DEMO_SOURCE}-{i:010d}" for i in range(start, stop)]
        columns = {
            "source": [DEMO_SOURCE] * (stop - start),
            "message_id": message,
            "event_type": names,
            "event_name": names,
            "user_id": user,
            "reader_id": _nullable(reader),
            "writer_id": _nullable(self.writer_id[start:stop]),
            "story_id": _nullable(self.story_id[start:stop]),
            "chapter_id": _nullable(self.chapter_id[start:stop]),
            "occurred_at": occurred,
            "received_at": occurred,
            "read_seconds": _nullable(self.read_seconds[start:stop]),
            "progress_pct": _nullable(self.progress_pct[start:stop]),
            "revenue_minor": _nullable(revenue),
            "currency": currency,
        }
        keys = list(columns)
        return [
            dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]


@dataclass
class DemoPlatform:
    """The whole demo platform in memory (catalog as DataFrames, events as columns)."""

    writers: pd.DataFrame
    stories: pd.DataFrame
    chapters: pd.DataFrame
    readers: pd.DataFrame
    events: DemoEvents
    start: date
    end: date


def _nullable(values: np.ndarray) -> list[Any]:
    """Python ints with ``None`` for negative sentinels."""
    out = values.astype(object)
    out[values < 0] = None
    return out.tolist()


# --------------------------------------------------------------------------- catalog


def _unique_names(rng: np.random.Generator, make: Any, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = make(rng)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _story_title(rng: np.random.Generator, genre: str) -> str:
    adjectives, nouns = _GENRE_WORDS[genre]
    adjective = adjectives[rng.integers(len(adjectives))]
    noun = nouns[rng.integers(len(nouns))]
    place = _PLACES[rng.integers(len(_PLACES))]
    form = rng.integers(5)
    if form == 0:
        return f"The {adjective} {noun}"
    if form == 1:
        return f"{noun} of {place}"
    if form == 2:
        return f"The {noun} of {place}"
    if form == 3:
        return f"{adjective} {noun}s"
    return f"A {adjective} {noun} in {place}"


def _chapter_title(rng: np.random.Generator, number: int) -> str:
    noun = _CHAPTER_NOUNS[rng.integers(len(_CHAPTER_NOUNS))]
    other = _CHAPTER_NOUNS[rng.integers(len(_CHAPTER_NOUNS))]
    adjective = _CHAPTER_ADJECTIVES[rng.integers(len(_CHAPTER_ADJECTIVES))]
    form = rng.integers(4)
    if form == 0:
        phrase = f"The {adjective} {noun}"
    elif form == 1:
        phrase = f"{noun} and {other}" if noun != other else f"Another {noun}"
    elif form == 2:
        phrase = f"Before the {noun}"
    else:
        phrase = f"{adjective} {noun}"
    return f"Chapter {number}: {phrase}"


def _split(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Integers >= ``minimum`` summing to ``total``, proportional to ``weights``."""
    free = total - minimum * weights.size
    raw = weights / weights.sum() * free
    counts = np.floor(raw).astype(np.int64)
    remainder = free - int(counts.sum())
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts + minimum


def _release_dates(
    last: date, count: int, weekdays: tuple[int, ...], gap: tuple[int, int]
) -> list[date]:
    """``count`` release dates on ``weekdays`` ending at ``last`` (oldest first).

    ``gap = (after, days)`` leaves a hiatus of ``days`` before the ``after``-th release
    counted from the newest (``after`` 0 means no gap).
    """
    gap_after, gap_days = gap
    day = last
    while day.weekday() not in weekdays:
        day -= timedelta(days=1)
    dates = [day]
    while len(dates) < count:
        if gap_after and len(dates) == gap_after:
            day -= timedelta(days=gap_days)
        day -= timedelta(days=1)
        while day.weekday() not in weekdays:
            day -= timedelta(days=1)
        dates.append(day)
    return dates[::-1]


def _build_catalog(
    rng: np.random.Generator, size: DemoSize, end: datetime
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Writers, stories (with hidden simulation columns) and chapters."""
    n_writers, n_stories = size.writers, size.stories
    if n_writers < 2 or n_stories < n_writers or size.chapters < 6 * n_stories:
        raise ValueError("demo needs >= 2 writers, >= 1 story each and >= 6 chapters a story")

    # Writers: writer 1 is a healthy mid-to-large writer, writer 2 a smaller mixed one.
    def writer_name(r: np.random.Generator) -> str:
        first = _FIRST_NAMES[r.integers(len(_FIRST_NAMES))]
        return f"{first} {_LAST_NAMES[r.integers(len(_LAST_NAMES))]}"

    display = _unique_names(rng, writer_name, n_writers)
    handles = [name.lower().replace(" ", "_") for name in display]
    writer_country = rng.choice(_WRITER_COUNTRIES, size=n_writers, p=_WRITER_COUNTRY_P)

    weights = 1.0 / np.arange(1, n_writers + 1) ** 0.5
    weights[0], weights[1] = 0.7, 0.45
    per_writer = _split(n_stories, weights, 1)
    story_writer = np.repeat(np.arange(1, n_writers + 1), per_writer)

    genres = rng.choice(len(_GENRES), size=n_stories, p=_GENRE_P)
    titles: list[str] = []
    seen_titles: set[str] = set()
    for genre in genres:
        title = _story_title(rng, _GENRES[genre])
        while title in seen_titles:
            title = _story_title(rng, _GENRES[genre])
        seen_titles.add(title)
        titles.append(title)

    n_chapters = _split(size.chapters, rng.lognormal(0.0, 0.7, size=n_stories), 6)
    cadence = rng.choice(len(_CADENCES), size=n_stories, p=_CADENCE_P)
    cadence = np.where(n_chapters > 60, np.maximum(cadence, 2), cadence)

    # Popularity and trend; writer 1 is big and growing.
    popularity = rng.lognormal(0.0, 0.8, size=n_stories)
    trend = rng.normal(0.0, 0.55, size=n_stories)
    quality = rng.lognormal(0.0, 0.25, size=n_stories)
    mine = story_writer == 1
    popularity[mine] *= 2.2
    trend[mine] = np.abs(trend[mine]) * 0.6 + 0.15

    # Status (writers 1 and 2 aside): about 13% completed, 4% on a hiatus that is still
    # going on, 10% with a hiatus in the past; writer 2 has one story on hiatus.
    order = rng.permutation(np.flatnonzero(~mine & (story_writer != 2)))
    writer2 = np.flatnonzero(story_writer == 2)
    status = np.array(["ongoing"] * n_stories, dtype=object)
    n_completed, n_hiatus, n_resumed = (round(n_stories * f) for f in (0.13, 0.04, 0.1))
    completed = order[:n_completed]
    hiatus_end = np.concatenate([order[n_completed : n_completed + n_hiatus], writer2[:1]])
    resumed = order[n_completed + n_hiatus : n_completed + n_hiatus + n_resumed]
    status[completed] = "completed"
    status[hiatus_end] = "hiatus"
    if writer2.size > 1:
        trend[writer2[1]] = -0.9  # a declining story for the writer-2 login

    end_day = (end - timedelta(days=1)).date()
    window_days = size.days
    release_hour = rng.integers(12, 20, size=n_stories)
    chapter_rows: list[dict[str, Any]] = []
    gap_info = np.zeros(n_stories, dtype=np.int64)
    first_weekday = rng.integers(0, 7, size=n_stories)
    for s in range(n_stories):
        weekdays = tuple(sorted((first_weekday[s] + d) % 7 for d in _CADENCES[cadence[s]]))
        if status[s] == "completed":
            last = end_day - timedelta(days=int(rng.integers(15, 150)))
        elif status[s] == "hiatus":
            last = end_day - timedelta(days=int(rng.integers(24, 60)))
        else:
            last = end_day - timedelta(days=int(rng.integers(0, 3)))
        gap = (0, 0)
        if s in resumed:
            per_week = len(weekdays)
            after = int(
                rng.integers(1, max(2, min(n_chapters[s] - 2, window_days * per_week // 14)))
            )
            gap = (after, int(rng.integers(21, 50)))
            gap_info[s] = gap[1]
        dates = _release_dates(last, int(n_chapters[s]), weekdays, gap)
        words_mean = rng.lognormal(np.log(2300), 0.3)
        words = np.maximum(rng.normal(words_mean, words_mean * 0.18, size=len(dates)), 600)
        minutes = rng.integers(0, 45, size=len(dates))
        for number, (day, word_count, minute) in enumerate(
            zip(dates, words, minutes, strict=True), 1
        ):
            chapter_rows.append(
                {
                    "story_index": s,
                    "number": number,
                    "word_count": int(round(word_count, -1)),
                    "published_at": datetime.combine(day, datetime.min.time())
                    + timedelta(hours=int(release_hour[s]), minutes=int(minute)),
                }
            )

    chapters = pd.DataFrame(chapter_rows)
    chapters["id"] = np.arange(1, len(chapters) + 1)
    chapters["story_id"] = chapters["story_index"] + 1

    # Paywall on most stories; prices per story.
    has_paywall = rng.random(n_stories) < 0.7
    has_paywall[mine] = True
    paywall = np.where(has_paywall, rng.integers(6, 14, size=n_stories), 0)
    paywall = np.where(paywall > n_chapters - 2, 0, paywall)
    price = rng.choice(np.array([25, 30, 35, 40, 50]), size=n_stories)

    # Cliff stories: popular, long enough, cliff away from the paywall.
    candidates = np.flatnonzero((n_chapters >= 16) & (status != "hiatus") & ~mine)
    candidates = candidates[np.argsort(-popularity[candidates], kind="stable")]
    cliff = np.zeros(n_stories, dtype=np.int64)
    picks = [c for c in candidates if story_writer[c] == 2][:1]
    picks += [c for c in candidates[:12] if c not in picks][: 4 - len(picks)]
    for s in picks:
        options = [
            c
            for c in range(4, min(13, int(n_chapters[s]) - 4))
            if not paywall[s] or abs(c - paywall[s]) > 1
        ]
        cliff[s] = options[int(rng.integers(len(options)))]

    numbers = chapters["number"].to_numpy()
    story_idx = chapters["story_index"].to_numpy()
    paid = (paywall[story_idx] > 0) & (numbers >= paywall[story_idx])
    chapters["is_paid"] = paid
    chapters["price_minor"] = pd.array(np.where(paid, price[story_idx], 0), dtype="Int64")
    chapters.loc[~paid, "price_minor"] = pd.NA
    chapters["title"] = [_chapter_title(rng, int(n)) for n in numbers]

    first_release_at = chapters.groupby("story_index")["published_at"].min().to_numpy()
    created_at = pd.to_datetime(first_release_at) - pd.to_timedelta(
        rng.integers(2, 40, size=n_stories), unit="D"
    )
    stories = pd.DataFrame(
        {
            "id": np.arange(1, n_stories + 1),
            "writer_id": story_writer,
            "title": titles,
            "genre": [_GENRES[g] for g in genres],
            "status": status.astype(str),
            "created_at": created_at,
            "published_at": pd.to_datetime(first_release_at),
            "paywall_from_chapter": pd.array(np.where(paywall > 0, paywall, 0), dtype="Int64"),
            # Simulation parameters (not stored):
            "chapters": n_chapters,
            "popularity": popularity,
            "trend": trend,
            "quality": quality,
            "cliff_chapter": cliff,
            "resumed_gap_days": gap_info,
            "price_minor": price,
        }
    )
    stories.loc[paywall == 0, "paywall_from_chapter"] = pd.NA

    first_story = stories.groupby("writer_id")["created_at"].min()
    joined = (
        first_story.to_numpy()
        - pd.to_timedelta(rng.integers(10, 400, size=n_writers), unit="D").to_numpy()
    )
    writers = pd.DataFrame(
        {
            "id": np.arange(1, n_writers + 1),
            "handle": handles,
            "display_name": display,
            "country": writer_country,
            "joined_at": pd.to_datetime(joined),
        }
    )
    return writers, stories, chapters


# --------------------------------------------------------------------------- readers


def _build_readers(
    rng: np.random.Generator, size: DemoSize, epoch: datetime, window_start: datetime
) -> tuple[pd.DataFrame, np.ndarray]:
    """Readers in signup order (id 1 signed up first) and their signup second (vs epoch)."""
    n = size.readers
    window_seconds = (window_start - epoch).total_seconds() + size.days * _DAY
    # Signups grow with the platform (exponential density over the last three years).
    growth = _PLATFORM_GROWTH / 180.0
    span = 3 * 365
    age_days = -np.log1p(-rng.random(n) * (1.0 - np.exp(-growth * span))) / growth
    day_of_signup = np.floor(window_seconds / _DAY - age_days)
    hours = rng.choice(24, size=n, p=_HOUR_P)
    signup = day_of_signup * _DAY + hours * 3600 + rng.integers(0, 3600, size=n)
    signup = np.minimum(signup, window_seconds - 1).astype(np.int64)
    signup.sort()

    country = rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_P)
    ios = rng.random(n) < _COUNTRY_IOS[country]
    android = rng.random(n) < 0.75
    device = np.where(ios, 0, np.where(android, 1, 2))
    signup_at = pd.Timestamp(epoch) + pd.to_timedelta(signup, unit="s")
    readers = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "user_id": [f"u{i}" for i in range(1, n + 1)],
            "country": _COUNTRIES[country],
            "device": np.array(DEVICES)[device],
            "age_band": np.array(AGE_BANDS)[rng.choice(len(AGE_BANDS), size=n, p=_AGE_P)],
            "signup_date": signup_at.date,
            "acquisition_source": np.array(ACQUISITION_SOURCES)[
                rng.choice(len(ACQUISITION_SOURCES), size=n, p=_ACQUISITION_P)
            ],
            "first_seen_at": signup_at,
            # Simulation parameters (not stored):
            "activity": rng.lognormal(0.0, 0.8, size=n),
            "engagement": rng.lognormal(0.0, 0.45, size=n),
            "pay": np.clip(0.5 * _COUNTRY_PAY[country] * rng.lognormal(0.0, 0.5, size=n), 0, 0.95),
            "binge": rng.random(n) < 0.4,
            "wpm": rng.lognormal(np.log(230), 0.25, size=n),
        }
    )
    return readers, signup


# --------------------------------------------------------------------------- events


@dataclass
class _Parts:
    """Event columns collected from each generator step before sorting."""

    columns: dict[str, list[np.ndarray]]

    @classmethod
    def empty(cls) -> _Parts:
        names = (
            "seconds",
            "type_code",
            "reader_id",
            "writer_id",
            "story_id",
            "chapter_id",
            "read_seconds",
            "progress_pct",
            "revenue_minor",
        )
        return cls({name: [] for name in names})

    def add(self, event_type: EventType, seconds: np.ndarray, **values: np.ndarray | int) -> None:
        n = seconds.size
        self.columns["seconds"].append(seconds.astype(np.int64))
        self.columns["type_code"].append(np.full(n, _CODE[event_type], dtype=np.int8))
        for name in self.columns:
            if name in ("seconds", "type_code"):
                continue
            value = values.get(name, -1)
            array = np.broadcast_to(np.asarray(value, dtype=np.int64), (n,))
            self.columns[name].append(np.array(array, dtype=np.int64))

    def concat(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) for name, parts in self.columns.items()}


def _pick_readers(
    rng: np.random.Generator, cumulative: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Reader ids (1-based) weighted by activity among the first ``eligible`` readers."""
    eligible = np.maximum(eligible, 1)
    target = rng.random(eligible.size) * cumulative[eligible - 1]
    index = np.searchsorted(cumulative, target, side="right")
    return np.minimum(index, eligible - 1) + 1


def _grouped_cummax(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running maximum of ``values`` restarting at each group (groups contiguous, ascending)."""
    span = int(values.max() - values.min()) + 1
    shifted = values - values.min() + group.astype(np.int64) * span
    return np.maximum.accumulate(shifted) - group.astype(np.int64) * span + values.min()


def _discovery_rates(
    stories: pd.DataFrame,
    chapters: pd.DataFrame,
    size: DemoSize,
    epoch: datetime,
    n_days: int,
) -> np.ndarray:
    """Expected new journeys per story (rows) and simulated day (columns)."""
    n_stories = len(stories)
    days = np.arange(n_days)
    weekday = (epoch.weekday() + days) % 7
    window_offset = n_days - size.days
    # Story trends are log-linear (per 180 days) relative to the other stories.
    rel = (days - n_days) / 180.0
    rates = stories["popularity"].to_numpy()[:, None] * np.exp(
        stories["trend"].to_numpy()[:, None] * rel[None, :]
    )
    pub_day = ((chapters["published_at"] - epoch).dt.total_seconds() // _DAY).to_numpy()
    story_idx = chapters["story_index"].to_numpy()
    for s in range(n_stories):
        released = np.sort(pub_day[story_idx == s])
        first = released[0]
        age = days - first
        factor = np.where(age < 0, 0.0, 1.0 + 1.5 * np.exp(-np.maximum(age, 0) / 12.0))
        last_index = np.searchsorted(released, days, side="right") - 1
        since = days - released[np.maximum(last_index, 0)]
        done = stories["status"].iat[s] == "completed"
        quiet = (since > 21) & (last_index >= 0)
        factor = factor * np.where(quiet, 0.75 if done else 0.45, 1.0)
        on_release = np.isin(days, released)
        after_release = np.isin(days - 1, released)
        factor = factor * np.where(on_release, 1.7, np.where(after_release, 1.25, 1.0))
        rates[s] *= factor
    # The platform's traffic grows gently and peaks at weekends; stories share it by
    # their attractiveness that day (a launch takes readers from the others).
    platform = np.exp(_PLATFORM_GROWTH * rel) * _WEEKDAY_FACTOR[weekday]
    share = rates / np.maximum(rates.sum(axis=0), 1e-12)
    rates = share * platform[None, :]
    mean_window = rates[:, window_offset:].sum(axis=0).mean()
    return rates * (size.journeys_per_day / mean_window)


def _survival(stories: pd.DataFrame, chapters: pd.DataFrame) -> np.ndarray:
    """Probability of reaching each chapter (rows: stories, columns: chapter number - 1)."""
    n_stories = len(stories)
    longest = int(stories["chapters"].max())
    survival = np.zeros((n_stories, longest + 1))
    pub = chapters["published_at"].to_numpy()
    story_idx = chapters["story_index"].to_numpy()
    for s in range(n_stories):
        n = int(stories["chapters"].iat[s])
        quality = stories["quality"].iat[s]
        cont = np.full(n, 1.0 - 0.055 / quality)
        cont[0] = min(0.66 * quality**0.5, 0.9)
        if n > 1:
            cont[1] = min(0.82 * quality**0.3, 0.95)
        if n > 2:
            cont[2] = min(0.88 * quality**0.2, 0.97)
        cliff = int(stories["cliff_chapter"].iat[s])
        if cliff:
            cont[cliff - 1] = 0.16
        gaps = np.diff(pub[story_idx == s]) / np.timedelta64(1, "D")
        cont[:-1] = np.where(gaps > 20, cont[:-1] * 0.7, cont[:-1])
        cont = np.clip(cont, 0.01, 0.995)
        survival[s, 0] = 1.0
        survival[s, 1:n] = np.cumprod(cont[: n - 1])
    return survival


@dataclass
class _Journeys:
    """One row per reader-story journey: the story (0-based index), when the reader
    discovered it (seconds since the epoch) and who (reader id, 1-based)."""

    story: np.ndarray
    start: np.ndarray
    reader: np.ndarray

    def __len__(self) -> int:
        return int(self.story.size)


@dataclass
class _Reads:
    """One row per chapter read, grouped by journey in reading order."""

    journey: np.ndarray
    position: np.ndarray  # chapter number - 1
    chapter_index: np.ndarray  # row in the chapters frame (chapter id - 1)
    start: np.ndarray  # seconds since the epoch
    read_seconds: np.ndarray
    full_seconds: np.ndarray  # time the whole chapter takes this reader
    busy: np.ndarray  # reading time plus the pause before the next chapter
    completed: np.ndarray

    def take(self, mask: np.ndarray) -> _Reads:
        return _Reads(**{name: value[mask] for name, value in vars(self).items()})


def _journeys(
    rng: np.random.Generator,
    rates: np.ndarray,
    signup: np.ndarray,
    activity_cum: np.ndarray,
    parts: _Parts,
) -> _Journeys:
    """Discovery journeys (Poisson per story-day) plus a first journey for each signup.

    Adds the ``signup`` events. A reader keeps at most one journey per story (the first).
    """
    n_stories, n_days = rates.shape
    signup_day = signup // _DAY
    counts = rng.poisson(rates)
    story, day = np.nonzero(counts)
    repeats = counts[story, day]
    story, day = np.repeat(story, repeats), np.repeat(day, repeats)
    start = (
        day * _DAY
        + rng.choice(24, size=day.size, p=_HOUR_P) * 3600
        + rng.integers(0, 3600, size=day.size)
    )
    eligible = np.searchsorted(signup_day, day, side="left")  # signed up on an earlier day
    keep = eligible > 0
    story, start = story[keep], start[keep]
    reader = _pick_readers(rng, activity_cum, eligible[keep])

    new = np.flatnonzero(signup >= 0)
    parts.add(EventType.SIGNUP, signup[new], reader_id=new + 1)
    # A new reader's first story is drawn by that day's discovery rates.
    signup_days = np.clip(signup[new] // _DAY, 0, n_days - 1)
    by_day = np.cumsum(rates.T.ravel())
    day_before = by_day[signup_days * n_stories] - rates[0, signup_days]
    target = day_before + rng.random(new.size) * rates.sum(axis=0)[signup_days]
    first_story = np.minimum(np.searchsorted(by_day, target, side="right"), by_day.size - 1)
    story = np.concatenate([story, first_story % n_stories])
    # Late enough that the session's login and page view come after the signup.
    start = np.concatenate([start, signup[new] + rng.integers(1000, 2400, size=new.size)])
    reader = np.concatenate([reader, new + 1])

    first = np.sort(_first_of_each(reader.astype(np.int64) * n_stories + story, start))
    return _Journeys(story=story[first], start=start[first], reader=reader[first])


def _first_of_each(key: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Indices of the earliest row of each distinct ``key``."""
    order = np.lexsort((when, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    return order[first]


def _reach(
    rng: np.random.Generator,
    journeys: _Journeys,
    stories: pd.DataFrame,
    chapters: pd.DataFrame,
    readers: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """How many chapters each journey reads (survival curve, engagement, paywall) and
    whether the reader pays by subscribing instead of unlocking chapters."""
    r_index = journeys.reader - 1
    n_chapters = stories["chapters"].to_numpy()[journeys.story]
    survival = _survival(stories, chapters)
    threshold = rng.random(len(journeys)) ** readers["engagement"].to_numpy()[r_index]
    # Chapters reached = chapters whose survival is at least the journey's threshold
    # (survival falls with the chapter number), counted story by story.
    reach = np.empty(len(journeys), dtype=np.int64)
    by_story = np.argsort(journeys.story, kind="stable")
    bounds = np.searchsorted(journeys.story[by_story], np.arange(len(stories) + 1))
    for story, count in enumerate(stories["chapters"].to_numpy()):
        members = by_story[bounds[story] : bounds[story + 1]]
        falling = -survival[story, :count]
        reach[members] = np.searchsorted(falling, -threshold[members], side="right")
    reach = np.clip(reach, 1, n_chapters)
    wall = stories["paywall_from_chapter"].fillna(0).to_numpy(dtype=np.int64)[journeys.story]
    pays = rng.random(len(journeys)) < readers["pay"].to_numpy()[r_index]
    reach = np.where((wall > 0) & (reach >= wall) & ~pays, wall - 1, reach)
    subscriber = pays & (rng.random(len(journeys)) < 0.12)
    return reach, subscriber


def _schedule_reads(
    rng: np.random.Generator,
    journeys: _Journeys,
    reach: np.ndarray,
    stories: pd.DataFrame,
    chapters: pd.DataFrame,
    readers: pd.DataFrame,
    epoch: datetime,
    until: int,
) -> _Reads:
    """When each chapter is read: catch-up sessions, waits for releases, reading time.

    Binge readers catch up in long sessions days apart (often at weekends) and wait days
    for new chapters; release-day readers read one or two chapters a session and new
    chapters within hours. Reads before ``until`` and within the journey's lifetime stay.
    """
    n = len(journeys)
    r_index = journeys.reader - 1
    n_chapters = stories["chapters"].to_numpy()
    chapter_offset = np.concatenate([[0], np.cumsum(n_chapters)[:-1]])
    chapter_pub = ((chapters["published_at"] - epoch).dt.total_seconds()).to_numpy(np.int64)
    binge = readers["binge"].to_numpy()[r_index] ^ (rng.random(n) < 0.15)
    chunk = np.where(binge, 3 + rng.geometric(1 / 5, n), rng.geometric(1 / 1.6, n))
    gap_days = np.where(binge, 1 + rng.geometric(1 / 2.5, n), rng.geometric(0.6, n))

    journey = np.repeat(np.arange(n), reach)
    first_read = np.cumsum(reach) - reach
    position = np.arange(journey.size) - np.repeat(first_read, reach)
    chapter_index = chapter_offset[journeys.story][journey] + position
    session = position // chunk[journey]
    phase = (session * 7919 + journey * 104_729) % 21_600 - 10_800  # +-3 h, fixed per session
    catch_up = journeys.start[journey] + session * gap_days[journey] * _DAY
    catch_up = catch_up + np.where(session > 0, phase, 0)
    # Catch-up sessions that fall on a weekday often wait for the weekend (binge readers most).
    weekday = (epoch.weekday() + catch_up // _DAY) % 7
    coin = (session * 48_271 + journey * 69_621) % 1000  # one draw per session
    to_weekend = (weekday < 5) & (session > 0) & (coin < np.where(binge[journey], 400, 120))
    catch_up = np.where(to_weekend, catch_up + (5 - weekday + coin % 2) * _DAY, catch_up)
    delay_mean = np.where(binge[journey], 2.5 * _DAY, 6 * 3600)
    ready = chapter_pub[chapter_index] + rng.exponential(delay_mean).astype(np.int64) + 60

    last = position == reach[journey] - 1
    dropped = reach[journey] < n_chapters[journeys.story][journey]
    completed = rng.random(journey.size) < np.where(last & dropped, 0.45, 0.93)
    words = chapters["word_count"].to_numpy()[chapter_index]
    full = words / readers["wpm"].to_numpy()[r_index][journey] * 60
    fraction = np.where(completed, 1.0, rng.uniform(0.05, 0.8, size=journey.size))
    read_seconds = np.maximum(full * fraction, 20).astype(np.int64)
    busy = read_seconds + rng.integers(20, 240, size=journey.size)
    # Each chapter starts once it is wanted and the previous one is finished:
    # start[i] = max(wanted[i], start[i-1] + busy[i-1]), solved in closed form per journey.
    before = np.cumsum(busy) - busy
    before = before - np.repeat(before[first_read], reach)
    wanted = np.maximum(catch_up, ready)
    start = before + _grouped_cummax(wanted - before, journey)

    lifetime = rng.exponential(_JOURNEY_LIFETIME_DAYS * _DAY, size=n).astype(np.int64)
    keep = (start < until) & (start <= journeys.start[journey] + lifetime[journey])
    reads = _Reads(
        journey=journey,
        position=position,
        chapter_index=chapter_index,
        start=start,
        read_seconds=read_seconds,
        full_seconds=full,
        busy=busy,
        completed=completed,
    )
    return reads.take(keep)


def _add_read_events(
    rng: np.random.Generator,
    parts: _Parts,
    reads: _Reads,
    journeys: _Journeys,
    subscriber: np.ndarray,
    stories: pd.DataFrame,
    chapters: pd.DataFrame,
    readers: pd.DataFrame,
) -> None:
    """Unlock, start, progress, complete, like/comment/share, tip, follow and subscribe."""
    story = journeys.story[reads.journey]
    reader = journeys.reader[reads.journey]
    writer = stories["writer_id"].to_numpy()[story]
    ids = {
        "reader_id": reader,
        "writer_id": writer,
        "story_id": story + 1,
        "chapter_id": reads.chapter_index + 1,
    }

    def of(mask: np.ndarray, chapter: bool = True) -> dict[str, np.ndarray]:
        return {key: value[mask] for key, value in ids.items() if chapter or key != "chapter_id"}

    start, read_seconds, completed = reads.start, reads.read_seconds, reads.completed
    paid = chapters["is_paid"].to_numpy()[reads.chapter_index]
    price = chapters["price_minor"].fillna(0).to_numpy(dtype=np.int64)[reads.chapter_index]
    unlock = paid & ~subscriber[reads.journey]
    parts.add(
        EventType.CHAPTER_UNLOCK,
        start[unlock] - rng.integers(3, 20, size=int(unlock.sum())),
        revenue_minor=price[unlock],
        **of(unlock),
    )
    parts.add(EventType.CHAPTER_START, start, **ids)
    halves = completed & (rng.random(start.size) < 0.5)
    half = read_seconds // 2
    parts.add(
        EventType.CHAPTER_PROGRESS,
        start[halves] + half[halves],
        read_seconds=half[halves],
        progress_pct=50,
        **of(halves),
    )
    percent = np.round(read_seconds / np.maximum(reads.full_seconds, 1) * 100)
    parts.add(
        EventType.CHAPTER_PROGRESS,
        start + read_seconds,
        read_seconds=np.where(halves, read_seconds - half, read_seconds),
        progress_pct=np.where(completed, 100, np.clip(percent, 1, 99)).astype(np.int64),
        **ids,
    )
    done_at = start + read_seconds + 1
    parts.add(EventType.CHAPTER_COMPLETE, done_at[completed], **of(completed))
    for event_type, probability, lag in (
        (EventType.LIKE, 0.11, 5),
        (EventType.COMMENT, 0.025, 60),
        (EventType.SHARE, 0.006, 20),
    ):
        hit = completed & (rng.random(start.size) < probability)
        parts.add(
            event_type, done_at[hit] + rng.integers(lag, lag * 6, size=int(hit.sum())), **of(hit)
        )
    tip = completed & (rng.random(start.size) < 0.008 * readers["pay"].to_numpy()[reader - 1])
    amounts = rng.choice(
        np.array([100, 200, 300, 500, 1000, 2000]),
        size=int(tip.sum()),
        p=[0.3, 0.25, 0.15, 0.18, 0.09, 0.03],
    )
    parts.add(
        EventType.TIP,
        done_at[tip] + rng.integers(10, 120, size=int(tip.sum())),
        revenue_minor=amounts,
        **of(tip),
    )
    follow = (reads.position == 2) & (rng.random(start.size) < 0.3)
    parts.add(EventType.FOLLOW, done_at[follow] + 30, **of(follow, chapter=False))

    # Subscribers subscribe at their first paid chapter, once per reader and writer.
    wall = stories["paywall_from_chapter"].fillna(0).to_numpy(dtype=np.int64)[story]
    first_paid = np.flatnonzero(paid & subscriber[reads.journey] & (reads.position == wall - 1))
    key = reader[first_paid].astype(np.int64) * (int(writer.max(initial=0)) + 1)
    take = first_paid[_first_of_each(key + writer[first_paid], start[first_paid])]
    mask = np.zeros(start.size, dtype=bool)
    mask[take] = True
    parts.add(
        EventType.SUBSCRIBE,
        start[mask] - 15,
        revenue_minor=SUBSCRIPTION_PRICE_MINOR,
        **of(mask, chapter=False),
    )


def _add_session_events(
    rng: np.random.Generator,
    parts: _Parts,
    reads: _Reads,
    journeys: _Journeys,
    stories: pd.DataFrame,
) -> None:
    """A story view before each reading session, sometimes a page view, and a login on
    some of a reader's active days. A session ends after 30 minutes without reading."""
    start = reads.start
    previous_end = np.concatenate([[0], start[:-1] + reads.busy[:-1]])
    opens = (reads.position == 0) | (start - previous_end > 1800)
    session_start = start[opens]
    story = journeys.story[reads.journey][opens]
    reader = journeys.reader[reads.journey][opens]
    parts.add(
        EventType.STORY_VIEW,
        session_start - rng.integers(5, 60, size=session_start.size),
        reader_id=reader,
        writer_id=stories["writer_id"].to_numpy()[story],
        story_id=story + 1,
    )
    browse = rng.random(session_start.size) < 0.4
    parts.add(
        EventType.PAGE_VIEW,
        session_start[browse] - rng.integers(60, 300, size=int(browse.sum())),
        reader_id=reader[browse],
    )
    reader_day = reader.astype(np.int64) * 100_000 + session_start // _DAY
    firsts = _first_of_each(reader_day, session_start)
    firsts = firsts[rng.random(firsts.size) < 0.3]
    parts.add(
        EventType.LOGIN,
        session_start[firsts] - rng.integers(300, 900, size=firsts.size),
        reader_id=reader[firsts],
    )


def _add_browse_events(
    rng: np.random.Generator,
    parts: _Parts,
    rates: np.ndarray,
    first_day: int,
    signup: np.ndarray,
    activity_cum: np.ndarray,
    stories: pd.DataFrame,
) -> None:
    """Story views that lead to no reading (from ``first_day`` on): the top of the funnel."""
    counts = rng.poisson(rates[:, first_day:] * 0.9)
    story, day = np.nonzero(counts)
    repeats = counts[story, day]
    story, day = np.repeat(story, repeats), np.repeat(day, repeats) + first_day
    eligible = np.searchsorted(signup // _DAY, day, side="left")
    keep = eligible > 0
    story, day = story[keep], day[keep]
    reader = _pick_readers(rng, activity_cum, eligible[keep])
    seconds = (
        day * _DAY
        + rng.choice(24, size=day.size, p=_HOUR_P) * 3600
        + rng.integers(0, 3600, size=day.size)
    )
    parts.add(
        EventType.STORY_VIEW,
        seconds,
        reader_id=reader,
        writer_id=stories["writer_id"].to_numpy()[story],
        story_id=story + 1,
    )


def _build_events(
    rng: np.random.Generator,
    size: DemoSize,
    stories: pd.DataFrame,
    chapters: pd.DataFrame,
    readers: pd.DataFrame,
    signup: np.ndarray,
    epoch: datetime,
) -> DemoEvents:
    """Simulate burn-in plus window from ``epoch`` and return the window's events."""
    n_days = _BURN_IN_DAYS + size.days
    window_start, window_end = _BURN_IN_DAYS * _DAY, n_days * _DAY
    parts = _Parts.empty()
    activity_cum = np.cumsum(readers["activity"].to_numpy())
    rates = _discovery_rates(stories, chapters, size, epoch, n_days)

    journeys = _journeys(rng, rates, signup, activity_cum, parts)
    reach, subscriber = _reach(rng, journeys, stories, chapters, readers)
    reads = _schedule_reads(rng, journeys, reach, stories, chapters, readers, epoch, window_end)
    _add_read_events(rng, parts, reads, journeys, subscriber, stories, chapters, readers)
    _add_session_events(rng, parts, reads, journeys, stories)
    _add_browse_events(rng, parts, rates, _BURN_IN_DAYS, signup, activity_cum, stories)

    # Keep the window, sort by time (stably), and count seconds from the window start.
    columns = parts.concat()
    inside = (columns["seconds"] >= window_start) & (columns["seconds"] < window_end)
    columns = {name: values[inside] for name, values in columns.items()}
    order = np.lexsort((columns["reader_id"], columns["type_code"], columns["seconds"]))
    columns = {name: values[order] for name, values in columns.items()}
    columns["seconds"] = columns["seconds"] - window_start
    return DemoEvents(epoch=epoch + timedelta(seconds=window_start), **columns)


def _window(days: int, end: date | None) -> tuple[datetime, datetime]:
    if days < 1:
        raise ValueError("days must be at least 1")
    last = end if end is not None else datetime.now(UTC).date()
    window_end = datetime.combine(last, datetime.min.time())
    return window_end - timedelta(days=days), window_end


def build_demo_platform(
    *,
    seed: int = 42,
    scale: float = 1.0,
    days: int = 180,
    end: date | None = None,
    size: DemoSize | None = None,
) -> DemoPlatform:
    """Generate the whole platform in memory; no database access.

    Events cover ``[end - days, end)`` in whole UTC days (``end`` defaults to today, UTC,
    so the newest complete day is yesterday). ``size`` overrides the default
    :class:`DemoSize` (its ``days`` is replaced by ``days``); ``scale`` then multiplies
    readers and event volume. Deterministic for equal arguments (and ``end``).
    Raises ``ValueError`` for ``days < 1``, ``scale <= 0`` or an impossible ``size``.
    """
    base = replace(size or DemoSize(), days=days)
    sized = base.scaled(scale)
    window_start, window_end = _window(days, end)
    epoch = window_start - timedelta(days=_BURN_IN_DAYS)
    catalog_seq, reader_seq, event_seq = np.random.SeedSequence(seed).spawn(3)
    writers, stories, chapters = _build_catalog(
        np.random.default_rng(catalog_seq), sized, window_end
    )
    readers, signup = _build_readers(np.random.default_rng(reader_seq), sized, epoch, window_start)
    events = _build_events(
        np.random.default_rng(event_seq), sized, stories, chapters, readers, signup, epoch
    )
    return DemoPlatform(
        writers=writers,
        stories=stories,
        chapters=chapters,
        readers=readers,
        events=events,
        start=window_start.date(),
        end=window_end.date(),
    )


# --------------------------------------------------------------------------- database


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values: NA becomes ``None``, timestamps datetimes."""
    values: list[list[Any]] = []
    for column in columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            as_objects = series.to_numpy(dtype="datetime64[us]").astype(object)
        else:
            as_objects = np.array(series.astype(object), dtype=object)
        missing = series.isna().to_numpy()
        as_objects[missing] = None
        values.append(
            [value.item() if isinstance(value, np.generic) else value for value in as_objects]
        )
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def demo_platform_present(session: Session) -> bool:
    """True when the database holds demo events (``source = 'demo'``). Read-only."""
    found = session.execute(select(Event.id).where(Event.source == DEMO_SOURCE).limit(1)).first()
    return found is not None


def _catalog_occupied(session: Session) -> bool:
    for model in (Writer, Story, Chapter, Reader):
        if session.execute(select(func.count()).select_from(model)).scalar_one():
            return True
    return demo_platform_present(session)


def _set_sqlite_synchronous(connection: Connection, mode: str) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA synchronous={mode}")


# Catalog columns written from the in-memory frames (the rest are simulation parameters).
_CATALOG: tuple[tuple[Any, str, tuple[str, ...]], ...] = (
    (Writer, "writers", ("id", "handle", "display_name", "country", "joined_at")),
    (
        Story,
        "stories",
        (
            "id",
            "writer_id",
            "title",
            "genre",
            "status",
            "created_at",
            "published_at",
            "paywall_from_chapter",
        ),
    ),
    (
        Chapter,
        "chapters",
        (
            "id",
            "story_id",
            "number",
            "title",
            "word_count",
            "published_at",
            "is_paid",
            "price_minor",
        ),
    ),
    (
        Reader,
        "readers",
        (
            "id",
            "user_id",
            "country",
            "device",
            "age_band",
            "signup_date",
            "acquisition_source",
            "first_seen_at",
            "updated_at",
        ),
    ),
)


def _write_platform(connection: Connection, platform: DemoPlatform, chunk_rows: int) -> int:
    """Insert the catalog (one commit), then the events (one commit per chunk of
    ``chunk_rows``) on ``connection``; returns the number of events inserted."""
    frames = {
        "writers": platform.writers,
        "stories": platform.stories,
        "chapters": platform.chapters,
        "readers": platform.readers.assign(updated_at=platform.readers["first_seen_at"]),
    }
    for model, name, columns in _CATALOG:
        connection.execute(insert(model.__table__), _records(frames[name], list(columns)))
    sync_id_sequence(connection, "readers")  # readers created later (ingest) get new ids
    connection.commit()
    # Rows of the next chunk are built in a worker thread while the database inserts the
    # current one (the SQLite and psycopg drivers release the GIL while executing).
    events = platform.events
    total = len(events)
    written = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(events.rows, 0, min(chunk_rows, total))
        for begin in range(0, total, chunk_rows):
            rows = pending.result()
            following = begin + chunk_rows
            if following < total:
                pending = pool.submit(events.rows, following, min(following + chunk_rows, total))
            written += insert_events(connection, rows)
            connection.commit()
    return written


def generate_demo_platform(
    session_or_engine: Session | Engine,
    *,
    seed: int = 42,
    scale: float = 1.0,
    days: int = 180,
    end: date | None = None,
    size: DemoSize | None = None,
    chunk_rows: int = 50_000,
) -> DemoSummary:
    """Build the demo platform, bulk insert it, roll it up and set the rollup watermark.

    Arguments as in :func:`build_demo_platform`. The database must be migrated and hold
    no writers, stories, chapters, readers or demo events, otherwise
    :class:`DemoAlreadyPresentError` is raised before anything is written.

    Transactions: the catalog is committed first, then each chunk of ``chunk_rows``
    events (through :func:`data.writes.insert_events`), both on a connection of the
    session's engine; then, in the session, the rollups of every event day together with
    the ``rollups.event_watermark`` JobState (the max event id), so the rollup job does
    not redo the history. A passed Session must have no pending changes (it is rolled
    back first) and is committed by this function; with an Engine a Session is opened and
    closed here. If the load fails part way, what was committed stays: start again on a
    fresh database. The cyclic garbage collector is paused during the event load and, on
    SQLite, ``synchronous=OFF`` is used on the loading connection (``NORMAL`` is restored
    before it is released).
    """
    if isinstance(session_or_engine, Engine):
        with Session(session_or_engine) as session:
            return generate_demo_platform(
                session,
                seed=seed,
                scale=scale,
                days=days,
                end=end,
                size=size,
                chunk_rows=chunk_rows,
            )
    session = session_or_engine
    if _catalog_occupied(session):
        raise DemoAlreadyPresentError("the database already holds catalog rows or demo events")
    session.rollback()
    bind = session.get_bind()

    started = _time.perf_counter()
    platform = build_demo_platform(seed=seed, scale=scale, days=days, end=end, size=size)
    generated = _time.perf_counter()
    # The load runs on one connection of its own, so the SQLite pragma applies to every
    # chunk and is restored on that same connection before it goes back to the pool.
    # Millions of short-lived row tuples make the cyclic GC rescan the heap again and
    # again during the load; nothing here creates reference cycles, so pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with bind.connect() if isinstance(bind, Engine) else nullcontext(bind) as connection:
            _set_sqlite_synchronous(connection, "OFF")
            try:
                written = _write_platform(connection, platform, chunk_rows)
            finally:
                connection.rollback()
                _set_sqlite_synchronous(connection, "NORMAL")
    finally:
        if collecting:
            gc.enable()
    inserted = _time.perf_counter()

    rollup_rows = rebuild_rollups(session, reporting_currency=REPORTING_CURRENCY)
    max_id = session.execute(select(func.max(Event.id))).scalar() or 0
    set_rollup_watermark(session, int(max_id))
    session.commit()
    rolled = _time.perf_counter()

    seconds = inserted - started
    return DemoSummary(
        writers=len(platform.writers),
        stories=len(platform.stories),
        chapters=len(platform.chapters),
        readers=len(platform.readers),
        events=written,
        seconds=seconds,
        events_per_second=written / seconds if seconds > 0 else 0.0,
        generate_seconds=generated - started,
        insert_seconds=inserted - generated,
        rollup_rows=rollup_rows,
        rollup_seconds=rolled - inserted,
        start=platform.start,
        end=platform.end,
    )


def create_demo_accounts(session: Session) -> list[tuple[str, str, str, int | None]]:
    """Create the demo dashboard logins of :data:`DEMO_ACCOUNTS`; idempotent.

    Accounts whose email already exists are skipped and never changed. Returns
    ``(email, password, role, writer_id)`` for every demo account that can sign in with
    its demo password after the call: the ones created now and existing ones whose
    password was not changed (an account with a changed password is left out, so its new
    password is never shown next to a stale one). Passwords are stored as werkzeug scrypt
    hashes. Raises ``ValueError``, before adding anything, when a writer account to create
    names a writer that does not exist (generate the demo platform first). Flushes but
    does not commit.
    """
    existing = {
        user.email: user
        for user in session.execute(
            select(User).where(User.email.in_([account[0] for account in DEMO_ACCOUNTS]))
        ).scalars()
    }
    writers: dict[int, Writer] = {}
    for email, _password, _role, writer_id in DEMO_ACCOUNTS:
        if email in existing or writer_id is None:
            continue
        writer = session.get(Writer, writer_id)
        if writer is None:
            raise ValueError(f"writer {writer_id} does not exist; generate the demo platform first")
        writers[writer_id] = writer

    usable: list[tuple[str, str, str, int | None]] = []
    for email, password, role, writer_id in DEMO_ACCOUNTS:
        user = existing.get(email)
        if user is not None:
            if check_password_hash(user.password_hash, password):
                usable.append((email, password, role, user.writer_id))
            continue
        session.add(
            User(
                email=email,
                password_hash=generate_password_hash(password, method="scrypt"),
                role=role,
                writer_id=writer_id,
                display_name=writers[writer_id].display_name if writer_id else "Demo admin",
            )
        )
        usable.append((email, password, role, writer_id))
    session.flush()
    return usable
