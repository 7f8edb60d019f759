"""Growth page: week-over-week and month-over-month change of views, readers, followers
and revenue as of the period's last day (``data.queries.growth.growth_totals``; change =
``app.analytics.growth.relative_change``), and a trend of weekly or 30-day totals over
the period.

Distinct readers cannot be added up across days, so the readers trend asks the query layer
for each window's distinct readers (``overview.unique_readers``); the other metrics sum the
daily series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from app.analytics.growth import relative_change
from callbacks.common import Viewer, filter_inputs, friendly_errors
from callbacks.page_context import build_for_viewer, page_context, reporting_currency
from components import ids
from components.feedback import empty_state
from components.figures import (
    change_bars_figure,
    display_values,
    empty_figure,
    period_bars_figure,
)
from components.formatting import format_change, format_value
from components.pages.growth import (
    GROWTH_METRICS,
    MONTHLY,
    WEEKLY,
    GrowthCardData,
    growth_cards,
)
from components.theme import METRIC_COLORS, PRIMARY
from data.queries.filters import Period, Scope
from data.queries.growth import MONTH_DAYS, WEEK_DAYS, growth_totals
from data.queries.overview import daily_series, unique_readers

LABELS = dict(GROWTH_METRICS)
UNITS = {"views": "count", "unique_readers": "count", "follows": "count", "revenue": "money"}
WINDOW_DAYS = {WEEKLY: WEEK_DAYS, MONTHLY: MONTH_DAYS}
#: The trend shows at least this many windows (so a short period still shows a trend) and
#: at most this many (so a long custom period stays quick and readable).
MIN_WINDOWS = {WEEKLY: 4, MONTHLY: 3}
MAX_WINDOWS = {WEEKLY: 26, MONTHLY: 12}
WOW_COLOR = PRIMARY
MOM_COLOR = "#a5b4fc"
NO_ACTIVITY_HELP = (
    "Nothing happened on your stories in the last 60 days of this period, so there is "
    "no growth to show. Pick a later period, or check that your reading apps send events."
)


@dataclass(frozen=True)
class GrowthView:
    """What the Growth cards callback puts on the page."""

    subtitle: str
    status: Component | None
    cards: Component
    changes: go.Figure


def growth_card_data(frame: pd.DataFrame) -> list[GrowthCardData]:
    """One card per row of a ``growth_totals`` frame, in ``GROWTH_METRICS`` order."""
    rows = {row.metric: row for row in frame.itertuples(index=False)}
    cards = []
    for key, label in GROWTH_METRICS:
        row = rows[key]
        cards.append(
            GrowthCardData(
                key,
                label,
                UNITS[key],
                float(row.week),
                float(row.previous_week),
                relative_change(row.week, row.previous_week),
                float(row.month),
                float(row.previous_month),
                relative_change(row.month, row.previous_month),
            )
        )
    return cards


def _hover(card: GrowthCardData, window: str, currency: str) -> str:
    if window == WEEKLY:
        value, previous, change, span = card.week, card.previous_week, card.week_change, 7
    else:
        value, previous, change, span = card.month, card.previous_month, card.month_change, 30
    shown = format_value(value, card.unit, currency)
    before = format_value(previous, card.unit, currency)
    return (
        f"{card.label}: {shown} in the last {span} days<br>"
        f"vs {before} in the {span} days before ({format_change(change)})"
    )


def changes_figure(cards: list[GrowthCardData], currency: str = "USD") -> go.Figure:
    """Week-over-week and month-over-month changes per metric as grouped bars."""
    return change_bars_figure(
        [card.label for card in cards],
        [
            ("Week over week", [card.week_change for card in cards], WOW_COLOR),
            ("Month over month", [card.month_change for card in cards], MOM_COLOR),
        ],
        [
            [_hover(card, WEEKLY, currency) for card in cards],
            [_hover(card, MONTHLY, currency) for card in cards],
        ],
        title="Change by metric",
    )


def build_growth(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    *,
    today: date,
    currency: str = "USD",
) -> GrowthView:
    """The Growth cards and change chart for ``viewer`` as of the period's last day
    (writers: always their own scope). Raises ``AccessDenied`` and ``FilterError``."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    as_of = context.filters.period.end
    cards = growth_card_data(growth_totals(session, context.filters.scope, as_of))
    subtitle = f"{context.who} · as of {as_of:%b %-d, %Y}"
    rendered = growth_cards(cards, currency=currency)
    if not any(
        card.month or card.previous_month or card.week or card.previous_week for card in cards
    ):
        return GrowthView(
            subtitle,
            empty_state("No activity to compare", NO_ACTIVITY_HELP, icon="bi-graph-up"),
            rendered,
            empty_figure("Change by metric", "No activity in the last 60 days"),
        )
    return GrowthView(subtitle, None, rendered, changes_figure(cards, currency))


