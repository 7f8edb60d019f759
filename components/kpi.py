"""KPI cards: a value, its change against the comparison period, the comparison value and
an optional daily sparkline."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.formatting import format_change, format_value
from components.ids import kpi_value_id
from components.theme import METRIC_COLORS, PRIMARY, rgba


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
    #: Daily values of the period for the sparkline (display units), oldest first, and the
    #: hover text of each point; no sparkline when empty.
    trend: Sequence[float] = ()
    trend_labels: Sequence[str] = ()


def sparkline_figure(key: str, values: Sequence[float], labels: Sequence[str]) -> dict:
    """A tiny, axis-free line of ``values`` in the metric's colour; hovering a point shows
    its label from ``labels`` (same length). A plain figure dict: building six validated
    ``go.Figure`` objects per page load would cost more than the page's queries."""
    color = METRIC_COLORS.get(key, PRIMARY)
    trace: dict = {
        "type": "scatter",
        "y": [float(value) for value in values],
        "mode": "lines",
        "line": {"color": color, "width": 1.8, "shape": "spline", "smoothing": 0.6},
        "fill": "tozeroy",
        "fillcolor": rgba(color, 0.10),
        "hoverinfo": "skip",
    }
    if len(labels) == len(values):
        trace.update(text=list(labels), hovertemplate="%{text}<extra></extra>")
        del trace["hoverinfo"]
    return {
        "data": [trace],
        "layout": {
            "height": 44,
            "margin": {"l": 0, "r": 0, "t": 2, "b": 2},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "showlegend": False,
            "hoverlabel": {"font": {"size": 11}},
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True, "rangemode": "tozero"},
        },
    }


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
                *(
                    [
                        dcc.Graph(
                            figure=sparkline_figure(data.key, data.trend, data.trend_labels),
                            config={"displayModeBar": False, "responsive": True},
                            className="kpi-sparkline",
                            style={"height": "44px"},
                            responsive=True,
                        )
                    ]
                    if len(data.trend) > 1
                    else []
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
