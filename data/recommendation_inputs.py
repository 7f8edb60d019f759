"""The shape of the recommendations job's inputs: the columns of the frames that
``data.recommendation_store.recommendation_inputs`` reads and the rules in
``app.analytics.recommendations`` take (``WriterInputs``). Plain data, no storage: both
sides import it, so the contract is written once.
"""

from __future__ import annotations

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