def trend_windows(end: date, period_days: int, granularity: str) -> list[Period]:
    """Consecutive windows of 7 (``"week"``) or 30 (``"month"``) days ending on ``end``,
    oldest first: enough to cover ``period_days`` (between ``MIN_WINDOWS`` and
    ``MAX_WINDOWS``), plus one earlier window that the first one's change is computed from."""
    length = WINDOW_DAYS[granularity]
    count = min(
        MAX_WINDOWS[granularity], max(MIN_WINDOWS[granularity], math.ceil(period_days / length))
    )
    return [
        Period(end - timedelta(days=length * (index + 1) - 1), end - timedelta(days=length * index))
        for index in reversed(range(count + 1))
    ]


def _span(window: Period) -> str:
    if window.start.year == window.end.year:
        return f"{window.start:%b %-d} – {window.end:%b %-d, %Y}"
    return f"{window.start:%b %-d, %Y} – {window.end:%b %-d, %Y}"


def trend_frame(
    session: Session, scope: Scope, windows: list[Period], metric: str, currency: str = "USD"
) -> pd.DataFrame:
    """Per window after the first: ``label`` (its last day), ``span``, ``value`` (the
    metric's total in display units) and ``change`` against the window before (``None``
    when that was zero)."""
    if metric == "unique_readers":
        totals = [float(unique_readers(session, scope, window)) for window in windows]
    else:
        daily = daily_series(session, scope, Period(windows[0].start, windows[-1].end))[metric]
        days = pd.Index(daily.index)
        totals = [
            float(daily[(days >= window.start) & (days <= window.end)].sum()) for window in windows
        ]
    values = display_values(pd.Series(totals), UNITS[metric], currency).tolist()
    records = [
        (
            f"{window.end:%b %-d}",
            _span(window),
            values[index],
            relative_change(totals[index], totals[index - 1]),
        )
        for index, window in enumerate(windows)
        if index > 0
    ]
    return pd.DataFrame(records, columns=["label", "span", "value", "change"])


def build_trend(
    session: Session,
    viewer: Viewer,
    requested_writer: object,
    preset: object,
    start: object,
    end: object,
    compare: object,
    metric: object,
    granularity: object,
    *,
    today: date,
    currency: str = "USD",
) -> go.Figure:
    """The trend chart: ``metric`` (a key of ``GROWTH_METRICS``, default views) per 7-day
    (``granularity`` ``"week"``, the default) or 30-day window up to the period's last day.
    Raises ``AccessDenied`` and ``FilterError``."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    key = metric if metric in LABELS else "views"
    window = granularity if granularity in WINDOW_DAYS else WEEKLY
    period = context.filters.period
    windows = trend_windows(period.end, period.days, window)
    frame = trend_frame(session, context.filters.scope, windows, key, currency)
    noun = "weeks" if window == WEEKLY else "30-day windows"
    title = f"{LABELS[key]} over the last {len(frame)} {noun}"
    if not frame["value"].any():
        return empty_figure(title, "Nothing to show in these weeks: try a later period")
    return period_bars_figure(
        frame,
        metric_label=LABELS[key],
        unit=UNITS[key],
        color=METRIC_COLORS[key],
        title=title,
        x_title="Window ending",
        currency=currency,
    )


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Growth callbacks onto ``app``."""
    blank = empty_figure("", "")

    @app.callback(
        Output(ids.GROWTH_SUBTITLE, "children"),
        Output(ids.GROWTH_STATUS, "children"),
        Output(ids.GROWTH_CARDS, "children"),
        Output(ids.GROWTH_CHANGE_CHART, "figure"),
        *filter_inputs(),
    )
    @friendly_errors("your growth", lambda alert: ("", alert, [], blank))
    def update_growth(*filters: object) -> tuple:
        view = build_for_viewer(sessions, build_growth, *filters, currency=reporting_currency(app))
        return view.subtitle, view.status, view.cards, view.changes

    @app.callback(
        Output(ids.GROWTH_TREND_CHART, "figure"),
        *filter_inputs(),
        Input(ids.GROWTH_METRIC, "value"),
        Input(ids.GROWTH_GRANULARITY, "value"),
    )
    @friendly_errors(
        "the growth trend",
        lambda _alert: empty_figure("Trend", "We couldn't load this chart. Please try again."),
    )
    def update_trend(*values: object) -> go.Figure:  # filters, metric, granularity
        return build_for_viewer(sessions, build_trend, *values, currency=reporting_currency(app))
