"""Story detail page (``/stories/<story_id>``): one story's KPIs, retention by reader type
with abnormal drop-offs, hook rates, paywall conversion, revenue per chapter and its
comparison with the writer's median and its genre.

Scope: a writer sees only their own stories — any other id (another writer's story, or
none at all) gives the same "story not found" state and no data; an admin sees any story,
whatever the writer picker says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from app.analytics.dropoff import abnormal_losses
from app.analytics.engagement import engagement_scores
from app.analytics.growth import median_of, percentile_rank, relative_change
from callbacks.common import (
    Filters,
    Viewer,
    describe_period,
    filter_inputs,
    friendly_errors,
    resolve_filters,
)
from callbacks.page_context import build_for_viewer, reporting_currency
from components import ids
from components.feedback import empty_state
from components.figures import empty_figure
from components.formatting import (
    CURRENCY_SYMBOLS,
    format_int,
    format_percent,
    format_value,
    minor_to_major,
)
from components.kpi import KpiCardData, kpi_row
from components.story_views import (
    ComparisonLine,
    chapter_revenue_figure,
    comparison_panel,
    hooks_figure,
    paywall_figure,
    reader_mix_panel,
    retention_figure,
)
from data.queries.content import chapter_performance, story_performance
from data.queries.filters import Scope
from data.queries.overview import KPI_SPECS, writer_name
from data.queries.rankings import comparison_frames
from data.queries.retention import (
    chapter_retention,
    hook_rates,
    paywall_conversion,
    reader_type_mix,
    retention_by_reader_type,
)

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
NOT_FOUND_TITLE = "Story not found"
STORY_KPI_HELP = {
    "views": "Chapter opens of this story in the period.",
    "unique_readers": "Distinct readers of this story in the period.",
    "reading_seconds": "Time spent reading this story.",
    "completion_rate": "Chapter completions per chapter open.",
    "follows": "New follows of this story.",
    "revenue": "Unlocks, tips and subscriptions attributed to this story.",
}
#: Metrics of the comparison panel: (column, label, unit).
COMPARED = (
    ("views", "Views", "count"),
    ("unique_readers", "Readers", "count"),
    ("completion_rate", "Completion rate", "ratio"),
    ("revenue_per_reader", "Revenue per reader", "money"),
    ("engagement", "Engagement score", "score"),
)


@dataclass(frozen=True)
class StoryView:
    """Everything the story callback puts on the page. ``found`` is false for a story the
    viewer may not see (or that does not exist); the page then shows ``status`` only."""

    found: bool
    title: str
    subtitle: str
    status: Component | None
    kpis: Component | list
    retention: go.Figure
    dropoff_note: Component | None
    hooks: go.Figure
    paywall: go.Figure
    revenue: go.Figure
    comparison: Component | None


def parse_story_id(value: object) -> int | None:
    """The story id of the path variable, or ``None`` unless it is a positive integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if 0 < number < 2**63 else None
    return None


def story_scope(viewer: Viewer, filters: Filters) -> Scope:
    """Whose stories ``viewer`` may open: an admin any story (the platform), a writer
    their own (the filters' scope, which is always the writer's own)."""
    return Scope(writer_id=None) if viewer.is_admin else filters.scope


def not_found_view(raw_id: object) -> StoryView:
    """The page for a story the viewer may not see: the same for a missing story and for
    another writer's story, so it reveals nothing about either."""
    shown = str(raw_id)[:40] if raw_id not in (None, "") else "?"
    status = html.Div(
        [
            empty_state(
                "We can't show this story",
                f"There is no story “{shown}” among the stories you can see. It may have "
                "been removed, or the link may be meant for another writer's account.",
                icon="bi-journal-x",
            ),
            html.Div(
                dcc.Link("Back to your stories", href="/stories", className="btn btn-primary"),
                className="text-center",
            ),
        ],
        id="story-not-found",
    )
    blank = empty_figure("", "")
    return StoryView(False, NOT_FOUND_TITLE, "", status, [], blank, None, blank, blank, blank, None)


