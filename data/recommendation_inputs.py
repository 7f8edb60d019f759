"""The shape of the recommendations job's inputs and outputs: the columns of the frames
that ``data.recommendation_store.recommendation_inputs`` reads and the rules in
``app.analytics.recommendations`` take (``WriterInputs``), and the advice the rules return
and ``data.recommendation_store.replace_recommendations`` stores
(:class:`RecommendationRecord`, its ``kind`` one of ``RECOMMENDATION_KINDS``). Plain data,
no storage: both sides import it, so the contract is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: ``RecommendationRecord.kind`` values and how pages label them (the rules are
#: ``app.analytics.recommendations``; definitions: docs/metrics.md, "Recommendations").
RECOMMENDATION_KINDS = {
    "dropoff": "Drop-off chapter",
    "release_time": "Release time",
    "cadence": "Release cadence",
    "paywall": "Paywall position",
    "chapter_length": "Chapter length",
    "momentum": "Momentum",
    "segment": "Audience segment",
}


@dataclass(frozen=True)
class RecommendationRecord:
    """One piece of advice for a writer, as a rule returns it and the job stores it.
    ``kind`` is one of ``RECOMMENDATION_KINDS`` and ``fingerprint`` a stable, non-empty
    key (``ValueError`` otherwise). ``evidence["facts"]`` is a list of ``{"label",
    "value", "unit"}`` (unit ``count``, ``ratio`` (0–1), ``days``, ``words``, ``money``
    (minor units), ``number`` or ``text``) shown as the numbers behind it; other evidence
    keys are the rule's raw inputs. JSON-safe throughout."""

    kind: str
    fingerprint: str
    title: str
    detail: str
    expected_effect: str
    priority: float
    evidence: dict[str, Any] = field(default_factory=dict)
    story_id: int | None = None
    chapter_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in RECOMMENDATION_KINDS:
            raise ValueError(f"unknown recommendation kind {self.kind!r}")
        if not self.fingerprint:
            raise ValueError("a recommendation needs a fingerprint")


#: ``app.analytics.recommendations.WriterInputs.stories``: the writer's catalog stories.
STORY_COLUMNS = ["story_id", "title", "status", "paywall_from_chapter"]
#: ``WriterInputs.chapters``: one row per catalog chapter of the writer's stories.
#: ``readers``/``reached``/``paywall_reached``/``unlocked`` as in ``story_chapter_stats``
#: (``reached``: starting readers who opened it); ``views``/``completions``: chapter opens
#: and completions over the chapter's life; ``release_day_opens``: readers whose first open
#: came within 24 hours of publication.
CHAPTER_COLUMNS = [
    "story_id",
    "chapter_id",
    "number",
    "title",
    "word_count",
    "published_at",
    "is_paid",
    "price_minor",
    "readers",
    "reached",
    "paywall_reached",
    "unlocked",
    "views",
    "completions",
    "release_day_opens",
]
#: ``WriterInputs.weekly_readers``: distinct readers per story and Monday-based UTC week
#: (weeks without a reader are absent: zero).
WEEKLY_COLUMNS = ["story_id", "week", "readers"]
#: ``WriterInputs.opens_by_hour``: first chapter opens that came more than 24 hours after
#: the chapter's publication ("own-time" reading, not a reaction to a release) in the
#: ``RELEASE_LOOKBACK_DAYS`` up to ``as_of``, by UTC weekday (0 = Monday) and hour.
HOUR_COLUMNS = ["weekday", "hour", "opens"]
#: ``WriterInputs.segments``: the writer's readers by trait combination (``None`` = trait
#: unknown): active in the previous ``SEGMENT_WINDOW_DAYS`` (``previous``), in the last
#: ``SEGMENT_WINDOW_DAYS`` up to ``as_of`` (``current``), and in both (``retained``).
SEGMENT_COLUMNS = [
    "country",
    "device",
    "age_band",
    "acquisition_source",
    "previous",
    "current",
    "retained",
]
SEGMENT_DIMENSIONS = ("country", "device", "age_band", "acquisition_source")
