"""Revenue page: KPI cards against the comparison period, revenue by source over time,
the source mix and revenue by story (definitions: docs/metrics.md, "Content performance";
``data.queries.content.revenue_summary``).

The revenue forecast is the one the forecasting job stored for the scope
(``data.queries.forecasts.stored_forecast``); until there is one the page says that it
shows history only. Requests never fit a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Output, html, no_update
from dash.development.base_component import Component
from sqlalchemy.orm import Session, sessionmaker

from app.analytics.growth import relative_change
from callbacks.common import Viewer, filter_inputs, friendly_errors
from callbacks.page_context import build_for_viewer, page_context, reporting_currency
from components import ids
from components.feedback import empty_state
from components.figures import (
    donut_figure,
    empty_figure,
    forecast_figure,
    stacked_money_figure,
    value_template,
)
from components.formatting import format_money
from components.kpi import KpiCardData, kpi_row
from components.pages.revenue import FORECAST_PENDING, forecast_message
from components.theme import REVENUE_SOURCE_COLORS
from data.queries.content import RevenueSummary, revenue_summary
from data.queries.forecasts import StoredForecast, stored_forecast

SOURCES = (
    ("unlocks", "Chapter unlocks"),
    ("tips", "Tips"),
    ("subscriptions", "Subscriptions"),
)
SERIES = [(key, label, REVENUE_SOURCE_COLORS[key]) for key, label in SOURCES]
TOP_STORIES = 12
#: Forecast days shown, and the observed days drawn before them.
FORECAST_DAYS = 30
FORECAST_HISTORY_DAYS = 60
#: Longer periods are drawn per week, and longer still per month, so bars stay readable.
WEEKLY_FROM_DAYS = 120
MONTHLY_FROM_DAYS = 400
HIDDEN: dict[str, str] = {"display": "none"}
SHOWN: dict[str, str] = {}
NO_REVENUE_HELP = (
    "Nobody unlocked a chapter, tipped or subscribed in this period. Try a longer period; "
    "paid chapters and tips are set up in your publishing app."
)


@dataclass(frozen=True)
class RevenueView:
    """Everything the Revenue callback puts on the page."""

    subtitle: str
    status: Component | None
    kpis: Component
    sources: go.Figure
    mix: go.Figure
    stories: go.Figure
    forecast_note: list
    forecast: go.Figure | None


def revenue_cards(current: RevenueSummary, previous: RevenueSummary) -> list[KpiCardData]:
    """The Revenue KPI cards (money in minor units) with the comparison period's values."""

    def card(key: str, label: str, unit: str, value: float, before: float, text: str):
        return KpiCardData(key, label, unit, value, before, relative_change(value, before), text)

    return [
        card(
            "revenue",
            "Revenue",
            "money",
            current.total,
            previous.total,
            "Chapter unlocks, tips and subscriptions.",
        ),
        card(
            "revenue_unlocks",
            "Chapter unlocks",
            "money",
            current.unlocks,
            previous.unlocks,
            "Paid chapters readers unlocked.",
        ),
        card("revenue_tips", "Tips", "money", current.tips, previous.tips, "Tips from readers."),
        card(
            "revenue_subscriptions",
            "Subscriptions",
            "money",
            current.subscriptions,
            previous.subscriptions,
            "Subscriptions started or renewed.",
        ),
        card(
            "paying_readers",
            "Paying readers",
            "count",
            current.paying_readers,
            previous.paying_readers,
            "Active readers who paid anything in the period.",
        ),
        card(
            "revenue_per_paying_reader",
            "Per paying reader",
            "money",
            current.revenue_per_paying_reader,
            previous.revenue_per_paying_reader,
            "Revenue divided by paying readers.",
        ),
    ]


def bucketed(by_day: pd.DataFrame, days: int) -> tuple[pd.DataFrame, str]:
    """``by_day`` (``day`` + money columns) summed per day, per week (Monday-based) from
    ``WEEKLY_FROM_DAYS`` days, per month from ``MONTHLY_FROM_DAYS``; returns the frame
    (``bucket`` as timestamps, the money columns) and the x-axis title."""
    frame = by_day.copy()
    frame["bucket"] = pd.to_datetime(frame["day"])
    columns = [key for key, _ in SOURCES]
    if days >= MONTHLY_FROM_DAYS:
        frame["bucket"] = frame["bucket"].dt.to_period("M").dt.start_time
        title = "Month"
    elif days >= WEEKLY_FROM_DAYS:
        frame["bucket"] = frame["bucket"].dt.to_period("W-SUN").dt.start_time
        title = "Week (starting Monday)"
    else:
        return frame[["bucket", *columns]], "Date"
    return frame.groupby("bucket", as_index=False)[columns].sum(), title


def _sources_figure(summary: RevenueSummary, days: int, currency: str) -> go.Figure:
    frame, x_title = bucketed(summary.by_day, days)
    granularity = {"Date": "Daily", "Month": "Monthly"}.get(x_title, "Weekly")
    return stacked_money_figure(
        frame,
        x="bucket",
        series=SERIES,
        title=f"{granularity} revenue by source",
        x_title=x_title,
        currency=currency,
        x_tickformat="%b %-d" if x_title != "Month" else "%b %Y",
    )


def _mix_figure(summary: RevenueSummary, currency: str) -> go.Figure:
    return donut_figure(
        [label for _, label in SOURCES],
        [getattr(summary, key) for key, _ in SOURCES],
        title="Revenue mix",
        colors=[color for _, _, color in SERIES],
        center_text=format_money(summary.total, currency),
        value_template=value_template("money", currency),
        height=380,
    )


