"""Audience page: reader segments, new vs returning, devices, countries, age bands,
acquisition sources (one callback, from one ``data.queries.audience.audience_summary`` of
the period and the comparison period) and the cohort retention heat map (another, with
its own controls).

Definitions are the query layer's (docs/metrics.md, "Audience" and "Reader engagement"):
active readers, their traits and their active days come from ``data.queries.audience``;
the casual / regular / loyal split is ``app.analytics.engagement.reader_segment``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from app.analytics.engagement import SEGMENTS, reader_segment
from app.analytics.growth import relative_change
from callbacks.common import Viewer, filter_inputs, friendly_errors
from callbacks.page_context import build_for_viewer, page_context
from components import ids
from components.countries import country_iso3, country_name
from components.feedback import empty_state
from components.figures import (
    breakdown_bar_figure,
    country_map_figure,
    donut_figure,
    empty_figure,
    retention_heatmap_figure,
)
from components.formatting import format_int, format_percent
from components.kpi import KpiCardData, kpi_row
from components.pages.audience import COHORT_ENTRY_CHAPTER
from components.panels import note
from components.theme import (
    CATEGORY_COLORS,
    NEW_RETURNING_COLORS,
    PRIMARY,
    SEGMENT_COLORS,
)
from data.queries.audience import audience_summary, weekly_cohorts
from data.queries.filters import SEGMENT_VOCABULARY, UNKNOWN_TRAIT, Period, Scope
from data.queries.rankings import rank_stories
from data.queries.retention import entry_chapter_cohorts

SEGMENT_LABELS = {"casual": "Casual", "regular": "Regular", "loyal": "Loyal"}
DEVICE_LABELS = {"ios": "iOS", "android": "Android", "web": "Web"}
SOURCE_LABELS = {
    "organic": "Organic (in-app)",
    "search": "Search",
    "social": "Social",
    "referral": "Referral",
    "ads": "Ads",
    "email": "Email",
}
SEGMENT_HELP = {
    "loyal": "Readers active with you on at least 30% of the period's days.",
    "regular": "Readers active with you on 10% to 30% of the period's days.",
    "casual": "Readers active with you on fewer than 10% of the period's days.",
}
UNKNOWN_LABEL = "Not reported"
UNKNOWN_COLOR = "#cbd5e1"
TOP_COUNTRIES = 10
COHORT_WEEKS = 8
MAX_WEEK_COHORTS = 26
MAX_ENTRY_COHORTS = 12
ENTRY_OFFSETS = 10
NO_READERS_HELP = (
    "Nobody read your stories in this period. Try a longer period; if you expected "
    "readers, check that your reading apps send events to Legato (see the API guide)."
)
NO_READERS = "No readers in this period"
TRAITS_FAILED = "We couldn't load this chart. Please try again in a moment."
NO_TRAIT_HELP = "Your reading apps don't report this for the readers of this period."


@dataclass(frozen=True)
class TraitsView:
    """The Audience page's trait charts: devices, the country map and top list, age
    bands and acquisition sources."""

    devices: go.Figure
    country_map: go.Figure
    countries: go.Figure
    ages: go.Figure
    sources: go.Figure

    def figures(self) -> tuple[go.Figure, ...]:
        """The charts in the page's order (the callback's outputs)."""
        return self.devices, self.country_map, self.countries, self.ages, self.sources


@dataclass(frozen=True)
class AudienceView:
    """What the Audience callback puts on the page: header, KPI cards, segments, new vs
    returning and the trait charts."""

    subtitle: str
    status: Component | None
    kpis: Component
    segments: go.Figure
    new_returning: go.Figure
    traits: TraitsView


def segment_counts(histogram: pd.DataFrame, period_days: int) -> dict[str, int]:
    """Readers per segment (``SEGMENTS`` order, zeros included) from an
    ``activity_histogram`` frame (``active_days``, ``readers``) of a ``period_days`` period."""
    counts = dict.fromkeys(SEGMENTS, 0)
    if histogram.empty:
        return counts
    segments = reader_segment(histogram["active_days"].to_numpy(), period_days)
    for segment, readers in zip(segments, histogram["readers"], strict=True):
        counts[str(segment)] += int(readers)
    return counts


def _ordered(frame: pd.DataFrame, order: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` (a breakdown) in ``order``, then unknown; zero rows dropped."""
    rank = {value: index for index, value in enumerate((*order, UNKNOWN_TRAIT))}
    frame = frame[frame["readers"] > 0].copy()
    frame["rank"] = [rank.get(value, len(rank)) for value in frame["value"]]
    return frame.sort_values(["rank", "value"]).drop(columns="rank")


