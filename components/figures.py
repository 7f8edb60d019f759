"""Plotly figures. Inputs are plain data (pandas objects, lists); no I/O."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.theme import METRIC_COLORS, MUTED, PRIMARY, base_layout

Y_TITLES = {
    "count": "Count",
    "money": "Revenue",
    "ratio": "Rate",
    "seconds": "Hours read",
}


def _to_display(values: pd.Series, unit: str) -> pd.Series:
    if unit == "money":
        return values / 100
    if unit == "seconds":
        return values / 3600
    if unit == "ratio":
        return values * 100
    return values


def _hover_format(unit: str, currency_symbol: str) -> str:
    if unit == "money":
        return f"{currency_symbol}%{{y:,.2f}}"
    if unit == "seconds":
        return "%{y:,.1f} h"
    if unit == "ratio":
        return "%{y:.1f}%"
    return "%{y:,.0f}"


def daily_metric_figure(
    current: pd.Series,
    previous: pd.Series | None,
    *,
    metric_key: str,
    metric_label: str,
    unit: str,
    currency_symbol: str = "$",
    annotations: list[dict] | None = None,
    partial_last_day: bool = False,
) -> go.Figure:
    """A daily line of ``current`` (indexed by date) with ``previous`` (same length, the
    comparison period) drawn dashed on the same x positions, and optional vertical
    markers ``annotations`` = [{"day": date, "label": str}]. With ``partial_last_day`` the
    last day (today, still in progress) is drawn as a dotted segment labelled "so far"."""
    color = METRIC_COLORS.get(metric_key, PRIMARY)
    figure = go.Figure(layout=base_layout(f"Daily {metric_label.lower()}", Y_TITLES[unit]))
    hover = _hover_format(unit, currency_symbol)
    x = pd.to_datetime(pd.Index(current.index))
    if previous is not None and len(previous) == len(current):
        previous_days = pd.to_datetime(pd.Index(previous.index))
        figure.add_trace(
            go.Scatter(
                x=x,
                y=_to_display(previous.astype(float), unit).to_numpy(),
                customdata=previous_days.strftime("%b %d, %Y"),
                name="Previous period",
                mode="lines",
                line={"color": MUTED, "dash": "dash", "width": 1.5},
                hovertemplate=f"Previous ({'%{customdata}'}): {hover}<extra></extra>",
            )
        )
    values = _to_display(current.astype(float), unit).to_numpy()
    split = len(values) - 1 if partial_last_day and len(values) > 1 else len(values)
    if split < len(values):
        figure.add_trace(
            go.Scatter(
                x=x[split - 1 :],
                y=values[split - 1 :],
                name="Today so far",
                mode="lines+markers",
                marker={"size": 5, "symbol": "circle-open"},
                line={"color": color, "width": 2, "dash": "dot"},
                hovertemplate=f"Today so far: {hover}<extra></extra>",
                showlegend=True,
            )
        )
    figure.add_trace(
        go.Scatter(
            x=x[:split],
            y=values[:split],
            name=metric_label,
            mode="lines+markers",
            marker={"size": 4},
            line={"color": color, "width": 2.5},
            fill="tozeroy",
            fillcolor=f"rgba({int(color[1:3], 16)},{int(color[3:5], 16)},{int(color[5:7], 16)},0.08)",
            hovertemplate=f"{metric_label}: {hover}<extra></extra>",
        )
    )
    if unit == "money":
        figure.update_yaxes(tickprefix=currency_symbol, tickformat=",.0f")
    elif unit == "ratio":
        figure.update_yaxes(ticksuffix="%", rangemode="tozero")
    else:
        figure.update_yaxes(tickformat=",.0f" if unit == "count" else ",.1f")
    for note in annotations or []:
        figure.add_vline(
            x=pd.Timestamp(note["day"]).to_pydatetime(),
            line={"color": "#cbd5e1", "width": 1, "dash": "dot"},
        )
    figure.update_xaxes(tickformat="%b %d")
    return figure


def empty_figure(title: str, message: str) -> go.Figure:
    """A titled, axis-free figure that shows ``message`` where the chart would be."""
    figure = go.Figure(layout=base_layout(title, ""))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.add_annotation(
        text=message,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 14, "color": MUTED},
    )
    return figure
