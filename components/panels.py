"""Building blocks the writer pages share: the page header and a card around a chart.

Pure layout (no I/O): ids come from ``components.ids``; the callbacks fill the charts.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.feedback import loading

#: Where the app serves plotly's world map (``app/assets/topojson``), so maps need no CDN.
TOPOJSON_URL = "/assets/topojson/"
#: Charts keep only the "download as PNG" button: zooming and selecting tools get in the
#: way on small cards and on touch screens.
GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
MAP_CONFIG: dict[str, Any] = {
    **GRAPH_CONFIG,
    "topojsonURL": TOPOJSON_URL,
    "scrollZoom": False,
}


def page_header(title: str, title_id: str, subtitle_id: str, *, lead: str = "") -> Component:
    """The page title, the subtitle the callback fills (who and which period) and an
    optional one-line explanation of the page."""
    children: list[Component] = [
        html.H1(title, id=title_id, className="h3 mb-1"),
        html.P(id=subtitle_id, className="text-secondary mb-0"),
    ]
    if lead:
        children.append(html.P(lead, className="page-lead small text-secondary mt-1 mb-0"))
    return html.Div(children, className="mb-4")


def chart_card(
    graph_id: str,
    *,
    height: int | None = 360,
    controls: Component | None = None,
    footer: Component | None = None,
    config: dict[str, Any] | None = None,
) -> Component:
    """A card holding one ``dcc.Graph`` (with a loading spinner while its callback runs),
    optional ``controls`` above it and a ``footer`` below (notes, definitions). The graph
    box is ``height`` pixels tall; ``None`` lets the figure's own height decide (charts
    whose height grows with their rows)."""
    body: list[Component] = []
    if controls is not None:
        body.append(controls)
    body.append(
        loading(
            dcc.Graph(
                id=graph_id,
                config=config or GRAPH_CONFIG,
                style={"height": f"{height}px"} if height is not None else {},
            ),
            kind="graph",
        )
    )
    if footer is not None:
        body.append(footer)
    return dbc.Card(dbc.CardBody(body), className="chart-card h-100")


def note(text: str | list[Component], *, icon: str = "bi-info-circle") -> Component:
    """A small explanatory line under a chart."""
    return html.P(
        [html.I(className=f"bi {icon} me-1"), *([text] if isinstance(text, str) else text)],
        className="chart-note small text-secondary mb-0 mt-2",
    )
