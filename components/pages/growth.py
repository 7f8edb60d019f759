"""The Growth page: week-over-week and month-over-month change of views, readers,
followers and revenue, as cards, a comparison chart and a trend of weekly or 30-day
totals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components import ids
from components.feedback import loading
from components.formatting import format_change, format_value
from components.ids import kpi_value_id
from components.panels import chart_card, page_header

GROWTH_METRICS = (
    ("views", "Views"),
    ("unique_readers", "Readers"),
    ("follows", "New followers"),
    ("revenue", "Revenue"),
)
WEEKLY = "week"
MONTHLY = "month"
GRANULARITIES = ((WEEKLY, "Weekly totals"), (MONTHLY, "30-day totals"))


@dataclass(frozen=True)
class GrowthCardData:
    """One metric's totals: the 7 days ending on the period's last day and the 7 before,
    the 30 days ending then and the 30 before; changes are relative (``None`` when the
    earlier total is zero). ``unit`` as in ``components.formatting.format_value``."""

    key: str
    label: str
    unit: str
    week: float
    previous_week: float
    week_change: float | None
    month: float
    previous_month: float
    month_change: float | None


def _badge(change: float | None) -> Component:
    if change is None:
        return html.Span("new", className="kpi-change kpi-change-flat")
    if math.isclose(change, 0.0, abs_tol=0.0005):
        return html.Span("±0.0%", className="kpi-change kpi-change-flat")
    up = change > 0
    return html.Span(
        [
            html.I(className=f"bi {'bi-arrow-up-right' if up else 'bi-arrow-down-right'} me-1"),
            format_change(change),
        ],
        className=f"kpi-change {'kpi-change-up' if up else 'kpi-change-down'}",
    )


def growth_card(data: GrowthCardData, *, currency: str = "USD") -> Component:
    """A metric's week-over-week and month-over-month card. The week total carries the
    stable id ``kpi_value_id(<key>_week)`` for tests."""

    def show(value: float) -> str:
        return format_value(value, data.unit, currency)

    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(data.label, className="kpi-label mb-1"),
                html.Div(
                    show(data.week), id=kpi_value_id(f"{data.key}_week"), className="kpi-value"
                ),
                html.Div(
                    [
                        _badge(data.week_change),
                        html.Span(
                            f" week over week (vs {show(data.previous_week)})",
                            className="kpi-previous",
                        ),
                    ],
                    className="kpi-footer pb-3 mb-3 border-bottom",
                ),
                html.Div("Last 30 days", className="growth-window"),
                html.Div(
                    [
                        html.Span(
                            show(data.month),
                            id=kpi_value_id(f"{data.key}_month"),
                            className="growth-total me-2",
                        ),
                        _badge(data.month_change),
                    ],
                    className="d-flex align-items-center flex-wrap",
                ),
                html.Div(
                    f"month over month (vs {show(data.previous_month)})",
                    className="kpi-footer kpi-previous",
                ),
            ]
        ),
        className="kpi-card h-100",
    )


def growth_cards(cards: list[GrowthCardData], *, currency: str = "USD") -> Component:
    """The four metric cards: 4 across on laptops, 2 on tablets, 1 on phones."""
    return dbc.Row(
        [
            dbc.Col(growth_card(card, currency=currency), xs=12, sm=6, xl=3, className="mb-3")
            for card in cards
        ],
        className="g-3",
    )


def _switch(component_id: str, options: tuple[tuple[str, str], ...], value: str) -> Component:
    return dbc.RadioItems(
        id=component_id,
        options=[{"label": label, "value": key} for key, label in options],
        value=value,
        inline=True,
        className="metric-switch",
        inputClassName="btn-check",
        labelClassName="btn btn-sm btn-outline-primary me-1 mb-1",
        labelCheckedClassName="active",
    )


def layout(**_query: Any) -> Component:
    """Header, status, the four growth cards, the change chart and the trend chart with
    its metric and granularity switches (filled by callbacks.growth)."""
    return html.Div(
        [
            page_header(
                "Growth",
                ids.GROWTH_TITLE,
                ids.GROWTH_SUBTITLE,
                lead="Week over week: the last 7 days of the period against the 7 days "
                "before. Month over month: the last 30 days against the 30 before.",
            ),
            html.Div(id=ids.GROWTH_STATUS),
            loading(html.Div(id=ids.GROWTH_CARDS, className="kpi-grid")),
            dbc.Row(
                [
                    dbc.Col(chart_card(ids.GROWTH_CHANGE_CHART, height=380), xs=12, xl=5),
                    dbc.Col(
                        chart_card(
                            ids.GROWTH_TREND_CHART,
                            height=380,
                            controls=dbc.Row(
                                [
                                    dbc.Col(
                                        _switch(ids.GROWTH_METRIC, GROWTH_METRICS, "views"),
                                        xs=12,
                                        md=True,
                                    ),
                                    dbc.Col(
                                        dbc.Select(
                                            id=ids.GROWTH_GRANULARITY,
                                            options=[
                                                {"label": label, "value": key}
                                                for key, label in GRANULARITIES
                                            ],
                                            value=WEEKLY,
                                            size="sm",
                                            className="growth-granularity",
                                        ),
                                        xs=12,
                                        md="auto",
                                    ),
                                ],
                                className="g-2 align-items-center mb-1",
                            ),
                        ),
                        xs=12,
                        xl=7,
                    ),
                ],
                className="g-3 mb-3",
            ),
        ]
    )