def _stories_figure(summary: RevenueSummary, currency: str) -> go.Figure:
    title = "Revenue by story"
    stories = summary.by_story.head(TOP_STORIES)
    if stories.empty:
        return empty_figure(title, "No story earned anything in this period")
    if len(summary.by_story) > TOP_STORIES:
        title = f"Revenue by story (top {TOP_STORIES} of {len(summary.by_story)})"
    frame = stories.assign(label=[str(t) for t in stories["title"]])
    return stacked_money_figure(
        frame,
        x="label",
        series=SERIES,
        title=title,
        x_title="",
        currency=currency,
        orientation="h",
        height=max(300, 120 + 28 * len(frame)),
    )


def forecast_view(
    forecast: StoredForecast | None, history: pd.DataFrame, currency: str
) -> tuple[list, go.Figure | None]:
    """The forecast panel's text and chart: ``None`` chart (and the pending note, or the
    job's own explanation) when there is no stored forecast with points; else the last
    ``FORECAST_HISTORY_DAYS`` observed days of ``history`` (``day``, ``total``) and the
    forecast with its bands."""
    if forecast is None:
        return forecast_message(FORECAST_PENDING), None
    if forecast.points.empty:
        return forecast_message(forecast.message or FORECAST_PENDING), None
    observed = history.set_index("day")["total"]
    if forecast.history_end is not None:  # not today's partial day the forecast left out
        observed = observed[[day <= forecast.history_end for day in observed.index]]
    observed = observed.tail(FORECAST_HISTORY_DAYS)
    figure = forecast_figure(
        observed,
        forecast.points,
        title=f"Revenue forecast, next {len(forecast.points)} days",
        currency=currency,
        forecast_label=forecast.model_label,
    )
    text = forecast.message or forecast.model_label
    if forecast.typical_error_pct is not None:
        text += f" Typical error ±{forecast.typical_error_pct}%."
    if forecast.history_end is not None:
        text += f" Based on your revenue up to {forecast.history_end:%b %-d, %Y}."
    outlook = month_end_outlook(forecast, currency)
    return forecast_message(text) + ([html.Br(), outlook] if outlook else []), figure


def month_end_outlook(forecast: StoredForecast, currency: str) -> str | None:
    """The month-end P10–P90 range in words ("By Jun 30 this month's revenue will most
    likely be $1,234 (80% range $1,100 – $1,390); $900 so far."), or ``None`` when the
    stored forecast has no month range (projections, or the month ends before the first
    forecast day)."""
    if forecast.month_end is None or None in (
        forecast.month_p10,
        forecast.month_p50,
        forecast.month_p90,
    ):
        return None
    so_far = (
        f"; {format_money(forecast.month_to_date, currency)} so far"
        if forecast.month_to_date is not None
        else ""
    )
    return (
        f"By {forecast.month_end:%b %-d} this month's revenue will most likely be "
        f"{format_money(forecast.month_p50, currency)} (80% range "
        f"{format_money(forecast.month_p10, currency)} – "
        f"{format_money(forecast.month_p90, currency)}){so_far}."
    )


def build_revenue(
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
) -> RevenueView:
    """The Revenue page for ``viewer`` and the filter bar's values (writers: always their
    own scope). Raises ``AccessDenied`` and ``FilterError``."""
    context = page_context(
        session, viewer, requested_writer, preset, start, end, compare, today=today
    )
    scope, period = context.filters.scope, context.filters.period
    current = revenue_summary(session, scope, period)
    previous = revenue_summary(session, scope, context.filters.comparison)
    kpis = kpi_row(
        revenue_cards(current, previous),
        currency=currency,
        comparison_label=context.filters.comparison_label,
    )
    note, forecast = forecast_view(
        stored_forecast(session, scope, "revenue", horizon_days=FORECAST_DAYS),
        current.by_day,
        currency,
    )
    if current.total == 0:
        message = "No revenue in this period"
        return RevenueView(
            context.subtitle,
            empty_state(message, NO_REVENUE_HELP, icon="bi-cash-coin"),
            kpis,
            empty_figure("Revenue by source", message),
            empty_figure("Revenue mix", message),
            empty_figure("Revenue by story", message),
            note,
            forecast,
        )
    return RevenueView(
        context.subtitle,
        None,
        kpis,
        _sources_figure(current, period.days, currency),
        _mix_figure(current, currency),
        _stories_figure(current, currency),
        note,
        forecast,
    )


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the Revenue callback onto ``app``."""
    blank = empty_figure("", "")

    @app.callback(
        Output(ids.REVENUE_SUBTITLE, "children"),
        Output(ids.REVENUE_STATUS, "children"),
        Output(ids.REVENUE_KPIS, "children"),
        Output(ids.REVENUE_SOURCES_CHART, "figure"),
        Output(ids.REVENUE_MIX_CHART, "figure"),
        Output(ids.REVENUE_STORIES_CHART, "figure"),
        Output(ids.REVENUE_FORECAST_NOTE, "children"),
        Output(ids.REVENUE_FORECAST_CHART, "figure"),
        Output(ids.REVENUE_FORECAST_WRAPPER, "style"),
        *filter_inputs(),
    )
    @friendly_errors(
        "your revenue",
        lambda alert: ("", alert, [], blank, blank, blank, no_update, blank, HIDDEN),
    )
    def update_revenue(*filters: object) -> tuple:
        view = build_for_viewer(sessions, build_revenue, *filters, currency=reporting_currency(app))
        return (
            view.subtitle,
            view.status,
            view.kpis,
            view.sources,
            view.mix,
            view.stories,
            view.forecast_note,
            view.forecast if view.forecast is not None else blank,
            SHOWN if view.forecast is not None else HIDDEN,
        )
