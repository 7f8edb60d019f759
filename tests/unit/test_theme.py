"""``components.theme.TEMPLATE``: the app's lean plotly template.

Every figure gets it (it is plotly's default once ``components.theme`` is imported) instead
of plotly's full default template, and it keeps every setting of that default that our
charts can show, so they look as before (the before/after screenshots of the Overview,
Audience and Revenue pages are pixel-identical); only the parts for chart kinds we never
draw are left out.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from components.figures import (
    breakdown_bar_figure,
    country_map_figure,
    daily_metric_figure,
    donut_figure,
    empty_figure,
    retention_heatmap_figure,
)
from components.theme import TEMPLATE, TEMPLATE_NAME

#: Layout parts of plotly's default for chart kinds we never draw (3-D, polar, ternary,
#: colour axes) or that our maps and heat maps set themselves (colour scales).
LEFT_OUT_LAYOUT = {"polar", "ternary", "scene", "coloraxis", "colorscale"}
#: The trace types our figures use.
TRACE_TYPES = {"bar", "pie", "scatter", "choropleth", "heatmap"}


def _plotly_default() -> dict[str, Any]:
    return pio.templates["plotly"].to_plotly_json()


def _figures() -> list[go.Figure]:
    days = pd.Series([3.0, 5.0], index=pd.to_datetime(["2026-01-05", "2026-01-06"]))
    return [
        daily_metric_figure(days, days, metric_key="views", metric_label="Views", unit="count"),
        donut_figure(["New", "Returning"], [3, 5], title="Split", colors=["#111", "#222"]),
        breakdown_bar_figure(["US", "FR"], [5, 3], [0.625, 0.375], title="Countries"),
        country_map_figure(["USA", "FRA"], ["US", "FR"], [5, 3], [0.625, 0.375], title="Map"),
        retention_heatmap_figure(
            ["Week 1"],
            ["0", "+1"],
            [[1.0, 0.5]],
            [[4, 2]],
            title="Cohorts",
            x_title="Weeks",
            y_title="",
            row_sizes=[4],
        ),
        empty_figure("Nothing", "No readers"),
    ]


def test_figures_carry_the_lean_template() -> None:
    assert pio.templates.default == TEMPLATE_NAME
    lean = TEMPLATE.to_plotly_json()
    for figure in _figures():
        assert figure.layout.template.to_plotly_json() == lean
    full = len(json.dumps(_plotly_default()))
    assert len(json.dumps(lean)) < full / 3


def test_keeps_every_default_our_charts_can_show() -> None:
    default, lean = _plotly_default(), TEMPLATE.to_plotly_json()
    kept_layout = {k: v for k, v in default["layout"].items() if k not in LEFT_OUT_LAYOUT}
    assert lean["layout"] == kept_layout
    assert set(lean["data"]) == TRACE_TYPES
    for trace_type in TRACE_TYPES - {"heatmap"}:
        assert lean["data"][trace_type] == default["data"][trace_type], trace_type
    heatmap = {k: v for k, v in default["data"]["heatmap"][0].items() if k != "colorscale"}
    assert lean["data"]["heatmap"] == [heatmap]


def test_our_maps_and_heat_maps_set_their_colour_scales() -> None:
    """The template leaves plotly's default colour scales out: every figure that colours
    by value must bring its own."""
    for figure in _figures():
        for trace in figure.data:
            if trace.type in {"choropleth", "heatmap"}:
                assert trace.colorscale is not None, trace.type
