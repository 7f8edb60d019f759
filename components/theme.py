"""Colours and the plotly template used on every page, so a metric has one colour
everywhere."""

from __future__ import annotations

import plotly.graph_objects as go

PRIMARY = "#4f46e5"
MUTED = "#94a3b8"
POSITIVE = "#059669"
NEGATIVE = "#dc2626"
GRID = "#e2e8f0"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

METRIC_COLORS = {
    "views": "#4f46e5",
    "unique_readers": "#0ea5e9",
    "reading_seconds": "#14b8a6",
    "completion_rate": "#f59e0b",
    "follows": "#ec4899",
    "revenue": "#16a34a",
}


def base_layout(title: str, y_title: str, *, height: int = 360) -> go.Layout:
    """The shared figure layout: titled, labelled axes, unified hover, light grid."""
    return go.Layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 60, "r": 20, "t": 56, "b": 48},
        font={"family": FONT, "size": 12, "color": "#334155"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        xaxis={"title": {"text": "Date"}, "gridcolor": GRID, "showline": True, "linecolor": GRID},
        yaxis={"title": {"text": y_title}, "gridcolor": GRID, "rangemode": "tozero"},
    )