def _label(value: str, labels: dict[str, str]) -> str:
    if value == UNKNOWN_TRAIT:
        return UNKNOWN_LABEL
    return labels.get(value, value)


def _breakdown(
    frame: pd.DataFrame, *, title: str, labels: dict[str, str], order: tuple[str, ...] | None
) -> go.Figure:
    rows = _ordered(frame, order) if order is not None else frame[frame["readers"] > 0]
    if rows.empty or (rows["value"] == UNKNOWN_TRAIT).all():
        return empty_figure(title, NO_TRAIT_HELP)
    names = [_label(value, labels) for value in rows["value"]]
    colors = [UNKNOWN_COLOR if value == UNKNOWN_TRAIT else PRIMARY for value in rows["value"]]
    return breakdown_bar_figure(
        names,
        [int(n) for n in rows["readers"]],
        [float(s) for s in rows["share"]],
        title=title,
        colors=colors,
    )


def _devices(frame: pd.DataFrame) -> go.Figure:
    title = "Devices"
    rows = _ordered(frame, SEGMENT_VOCABULARY["device"])
    if rows.empty or (rows["value"] == UNKNOWN_TRAIT).all():
        return empty_figure(title, NO_TRAIT_HELP)
    colors = [
        UNKNOWN_COLOR if value == UNKNOWN_TRAIT else CATEGORY_COLORS[index]
        for index, value in enumerate(rows["value"])
    ]
    return donut_figure(
        [_label(value, DEVICE_LABELS) for value in rows["value"]],
        [int(n) for n in rows["readers"]],
        title=title,
        colors=colors,
        center_text=f"{format_int(rows['readers'].sum())}<br>readers",
    )


def _countries(frame: pd.DataFrame) -> tuple[go.Figure, go.Figure]:
    map_title, list_title = "Readers by country", f"Top {TOP_COUNTRIES} countries"
    known = frame[(frame["value"] != UNKNOWN_TRAIT) & (frame["readers"] > 0)]
    if known.empty:
        return empty_figure(map_title, NO_TRAIT_HELP), empty_figure(list_title, NO_TRAIT_HELP)
    on_map = known[[country_iso3(code) is not None for code in known["value"]]]
    figure_map = country_map_figure(
        [country_iso3(code) or "" for code in on_map["value"]],
        [country_name(code) for code in on_map["value"]],
        [int(n) for n in on_map["readers"]],
        [float(s) for s in on_map["share"]],
        title=map_title,
    )
    top = known.head(TOP_COUNTRIES)
    figure_list = breakdown_bar_figure(
        [country_name(code) for code in top["value"]],
        [int(n) for n in top["readers"]],
        [float(s) for s in top["share"]],
        title=list_title,
        colors=PRIMARY,
        height=380,
    )
    return figure_map, figure_list


def _segments_figure(counts: dict[str, int]) -> go.Figure:
    total = sum(counts.values())
    return donut_figure(
        [SEGMENT_LABELS[key] for key in SEGMENTS],
        [counts[key] for key in SEGMENTS],
        title="Reader segments",
        colors=[SEGMENT_COLORS[key] for key in SEGMENTS],
        center_text=f"{format_int(total)}<br>readers",
    )


def _new_returning_figure(new: int, returning: int) -> go.Figure:
    return donut_figure(
        ["New", "Returning"],
        [new, returning],
        title="New vs returning readers",
        colors=[NEW_RETURNING_COLORS["new"], NEW_RETURNING_COLORS["returning"]],
        center_text=f"{format_percent(returning / (new + returning))}<br>returning",
    )


def _card(key: str, label: str, value: int, previous: int, help_text: str) -> KpiCardData:
    return KpiCardData(
        key, label, "count", value, previous, relative_change(value, previous), help_text
    )


