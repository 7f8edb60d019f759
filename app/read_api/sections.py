"""The read API's sections: query-layer results finished with ``app.analytics`` and turned
into JSON-ready dicts. Every function takes a session and an already-authorised scope and
returns ``None`` when the story or reader it names is not in that scope.

Dashboards that need the same numbers call the same ``data.queries`` functions and
``app.analytics`` finishers used here, so each metric is still computed in one place.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from app.analytics.cadence import detect_hiatuses
from app.analytics.dropoff import abnormal_losses
from app.analytics.engagement import SEGMENTS, reader_segment, story_engagement_score
from app.analytics.growth import median_of, percentile_rank, relative_change
from data.queries import (
    annotations,
    audience,
    content,
    engagement,
    export,
    growth,
    overview,
    rankings,
    realtime,
    retention,
)
from data.queries.common import story_in_scope
from data.queries.filters import FilterError, Period, Scope, Segment

COMPARISON_METRICS = (
    "views",
    "unique_readers",
    "reading_seconds",
    "completion_rate",
    "follows",
    "revenue",
    "engagement_score",
)


def jsonable(value: Any) -> Any:
    """``value`` with dates as ISO strings, numpy scalars as Python numbers and NaN as
    ``None``, recursively through dicts, lists and DataFrames (as lists of records)."""
    if isinstance(value, pd.DataFrame):
        return [
            {str(k): jsonable(v) for k, v in zip(value.columns, row, strict=True)}
            for row in value.itertuples(index=False)
        ]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _period(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def with_engagement_score(frame: pd.DataFrame, readers_column: str) -> pd.DataFrame:
    """``frame`` with an ``engagement_score`` column from its counters."""
    result = frame.copy()
    if result.empty:
        result["engagement_score"] = pd.Series(dtype=float)
        return result
    result["engagement_score"] = story_engagement_score(
        readers=result[readers_column],
        views=result["views"],
        completions=result["completions"],
        reading_seconds=result["reading_seconds"],
        likes=result["likes"],
        comments=result["comments"],
        shares=result["shares"],
        follows=result["follows"],
    )
    return result


def timeline(
    session: Session, scope: Scope, period: Period, story_id: int | None = None
) -> pd.DataFrame:
    """Releases, hiatuses (starting or ending in the period) and experiments, by time."""
    parts = [annotations.release_annotations(session, scope, period, story_id)]
    titles = annotations.story_titles(session, scope)
    as_of = datetime.combine(period.end, datetime.max.time())
    start = datetime.combine(period.start, datetime.min.time())
    hiatuses = []
    for story, releases in annotations.release_history(session, scope, story_id).items():
        upto = [moment for moment in releases if moment <= as_of]
        for gap in detect_hiatuses(upto, as_of=as_of):
            if gap.start >= start:
                hiatuses.append(
                    (
                        gap.start,
                        "hiatus_start",
                        story,
                        None,
                        f"{titles.get(story, story)}: no chapter for {gap.days:.0f} days "
                        f"(usually every {gap.usual_days:.0f})",
                    )
                )
            if gap.end is not None and gap.end >= start:
                hiatuses.append(
                    (gap.end, "hiatus_end", story, None, f"{titles.get(story, story)}: back")
                )
    parts.append(pd.DataFrame(hiatuses, columns=annotations.ANNOTATION_COLUMNS))
    parts.append(annotations.experiment_annotations(session, scope, period))
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=annotations.ANNOTATION_COLUMNS)
    return pd.concat(parts).sort_values(["at", "kind"], kind="mergesort").reset_index(drop=True)


def overview_section(session: Session, scope: Scope, period: Period) -> dict[str, Any]:
    kpis = overview.overview_kpis(session, scope, period)
    return jsonable(
        {
            "period": _period(period),
            "previous_period": _period(period.previous()),
            "kpis": [
                {
                    "key": k.key,
                    "label": k.label,
                    "unit": k.unit,
                    "value": k.value,
                    "previous": k.previous,
                    "change": k.change,
                }
                for k in kpis
            ],
            "daily": overview.daily_series(session, scope, period).reset_index(),
            "annotations": timeline(session, scope, period),
        }
    )


def revenue_section(session: Session, scope: Scope, period: Period) -> dict[str, Any]:
    summary = content.revenue_summary(session, scope, period)
    previous = content.revenue_summary(session, scope, period.previous())
    return jsonable(
        {
            "period": _period(period),
            "total": summary.total,
            "previous_total": previous.total,
            "change": relative_change(summary.total, previous.total),
            "by_source": {
                "unlocks": summary.unlocks,
                "tips": summary.tips,
                "subscriptions": summary.subscriptions,
            },
            "unique_readers": summary.unique_readers,
            "paying_readers": summary.paying_readers,
            "revenue_per_reader": summary.revenue_per_reader,
            "revenue_per_paying_reader": summary.revenue_per_paying_reader,
            "daily": summary.by_day,
            "stories": summary.by_story,
        }
    )


def segment_filter(segment: Segment | None) -> dict[str, list[str]]:
    """The trait conditions of ``segment`` as JSON (``{}`` for every reader)."""
    return {} if segment is None else {k: list(v) for k, v in segment.conditions().items()}


def audience_section(
    session: Session,
    scope: Scope,
    period: Period,
    weeks: int = 8,
    segment: Segment | None = None,
) -> dict[str, Any]:
    """Breakdowns, new vs returning and first-read-week cohorts, each over the readers in
    ``segment`` (echoed as ``segment_filter``). The breakdowns and the split come from one
    ``audience_summary`` statement (the Audience page's), the cohorts from another."""
    (summary,) = audience.audience_summary(session, scope, [period], segment=segment)
    split = summary.split
    return jsonable(
        {
            "period": _period(period),
            "segment_filter": segment_filter(segment),
            "breakdowns": {
                dimension: summary.breakdowns[dimension] for dimension in audience.DIMENSIONS
            },
            "new_vs_returning": {
                "new": split.new,
                "returning": split.returning,
                "total": split.total,
            },
            "weekly_cohorts": audience.weekly_cohorts(
                session, scope, period, weeks, segment=segment
            ),
        }
    )


def growth_section(session: Session, scope: Scope, as_of: date) -> dict[str, Any]:
    totals = growth.growth_totals(session, scope, as_of)
    rows = [
        {
            "metric": row.metric,
            "week": row.week,
            "previous_week": row.previous_week,
            "wow": relative_change(row.week, row.previous_week),
            "month": row.month,
            "previous_month": row.previous_month,
            "mom": relative_change(row.month, row.previous_month),
        }
        for row in totals.itertuples(index=False)
    ]
    return jsonable({"as_of": as_of, "metrics": rows})


def ranking_section(
    session: Session,
    scope: Scope,
    period: Period,
    metric: str,
    descending: bool,
    limit: int | None,
) -> dict[str, Any]:
    if metric == "engagement_score":
        stories = with_engagement_score(
            rankings.rank_stories(session, scope, period, "views"), "unique_readers"
        )
        stories = stories.sort_values(
            ["engagement_score", "story_id"], ascending=[not descending, True], kind="mergesort"
        ).reset_index(drop=True)
        stories["rank"] = range(1, len(stories) + 1)
        if limit is not None:
            stories = stories.head(limit)
    else:
        stories = with_engagement_score(
            rankings.rank_stories(
                session, scope, period, metric, descending=descending, limit=limit
            ),
            "unique_readers",
        )
    return jsonable(
        {
            "period": _period(period),
            "metric": metric,
            "order": "desc" if descending else "asc",
            "stories": stories,
        }
    )


def segments_of(histogram: pd.DataFrame, period: Period) -> list[dict[str, Any]]:
    """Readers per segment from an active-days histogram (all segments listed)."""
    counts = dict.fromkeys(SEGMENTS, 0)
    if not histogram.empty:
        labels = reader_segment(histogram["active_days"].to_numpy(), period.days)
        for label, readers in zip(labels, histogram["readers"], strict=True):
            counts[str(label)] += int(readers)
    total = sum(counts.values())
    return [
        {"segment": name, "readers": n, "share": n / total if total else 0.0}
        for name, n in counts.items()
    ]


def engagement_section(
    session: Session, scope: Scope, period: Period, limit: int, segment: Segment | None = None
) -> dict[str, Any]:
    """Casual/regular/loyal counts and the most engaged readers, over the readers in
    ``segment`` (the trait filter, echoed as ``segment_filter``)."""
    top = engagement.most_engaged_readers(session, scope, period, limit, segment=segment)
    if not top.empty:
        top["segment"] = reader_segment(top["active_days"].to_numpy(), period.days)
    histogram = engagement.activity_histogram(session, scope, period, segment=segment)
    return jsonable(
        {
            "period": _period(period),
            "segment_filter": segment_filter(segment),
            "segments": segments_of(histogram, period),
            "most_engaged": top,
        }
    )


def reader_section(
    session: Session, scope: Scope, reader_id: int, period: Period
) -> dict[str, Any] | None:
    activity = engagement.reader_activity(session, scope, reader_id, period)
    if activity is None:
        return None
    return jsonable(
        {
            "period": _period(period),
            "reader_id": activity.reader_id,
            "active_days": activity.active_days,
            "segment": reader_segment(activity.active_days, period.days),
            "chapter_views": activity.chapter_views,
            "completions": activity.completions,
            "reading_seconds": activity.reading_seconds,
            "revenue": activity.revenue,
            "last_active": activity.last_active,
            "stories": activity.stories,
        }
    )


def story_performance_section(
    session: Session, scope: Scope, story_id: int, period: Period
) -> dict[str, Any] | None:
    story = story_in_scope(session, scope, story_id)
    if story is None:
        return None
    row = with_engagement_score(
        content.story_performance(session, scope, period, story_ids=[story_id]), "unique_readers"
    )
    chapters = with_engagement_score(
        content.chapter_performance(session, scope, story_id, period), "new_readers"
    )
    return jsonable(
        {
            "period": _period(period),
            "story": jsonable(row)[0],
            "chapters": chapters,
            "annotations": timeline(session, scope, period, story_id),
        }
    )


def story_insights_section(
    session: Session, scope: Scope, story_id: int, period: Period
) -> dict[str, Any] | None:
    if story_in_scope(session, scope, story_id) is None:
        return None
    curve = retention.chapter_retention(session, scope, story_id)
    checks = abnormal_losses([None if pd.isna(v) else float(v) for v in curve["loss"]])
    curve["median_loss"] = [None if c is None else c.median_loss for c in checks]
    curve["loss_z_score"] = [None if c is None else c.z_score for c in checks]
    curve["abnormal"] = [bool(c is not None and c.abnormal) for c in checks]
    return jsonable(
        {
            "story_id": story_id,
            "retention": curve,
            "abnormal_chapters": [
                int(n)
                for n, bad in zip(curve["chapter_number"], curve["abnormal"], strict=True)
                if bad
            ],
            "reader_types": retention.reader_type_mix(session, scope, story_id),
            "retention_by_reader_type": retention.retention_by_reader_type(
                session, scope, story_id
            ),
            "hook_rates": retention.hook_rates(session, scope, story_id),
            "paywall": retention.paywall_conversion(session, scope, story_id),
            "revenue_per_reader": retention.story_revenue_per_reader(
                session, scope, story_id, period
            ),
            "entry_chapter_cohorts": retention.entry_chapter_cohorts(session, scope, story_id),
        }
    )


def comparison_section(
    session: Session, scope: Scope, story_id: int, period: Period
) -> dict[str, Any] | None:
    frames = rankings.comparison_frames(session, scope, story_id, period)
    if frames is None:
        return None
    mine = with_engagement_score(frames.writer_stories, "unique_readers")
    genre = with_engagement_score(frames.genre_stories, "unique_readers")
    story = mine.loc[mine["story_id"] == story_id].iloc[0]
    rows = []
    for metric in COMPARISON_METRICS:
        value = float(story[metric])
        rows.append(
            {
                "metric": metric,
                "value": value,
                "writer_median": median_of([float(v) for v in mine[metric]]),
                "genre_percentile": percentile_rank([float(v) for v in genre[metric]], value),
            }
        )
    return jsonable(
        {
            "period": _period(period),
            "story_id": story_id,
            "genre": str(frames.story["genre"]),
            "writer_stories": len(mine),
            "genre_stories": len(genre),
            "metrics": rows,
        }
    )


def realtime_section(
    session: Session, now: datetime | None = None, *, max_future_seconds: int = 3600
) -> dict[str, Any]:
    """Real-time platform metrics (``max_future_seconds``: the ingest's
    ``INGEST_MAX_FUTURE_SECONDS``, see ``data.queries.realtime``)."""
    snap = realtime.realtime_snapshot(
        session, now, max_future=timedelta(seconds=max_future_seconds)
    )
    return jsonable(
        {
            "as_of": snap.as_of,
            "active_readers": snap.active_readers,
            "reading_now": snap.reading_now,
            "revenue_today": snap.revenue_today,
            "signups_today": snap.signups_today,
            "top_stories": snap.top_stories,
            "per_minute": snap.per_minute,
        }
    )


def export_section(session: Session, scope: Scope, period: Period, table: str) -> pd.DataFrame:
    """The export table (raises ``FilterError`` naming ``table`` when unknown)."""
    try:
        return export.export_table(session, scope, period, table)
    except FilterError as error:
        raise FilterError(str(error)) from error