def _with_engagement(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(engagement=engagement_scores(frame))


def _format_compared(value: float | None, unit: str, currency: str) -> str:
    if value is None:
        return "–"
    if unit == "score":
        return f"{value:.0f}"
    if unit == "count" and not float(value).is_integer():
        return f"{value:,.1f}"  # a median of an even number of stories
    return format_value(value, unit, currency)


def comparison_lines(
    story: pd.Series, writer_stories: pd.DataFrame, genre_stories: pd.DataFrame, currency: str
) -> list[ComparisonLine]:
    """Each ``COMPARED`` metric of ``story`` against the median of ``writer_stories`` and
    its percentile rank among ``genre_stories`` (frames with an ``engagement`` column)."""
    lines = []
    for column, label, unit in COMPARED:
        value = float(story[column])
        median = median_of([float(v) for v in writer_stories[column]])
        percentile = percentile_rank([float(v) for v in genre_stories[column]], value)
        lines.append(
            ComparisonLine(
                label,
                _format_compared(value, unit, currency),
                _format_compared(median, unit, currency),
                relative_change(value, median) if median is not None else None,
                percentile,
            )
        )
    return lines


def chapter_name(number: int, title: str) -> str:
    """``Chapter 8 “The Lost Choice”``, or the title alone when it already names the
    chapter (``Chapter 8: The Lost Choice``)."""
    title = title.strip()
    if not title:
        return f"Chapter {number}"
    if title.lower().startswith((f"chapter {number}", f"ch. {number}", f"ch {number}")):
        return f"“{title}”"
    return f"Chapter {number} “{title}”"


def dropoff_note(curve: pd.DataFrame) -> Component | None:
    """A sentence under the retention chart: the abnormal drop-offs, or that there are
    none (``None`` without enough chapters to tell)."""
    known = curve["loss"].dropna()
    if len(known) < 3:
        return None
    usual = float(known.median())
    flagged = curve[curve["abnormal"].astype(bool)]
    if flagged.empty:
        return html.P(
            [
                html.I(className="bi bi-check-circle text-positive me-2"),
                "No abnormal drop-off: every chapter loses about as many readers as this "
                f"story usually does (median loss {format_percent(usual)} per chapter).",
            ],
            className="small mb-0",
        )
    items = [
        html.Li(
            f"{chapter_name(int(row.chapter_number), str(row.title))} lost "
            f"{format_percent(float(row.loss))} of the previous chapter's readers."
        )
        for row in flagged.itertuples(index=False)
    ]
    return html.Div(
        [
            html.P(
                [
                    html.I(className="bi bi-exclamation-triangle text-negative me-2"),
                    f"Abnormal drop-off (this story usually loses {format_percent(usual)} "
                    "per chapter):",
                ],
                className="small mb-1 fw-semibold",
            ),
            html.Ul(items, className="small mb-0"),
        ],
        className="dropoff-note",
    )


def _retention(
    session: Session, scope: Scope, story_id: int
) -> tuple[go.Figure, Component | None, pd.DataFrame]:
    """The retention figure, the drop-off note and the reader-type mix of the story."""
    mix = reader_type_mix(session, scope, story_id)
    curve = chapter_retention(session, scope, story_id)
    if curve.empty or int(curve["reached"].iloc[0]) == 0:
        return (
            empty_figure(
                "Chapter retention",
                "No reader has opened chapter 1 yet: retention starts with the first readers.",
            ),
            None,
            mix,
        )
    checks = abnormal_losses([None if pd.isna(loss) else float(loss) for loss in curve["loss"]])
    curve = curve.assign(abnormal=[bool(check and check.abnormal) for check in checks])
    by_type = retention_by_reader_type(session, scope, story_id)
    return retention_figure(curve, by_type, mix), dropoff_note(curve), mix


def _hooks(session: Session, scope: Scope, story_id: int) -> go.Figure:
    hooks = hook_rates(session, scope, story_id)
    if hooks.empty:
        return empty_figure(
            "Next-chapter hook rate",
            "Needs at least two published chapters: publish the next chapter to see it.",
        )
    if int(hooks["completers"].sum()) == 0:
        return empty_figure(
            "Next-chapter hook rate", "No reader has finished a chapter yet, so nobody read on."
        )
    return hooks_figure(hooks)


def _paywall(session: Session, scope: Scope, story_id: int, currency: str) -> go.Figure:
    paywall = paywall_conversion(session, scope, story_id)
    if paywall.empty:
        return empty_figure(
            "Paywall conversion",
            "This story has no paid chapters. Mark a chapter as paid to see its conversion.",
        )
    if int(paywall["reached"].sum()) == 0:
        return empty_figure("Paywall conversion", "No reader has reached a paid chapter yet.")
    shown = paywall.assign(
        unlock_revenue=[
            minor_to_major(float(v), currency) or 0.0 for v in paywall["unlock_revenue"]
        ]
    )
    return paywall_figure(shown, currency_symbol=CURRENCY_SYMBOLS.get(currency, "$"))


def _revenue(
    session: Session, scope: Scope, story_id: int, filters: Filters, currency: str
) -> go.Figure:
    chapters = chapter_performance(session, scope, story_id, filters.period)
    if chapters.empty or int(chapters["revenue"].sum()) == 0:
        return empty_figure(
            "Revenue per chapter",
            "No chapter earned revenue in this period. Try a longer period.",
        )
    shown = chapters[["number", "title"]].copy()
    for column in ("revenue_unlock", "revenue_tip", "revenue_subscription"):
        shown[column] = [minor_to_major(float(v), currency) or 0.0 for v in chapters[column]]
    return chapter_revenue_figure(shown, currency_symbol=CURRENCY_SYMBOLS.get(currency, "$"))


def _kpis(
    current: pd.Series, before: pd.Series | None, filters: Filters, currency: str
) -> Component:
    cards = []
    for spec in KPI_SPECS:
        value = float(current[spec.key])
        previous = float(before[spec.key]) if before is not None else 0.0
        cards.append(
            KpiCardData(
                spec.key,
                spec.label,
                spec.unit,
                value,
                previous,
                relative_change(value, previous),
                STORY_KPI_HELP[spec.key],
            )
        )
    return kpi_row(cards, currency=currency, comparison_label=filters.comparison_label)


def build_story(
    session: Session,
    viewer: Viewer,
    raw_story_id: object,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object = "previous",
    *,
    today: date,
    currency: str = "USD",
) -> StoryView:
    """The story page of ``raw_story_id`` (the path variable) for ``viewer`` and the
    filter values. A story outside the viewer's scope, a missing story and a malformed id
    all give :func:`not_found_view` (no query reads the story's data then). Raises
    ``FilterError`` for a bad custom range and ``AccessDenied`` for an unlinked account.
    """
    filters = resolve_filters(viewer, requested_writer, preset, start, end, compare, today=today)
    story_id = parse_story_id(raw_story_id)
    if story_id is None:
        return not_found_view(raw_story_id)
    scope = story_scope(viewer, filters)
    # The scope check comes first (inside comparison_frames): nothing else is read for a
    # story the viewer may not see.
    frames = comparison_frames(session, scope, story_id, filters.period)
    if frames is None:
        return not_found_view(raw_story_id)
    row = frames.story
    before = story_performance(session, scope, filters.comparison, story_ids=[story_id])
    own = not viewer.is_admin
    stories = _with_engagement(frames.writer_stories)
    genre = _with_engagement(frames.genre_stories)
    this = stories[stories["story_id"] == story_id].iloc[0]
    retention, note, mix = _retention(session, scope, story_id)
    comparison = html.Div(
        [
            comparison_panel(
                comparison_lines(this, stories, genre, currency),
                writer_stories=len(stories),
                genre=str(row["genre"] or "genre"),
                genre_stories=len(genre),
                own=own,
            ),
            reader_mix_panel(mix),
        ]
    )
    by = "" if own else f" · by {writer_name(session, int(row['writer_id'])) or 'unknown writer'}"
    subtitle = (
        f"{str(row['genre'] or 'No genre').capitalize()} · {row['status']} · "
        f"{format_int(int(row['chapters']))} chapters{by} · {describe_period(filters.period)}"
    )
    has_reading = bool(row["views"] or row["unique_readers"])
    status = (
        None
        if has_reading
        else empty_state(
            "Not read in this period",
            "Nobody opened this story in the selected period, so its period numbers are "
            "zero. Try a longer period; the all-time charts below still apply.",
            icon="bi-book",
        )
    )
    return StoryView(
        True,
        str(row["title"]),
        subtitle,
        status,
        _kpis(row, before.iloc[0] if not before.empty else None, filters, currency),
        retention,
        note,
        _hooks(session, scope, story_id),
        _paywall(session, scope, story_id, currency),
        _revenue(session, scope, story_id, filters, currency),
        comparison,
    )


def _failed(alert: Component) -> tuple:
    blank = empty_figure("", "")
    return "Story", "", alert, HIDDEN, [], blank, None, blank, blank, blank, None


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the story detail callback onto ``app``."""

    @app.callback(
        Output(ids.STORY_TITLE, "children"),
        Output(ids.STORY_SUBTITLE, "children"),
        Output(ids.STORY_STATUS, "children"),
        Output(ids.STORY_CONTENT, "style"),
        Output(ids.STORY_KPIS, "children"),
        Output(ids.STORY_RETENTION_CHART, "figure"),
        Output(ids.STORY_DROPOFF_NOTE, "children"),
        Output(ids.STORY_HOOK_CHART, "figure"),
        Output(ids.STORY_PAYWALL_CHART, "figure"),
        Output(ids.STORY_REVENUE_CHART, "figure"),
        Output(ids.STORY_COMPARISON, "children"),
        Input(ids.STORY_ID, "data"),
        *filter_inputs(),
    )
    @friendly_errors("this story", _failed)
    def update_story(story_id: object, *filters: object) -> tuple:
        view = build_for_viewer(
            sessions, build_story, story_id, *filters, currency=reporting_currency(app)
        )
        return (
            view.title,
            view.subtitle,
            view.status,
            SHOWN if view.found else HIDDEN,
            view.kpis,
            view.retention,
            view.dropoff_note,
            view.hooks,
            view.paywall,
            view.revenue,
            view.comparison,
        )
