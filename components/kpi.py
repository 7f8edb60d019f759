"""KPI cards: a value, its change against the previous period, and the previous value."""

from __future__ import annotations

import math
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components.formatting import format_change, format_value
from components.ids import kpi_value_id


@dataclass(frozen=True)
class KpiCardData:
    """What one card shows; ``change`` is relative (0.1 = +10%), ``None`` when the
    previous period was zero."""

    key: str
    label: str
    unit: str
    value: float
    previous: float
    change: float | None
    help_text: str = ""


def _change_badge(change: float | None) -> Component:
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


def kpi_card(data: KpiCardData, *, currency: str = "USD", comparison_label: str) -> Component:
    """One KPI card. ``comparison_label`` names the previous period (e.g. "previous 28 days")."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(data.label, className="kpi-label", title=data.help_text),
                html.Div(
                    format_value(data.value, data.unit, currency),
                    id=kpi_value_id(data.key),
                    className="kpi-value",
                ),
                html.Div(
                    [
                        _change_badge(data.change),
                        html.Span(
                            f" vs {format_value(data.previous, data.unit, currency)} "
                            f"in the {comparison_label}",
                            className="kpi-previous",
                        ),
                    ],
                    className="kpi-footer",
                ),
            ]
        ),
        className="kpi-card h-100",
    )


def kpi_row(cards: list[KpiCardData], *, currency: str = "USD", comparison_label: str) -> Component:
    """The responsive grid of KPI cards (3 per row on laptops, 2 on tablets)."""
    return dbc.Row(
        [
            dbc.Col(
                kpi_card(card, currency=currency, comparison_label=comparison_label),
                xs=12,
                sm=6,
                xl=4,
                xxl=2,
                className="mb-3",
            )
            for card in cards
        ],
        className="g-3",
    )