def build_audience(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    *,
    today: date,
) -> AudienceView:
    """The Audience page for ``viewer`` and the filter bar's values (writers: always
    their own scope), from one ``audience_summary`` of the period and the comparison
    period. Raises ``AccessDenied`` and ``FilterError``."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    filters = context.filters
    current, before = audience_summary(session, filters.scope, [filters.period, filters.comparison])
    split, split_before = current.split, before.split
    segments = segment_counts(current.histogram, filters.period.days)
    segments_before = segment_counts(before.histogram, filters.comparison.days)
    cards = [
        _card(
            "active_readers",
            "Active readers",
            split.total,
            split_before.total,
            "Distinct readers with any activity on your stories in the period.",
        ),
        _card(
            "new_readers",
            "New readers",
            split.new,
            split_before.new,
            "Active readers who had never read your stories before the period.",
        ),
        _card(
            "returning_readers",
            "Returning readers",
            split.returning,
            split_before.returning,
            "Active readers who had read your stories before the period.",
        ),
        *(
            _card(
                f"{key}_readers",
                f"{SEGMENT_LABELS[key]} readers",
                segments[key],
                segments_before[key],
                SEGMENT_HELP[key],
            )
            for key in reversed(SEGMENTS)
        ),
    ]
    kpis = kpi_row(cards, comparison_label=filters.comparison_label)
    if split.total == 0:
        return AudienceView(
            context.subtitle,
            empty_state("No readers in this period", NO_READERS_HELP, icon="bi-people"),
            kpis,
            empty_figure("Reader segments", NO_READERS),
            empty_figure("New vs returning readers", NO_READERS),
            traits_view({}),
        )
    return AudienceView(
        context.subtitle,
        None,
        kpis,
        _segments_figure(segments),
        _new_returning_figure(split.new, split.returning),
        traits_view(current.breakdowns),
    )


def traits_view(breakdowns: dict[str, pd.DataFrame]) -> TraitsView:
    """The trait charts of a period from its ``audience_breakdown`` frames by trait
    (``audience_summary``); every chart says there were no readers when nobody was active
    (``breakdowns`` empty, or no readers in them)."""
    if not breakdowns or int(breakdowns["country"]["readers"].sum()) == 0:
        titles = (
            "Devices",
            "Readers by country",
            f"Top {TOP_COUNTRIES} countries",
            "Age bands",
            "How readers found you",
        )
        return TraitsView(*(empty_figure(title, NO_READERS) for title in titles))
    country_map, countries = _countries(breakdowns["country"])
    return TraitsView(
        devices=_devices(breakdowns["device"]),
        country_map=country_map,
        countries=countries,
        ages=_breakdown(
            breakdowns["age_band"],
            title="Age bands",
            labels={},
            order=SEGMENT_VOCABULARY["age_band"],
        ),
        sources=_breakdown(
            breakdowns["acquisition_source"],
            title="How readers found you",
            labels=SOURCE_LABELS,
            order=None,
        ),
    )


# --------------------------------------------------------------------------- cohorts


@dataclass(frozen=True)
class CohortView:
    """The cohort heat map, its note, and the story picker (entry-chapter mode)."""

    figure: go.Figure
    note: str
    story_options: list[dict]
    story: int | None
    show_story_picker: bool


def week_cohort_matrix(frame: pd.DataFrame, weeks: int, last_day: date) -> pd.DataFrame:
    """A ``weekly_cohorts`` frame as one row per cohort week (the newest
    ``MAX_WEEK_COHORTS``) with ``readers`` and, per week offset 0..``weeks`` − 1,
    ``share_<k>`` and ``active_<k>``. Weeks after the first that are not over by
    ``last_day`` (the period's last day) are NaN: a week seen for a day or two is not
    comparable with a whole one. The first week always shows (it defines the cohort)."""
    if frame.empty:
        return pd.DataFrame(columns=["cohort_week", "readers"])
    sizes = frame.groupby("cohort_week")["readers"].first()
    shares = frame.pivot(index="cohort_week", columns="week_offset", values="share")
    active = frame.pivot(index="cohort_week", columns="week_offset", values="active")
    result = pd.DataFrame({"readers": sizes})
    for offset in range(weeks):
        over = [
            offset == 0 or _as_day(cohort) + timedelta(days=7 * offset + 6) <= last_day
            for cohort in result.index
        ]
        nan = float("nan")
        share = shares[offset] if offset in shares else pd.Series(nan, index=result.index)
        count = active[offset] if offset in active else pd.Series(nan, index=result.index)
        result[f"share_{offset}"] = share.where(over)
        result[f"active_{offset}"] = count.where(over)
    result = result.sort_index().tail(MAX_WEEK_COHORTS)
    return result.reset_index()


def _cell(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _count(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _heatmap(
    matrix: pd.DataFrame,
    row_labels: list[str],
    column_labels: list[str],
    count_prefix: str,
    *,
    title: str,
    x_title: str,
) -> go.Figure:
    """A cohort ``matrix`` (``readers``, ``share_<k>`` and ``<count_prefix>_<k>`` per
    column k) as a retention heat map, one row per cohort."""
    offsets = range(len(column_labels))
    rows = [row for _, row in matrix.iterrows()]
    return retention_heatmap_figure(
        row_labels,
        column_labels,
        [[_cell(row[f"share_{k}"]) for k in offsets] for row in rows],
        [[_count(row[f"{count_prefix}_{k}"]) for k in offsets] for row in rows],
        title=title,
        x_title=x_title,
        y_title="",
        row_sizes=[int(n) for n in matrix["readers"]],
    )


def _week_cohorts(session: Session, scope: Scope, period: Period) -> tuple[go.Figure, str]:
    title = "Cohort retention by first-read week"
    cohorts = weekly_cohorts(session, scope, period, COHORT_WEEKS)
    matrix = week_cohort_matrix(cohorts, COHORT_WEEKS, period.end)
    if matrix.empty:
        return (
            empty_figure(title, "No new readers started your stories in this period"),
            "Cohorts group readers by the week they first opened one of your chapters. "
            "Pick a longer period to see more cohorts.",
        )
    figure = _heatmap(
        matrix,
        [f"Week of {_as_day(day):%b %-d, %Y}" for day in matrix["cohort_week"]],
        ["First week" if k == 0 else f"Week {k}" for k in range(COHORT_WEEKS)],
        "active",
        title=title,
        x_title="Weeks since the first read",
    )
    return (
        figure,
        "Each row is the readers who first opened one of your chapters that week; a cell "
        "is the share of them who read anything of yours n weeks later. Empty cells are "
        "weeks not over by the period's last day.",
    )


def entry_cohort_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """An ``entry_chapter_cohorts`` frame as one row per entry chapter (the
    ``MAX_ENTRY_COHORTS`` largest, by chapter number) with ``readers`` and, per offset
    0..``ENTRY_OFFSETS``, ``share_<k>`` and ``reached_<k>`` (NaN past the last chapter)."""
    if frame.empty:
        return pd.DataFrame(columns=["entry_chapter", "readers"])
    sizes = frame.groupby("entry_chapter")["readers"].first()
    sizes = sizes[sizes > 0].sort_values(ascending=False, kind="mergesort")
    chosen = sorted(sizes.head(MAX_ENTRY_COHORTS).index)
    shares = frame.pivot(index="entry_chapter", columns="offset", values="share")
    reached = frame.pivot(index="entry_chapter", columns="offset", values="reached")
    result = pd.DataFrame({"readers": sizes.loc[chosen]})
    for offset in range(ENTRY_OFFSETS + 1):
        result[f"share_{offset}"] = shares[offset] if offset in shares else float("nan")
        result[f"reached_{offset}"] = reached[offset] if offset in reached else float("nan")
    return result.loc[chosen].rename_axis("entry_chapter").reset_index()


def _entry_cohorts(
    session: Session, scope: Scope, story_id: int, story_title: str
) -> tuple[go.Figure, str]:
    title = f"Cohort retention by entry chapter · {story_title}"
    matrix = entry_cohort_matrix(
        entry_chapter_cohorts(session, scope, story_id, max_offset=ENTRY_OFFSETS)
    )
    if matrix.empty:
        return (
            empty_figure(title, "Nobody has opened a chapter of this story yet"),
            "Entry-chapter cohorts appear once readers open the story's chapters.",
        )
    figure = _heatmap(
        matrix,
        [f"Started at chapter {int(n)}" for n in matrix["entry_chapter"]],
        ["Entry chapter" if k == 0 else f"+{k}" for k in range(ENTRY_OFFSETS + 1)],
        "reached",
        title=title,
        x_title="Chapters after the entry chapter",
    )
    return (
        figure,
        "Readers grouped by the first chapter of this story they opened (all time, not "
        "only this period; the largest groups); a cell is the share who went on to open "
        "the chapter that many chapters later.",
    )


def _as_day(value: object) -> date:
    return value if isinstance(value, date) else pd.Timestamp(value).date()


def build_cohorts(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    mode: object,
    story: object,
    *,
    today: date,
) -> CohortView:
    """The cohort heat map for ``viewer``: by first-read week over the period, or (``mode``
    ``"entry_chapter"``) by entry chapter of ``story`` when it is one of the scope's
    stories (else the scope's most-read story in the period). Raises ``AccessDenied`` and
    ``FilterError``."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    scope, period = context.filters.scope, context.filters.period
    if mode != COHORT_ENTRY_CHAPTER:
        figure, text = _week_cohorts(session, scope, period)
        return CohortView(figure, text, [], None, False)
    ranked = rank_stories(session, scope, period, "unique_readers")
    options = [
        {"label": str(title), "value": int(story_id)}
        for story_id, title in zip(ranked["story_id"], ranked["title"], strict=True)
    ]
    titles = {option["value"]: option["label"] for option in options}
    chosen = story if isinstance(story, int) and story in titles else None
    if chosen is None and options:
        chosen = options[0]["value"]
    if chosen is None:
        title = "Cohort retention by entry chapter"
        figure = empty_figure(title, "There are no stories to show yet")
        return CohortView(figure, "Publish a story to see its cohorts.", [], None, True)
    figure, text = _entry_cohorts(session, scope, chosen, titles[chosen])
    return CohortView(figure, text, options, chosen, True)


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Audience callbacks onto ``app``: the page (one ``audience_summary`` feeds
    the cards and every trait chart, so they come in one callback) and the cohorts (with
    their own controls)."""
    blank = empty_figure("", "")

    @app.callback(
        Output(ids.AUDIENCE_SUBTITLE, "children"),
        Output(ids.AUDIENCE_STATUS, "children"),
        Output(ids.AUDIENCE_KPIS, "children"),
        Output(ids.AUDIENCE_SEGMENTS_CHART, "figure"),
        Output(ids.AUDIENCE_NEW_RETURNING_CHART, "figure"),
        Output(ids.AUDIENCE_DEVICES_CHART, "figure"),
        Output(ids.AUDIENCE_MAP, "figure"),
        Output(ids.AUDIENCE_COUNTRIES_CHART, "figure"),
        Output(ids.AUDIENCE_AGE_CHART, "figure"),
        Output(ids.AUDIENCE_SOURCES_CHART, "figure"),
        *filter_inputs(),
    )
    @friendly_errors(
        "your audience",
        lambda alert: (
            "",
            alert,
            [],
            blank,
            blank,
            *(empty_figure("", TRAITS_FAILED) for _ in range(5)),
        ),
    )
    def update_audience(*filters: object) -> tuple:
        view = build_for_viewer(sessions, build_audience, *filters)
        return (
            view.subtitle,
            view.status,
            view.kpis,
            view.segments,
            view.new_returning,
            *view.traits.figures(),
        )

    hidden, shown = {"display": "none"}, {}

    @app.callback(
        Output(ids.AUDIENCE_COHORT_CHART, "figure"),
        Output(ids.AUDIENCE_COHORT_NOTE, "children"),
        Output(ids.AUDIENCE_COHORT_STORY, "options"),
        Output(ids.AUDIENCE_COHORT_STORY, "value"),
        Output(ids.AUDIENCE_COHORT_STORY_WRAPPER, "style"),
        *filter_inputs(),
        Input(ids.AUDIENCE_COHORT_MODE, "value"),
        Input(ids.AUDIENCE_COHORT_STORY, "value"),
    )
    @friendly_errors("the cohorts", lambda alert: (blank, alert, [], None, hidden))
    def update_cohorts(*values: object) -> tuple:
        view = build_for_viewer(sessions, build_cohorts, *values)  # filters, mode, story
        return (
            view.figure,
            note(view.note),
            view.story_options,
            view.story,
            shown if view.show_story_picker else hidden,
        )
