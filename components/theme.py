"""Colours and the plotly template used on every page, so a metric has one colour
everywhere. Importing this module makes ``TEMPLATE`` plotly's default template."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

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
#: Reader types of a story (release-day / catch-up / binge) and timeline markers.
READER_TYPE_COLORS = {
    "all": "#1e293b",
    "release_day": "#4f46e5",
    "catch_up": "#0ea5e9",
    "binge": "#f59e0b",
}
RELEASE_COLOR = "#64748b"
HIATUS_COLOR = "#f59e0b"
ALERT = "#dc2626"
#: Reader segments by how often they came back (Audience page).
SEGMENT_COLORS = {"casual": "#a5b4fc", "regular": "#6366f1", "loyal": "#3730a3"}
#: New vs returning readers (Audience page).
NEW_RETURNING_COLORS = {"new": "#0ea5e9", "returning": "#4f46e5"}
#: Revenue sources (Revenue page, exports): shades of the revenue green plus two accents.
REVENUE_SOURCE_COLORS = {"unlocks": "#16a34a", "tips": "#f59e0b", "subscriptions": "#0d9488"}
#: Categorical breakdowns (devices, age bands, acquisition sources), in order of appearance.
CATEGORY_COLORS = ("#4f46e5", "#0ea5e9", "#14b8a6", "#f59e0b", "#ec4899", "#8b5cf6", "#64748b")
#: Sequential scales: readers per country on the map, cohort retention in the heat map.
MAP_SCALE = ((0.0, "#eef2ff"), (0.5, "#818cf8"), (1.0, "#312e81"))
HEATMAP_SCALE = ((0.0, "#f8fafc"), (0.15, "#e0e7ff"), (0.5, "#818cf8"), (1.0, "#312e81"))


#: The app's plotly template, plotly's default ("plotly") without what our charts never
#: draw: 3-D scenes, polar and ternary axes, colour axes and scales (our maps and heat
#: maps bring their own) and the defaults of trace types other than bars, pies, lines,
#: maps and heat maps. What remains is the look every figure starts from: fonts, the
#: default trace colours, backgrounds, axes and gridlines, hover labels, the map's land
#: and lakes, annotation and shape defaults. Registered as plotly's default on import, so
#: every figure gets it the way it got plotly's (assigned once, not validated per figure)
#: and looks as before, but carries about 1.5 kB of template instead of 7 kB, which
#: plotly copied into each figure and each callback response serialized.
TEMPLATE_NAME = "legato"
_INK = "#2a3f5f"
_PANEL = "#E5ECF6"
_AXIS = {
    "automargin": True,
    "gridcolor": "white",
    "linecolor": "white",
    "ticks": "",
    "title": {"standoff": 15},
    "zerolinecolor": "white",
    "zerolinewidth": 2,
}
_COLORBAR = {"colorbar": {"outlinewidth": 0, "ticks": ""}}
TEMPLATE = go.layout.Template(
    layout={
        "autotypenumbers": "strict",
        "colorway": [
            "#636efa",
            "#EF553B",
            "#00cc96",
            "#ab63fa",
            "#FFA15A",
            "#19d3f3",
            "#FF6692",
            "#B6E880",
            "#FF97FF",
            "#FECB52",
        ],
        "font": {"color": _INK},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "paper_bgcolor": "white",
        "plot_bgcolor": _PANEL,
        "title": {"x": 0.05},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "geo": {
            "bgcolor": "white",
            "landcolor": _PANEL,
            "subunitcolor": "white",
            "showland": True,
            "showlakes": True,
            "lakecolor": "white",
        },
        "annotationdefaults": {"arrowcolor": _INK, "arrowhead": 0, "arrowwidth": 1},
        "shapedefaults": {"line": {"color": _INK}},
    },
    data={
        "bar": [
            {
                "error_x": {"color": _INK},
                "error_y": {"color": _INK},
                "marker": {
                    "line": {"color": _PANEL, "width": 0.5},
                    "pattern": {"fillmode": "overlay", "size": 10, "solidity": 0.2},
                },
            }
        ],
        "pie": [{"automargin": True}],
        "scatter": [{"fillpattern": {"fillmode": "overlay", "size": 10, "solidity": 0.2}}],
        "choropleth": [_COLORBAR],
        "heatmap": [_COLORBAR],
    },
)
pio.templates[TEMPLATE_NAME] = TEMPLATE
pio.templates.default = TEMPLATE_NAME


def rgba(color: str, alpha: float) -> str:
    """``"#4f46e5"`` and 0.1 → ``"rgba(79,70,229,0.1)"`` (for fills under lines)."""
    red, green, blue = (int(color[index : index + 2], 16) for index in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def base_layout_spec(title: str, y_title: str, *, height: int = 360) -> dict:
    """The shared figure layout as a fresh plain dict (callers may change it): titled,
    labelled axes (x titled "Date"), unified hover, light grid, ``height`` pixels high.
    ``components.figures.titled_figure`` builds figures on it."""
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 56, "b": 48},
        "font": {"family": FONT, "size": 12, "color": "#334155"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        "xaxis": {
            "title": {"text": "Date"},
            "gridcolor": GRID,
            "showline": True,
            "linecolor": GRID,
        },
        "yaxis": {"title": {"text": y_title}, "gridcolor": GRID, "rangemode": "tozero"},
    }
