"""Plotly figures. Inputs are plain data (pandas objects, lists); no I/O.

Every figure of the app is built by :func:`figure` from plain trace and layout dicts, in
one step and without plotly's per-property validation (see its docstring)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.formatting import (
    CURRENCY_SYMBOLS,
    ZERO_DECIMAL_CURRENCIES,
    format_change,
    format_percent,
)
from components.theme import (
    HEATMAP_SCALE,
    HIATUS_COLOR,
    MAP_SCALE,
    METRIC_COLORS,
    MUTED,
    PRIMARY,
    RELEASE_COLOR,
    base_layout_spec,
    rgba,
)


def figure(traces: list[dict], layout: dict) -> go.Figure:
    """A ``go.Figure`` of ``traces`` on ``layout``, built without plotly's validation.

    Contract: each trace is a plain dict with a ``"type"`` key (``"bar"``, ``"scatter"``,
    ``"pie"``, ``"choropleth"``, ``"heatmap"``, …) and plotly's property names; ``layout``
    is a plain dict of layout properties. Values are sent to the browser as given, so they
    must be what plotly's validators would have produced: lists, numpy arrays, strings,
    numbers, dates (not pandas objects). Names and values are not checked here, per request
    (validating every property cost more than a page's queries): the figure builders are
    checked against plotly's schema in the tests (``tests/unit/test_figure_specs.py``),
    which rebuild each figure with validation. The registered default template
    (``components.theme.TEMPLATE``) is applied as for any figure, and ``update_*`` calls
    on the result stay unvalidated."""
    return go.Figure(data=traces, layout=layout, _validate=False)


def _merge(target: dict, update: dict) -> dict:
    """``target`` updated in place with ``update`` key by key, nested dicts merged (what
    ``update_layout`` does), and returned."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


def titled_figure(
    title: str, y_title: str, traces: list[dict], layout: dict, *, height: int = 360
) -> go.Figure:
    """:func:`figure` of ``traces`` on the shared layout
    (``components.theme.base_layout_spec``) merged with ``layout`` (nested dicts merged
    key by key, like ``update_layout``; a value of another type replaces)."""
    return figure(traces, _merge(base_layout_spec(title, y_title, height=height), layout))


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
    comparison_name: str = "Previous period",
    hiatuses: list[dict] | None = None,
) -> go.Figure:
    """A daily line of ``current`` (indexed by date) with ``previous`` (same length, the
    comparison period, legend name ``comparison_name``) drawn dashed on the same x
    positions. ``annotations`` = [{"day": date, "label": str}] are releases: a marker on
    the baseline per day, whose hover lists that day's labels (no vertical lines: a
    writer with many stories releases most days). ``hiatuses`` = [{"start": date, "end":
    date, "label": str}] are shaded bands
    labelled at the top. With ``partial_last_day`` the last day (today, still in progress)
    is drawn as a dotted segment labelled "so far"."""
    color = METRIC_COLORS.get(metric_key, PRIMARY)
    y_title = metric_label if unit == "count" else Y_TITLES[unit]
    hover = _hover_format(unit, currency_symbol)
    x = pd.to_datetime(pd.Index(current.index)).to_numpy()
    traces: list[dict] = []
    if previous is not None and len(previous) == len(current):
        previous_days = pd.to_datetime(pd.Index(previous.index))
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": _to_display(previous.astype(float), unit).to_numpy(),
                "customdata": previous_days.strftime("%b %d, %Y").tolist(),
                "name": comparison_name,
                "mode": "lines",
                "line": {"color": MUTED, "dash": "dash", "width": 1.5},
                "hovertemplate": f"{comparison_name} ({'%{customdata}'}): {hover}<extra></extra>",
            }
        )
    values = _to_display(current.astype(float), unit).to_numpy()
    split = len(values) - 1 if partial_last_day and len(values) > 1 else len(values)
    if split < len(values):
        traces.append(
            {
                "type": "scatter",
                "x": x[split - 1 :],
                "y": values[split - 1 :],
                "name": "Today so far",
                "mode": "lines+markers",
                "marker": {"size": 5, "symbol": "circle-open"},
                "line": {"color": color, "width": 2, "dash": "dot"},
                "hovertemplate": f"Today so far: {hover}<extra></extra>",
                "showlegend": True,
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": x[:split],
            "y": values[:split],
            "name": metric_label,
            "mode": "lines+markers",
            "marker": {"size": 4},
            "line": {"color": color, "width": 2.5},
            "fill": "tozeroy",
            "fillcolor": rgba(color, 0.08),
            "hovertemplate": f"{metric_label}: {hover}<extra></extra>",
        }
    )
    if unit == "money":
        yaxis = {"tickprefix": currency_symbol, "tickformat": ",.0f"}
    elif unit == "ratio":
        yaxis = {"ticksuffix": "%", "rangemode": "tozero"}
    else:
        yaxis = {"tickformat": ",.0f" if unit == "count" else ",.1f"}
    releases = _releases_trace(annotations or [])
    if releases is not None:
        traces.append(releases)
    layout: dict = {"xaxis": {"tickformat": "%b %d"}, "yaxis": yaxis}
    shapes, labels = _hiatus_bands(hiatuses or [])
    if shapes:
        layout.update(shapes=shapes, annotations=labels)
    return titled_figure(f"Daily {metric_label.lower()}", y_title, traces, layout)


RELEASES_SHOWN_PER_DAY = 4


def _releases_trace(annotations: list[dict]) -> dict | None:
    """One marker per release day on the baseline, hover listing the day's releases;
    ``None`` without releases."""
    by_day: dict[pd.Timestamp, list[str]] = {}
    for note in annotations:
        by_day.setdefault(pd.Timestamp(note["day"]).normalize(), []).append(str(note["label"]))
    if not by_day:
        return None
    days = sorted(by_day)
    texts = []
    for day in days:
        labels = by_day[day]
        shown = "<br>".join(labels[:RELEASES_SHOWN_PER_DAY])
        more = len(labels) - RELEASES_SHOWN_PER_DAY
        texts.append(shown + (f"<br>and {more} more" if more > 0 else ""))
    return {
        "type": "scatter",
        "x": [day.to_pydatetime() for day in days],
        "y": [0] * len(days),
        "text": texts,
        "name": "Chapter release",
        "mode": "markers",
        "marker": {"symbol": "triangle-up", "size": 10, "color": RELEASE_COLOR},
        "cliponaxis": False,
        "hovertemplate": "Released: %{text}<extra></extra>",
    }


def _hiatus_bands(hiatuses: list[dict]) -> tuple[list[dict], list[dict]]:
    """The layout shapes (shaded bands) and annotations (labels at the top, staggered over
    three rows) of ``hiatuses``."""
    shapes, labels = [], []
    for index, band in enumerate(hiatuses):
        start = pd.Timestamp(band["start"]).to_pydatetime()
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": start,
                "x1": pd.Timestamp(band["end"]).to_pydatetime(),
                "y0": 0,
                "y1": 1,
                "fillcolor": rgba(HIATUS_COLOR, 0.10),
                "line": {"width": 0},
                "layer": "below",
            }
        )
        labels.append(
            {
                "x": start,
                "xref": "x",
                "xanchor": "left",
                "y": 1 - 0.07 * (index % 3),
                "yref": "paper",
                "yanchor": "top",
                "text": str(band["label"]),
                "showarrow": False,
                "font": {"size": 11, "color": "#92400e"},
            }
        )
    return shapes, labels


def empty_figure(title: str, message: str) -> go.Figure:
    """A titled, axis-free figure that shows ``message`` where the chart would be."""
    return titled_figure(
        title,
        "",
        [],
        {
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": message,
                    "showarrow": False,
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                    "font": {"size": 14, "color": MUTED},
                }
            ],
        },
    )


# --------------------------------------------------------------------------- breakdowns, maps,
# heat maps and money series (Audience, Revenue and Growth pages)

#: Plotly number formats by unit for hover labels and bar texts (``money`` gets the
#: currency symbol in front; values must already be in display units, see ``display_values``).
VALUE_FORMATS = {"count": ",.0f", "money": ",.2f", "ratio": ".1%", "seconds": ",.1f"}


def display_values(values: pd.Series, unit: str, currency: str = "USD") -> pd.Series:
    """``values`` in display units: money from minor to major units of ``currency`` (no
    change for zero-decimal currencies), seconds as hours; counts and ratios unchanged."""
    values = values.astype(float)
    if unit == "money":
        return values if currency in ZERO_DECIMAL_CURRENCIES else values / 100
    if unit == "seconds":
        return values / 3600
    return values


def _value_format(unit: str, currency: str) -> tuple[str, str]:
    """(prefix, d3 format) of a display value: ``("$", ",.2f")`` for USD money."""
    if unit == "money":
        decimals = ",.0f" if currency in ZERO_DECIMAL_CURRENCIES else ",.2f"
        return CURRENCY_SYMBOLS.get(currency, f"{currency} "), decimals
    return "", VALUE_FORMATS.get(unit, ",.0f")


def value_template(unit: str, currency: str = "USD", field: str = "value") -> str:
    """A plotly hover template fragment for ``field`` in ``unit``: ``"$%{value:,.2f}"`` for
    USD money, ``"%{value:,.0f}"`` for counts."""
    prefix, number = _value_format(unit, currency)
    return f"{prefix}%{{{field}:{number}}}"


def breakdown_bar_figure(
    labels: list[str],
    readers: list[int],
    shares: list[float],
    *,
    title: str,
    axis_title: str = "Readers",
    colors: list[str] | str = PRIMARY,
    height: int = 320,
) -> go.Figure:
    """Horizontal bars of ``readers`` per label (first label on top), each labelled with
    its share; hover shows the label, readers with thousands separators and the share."""
    bars = {
        "type": "bar",
        "x": readers,
        "y": labels,
        "orientation": "h",
        "marker": {"color": colors},
        "customdata": shares,
        "text": [format_percent(share) for share in shares],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}: %{x:,.0f} readers (%{customdata:.1%})<extra></extra>",
    }
    layout = {
        "hovermode": "closest",
        "showlegend": False,
        "bargap": 0.35,
        "margin": {"l": 110, "r": 56, "t": 56, "b": 48},
        "xaxis": {"title": {"text": axis_title}, "tickformat": ",.0f", "rangemode": "tozero"},
        "yaxis": {"title": {"text": ""}, "autorange": "reversed", "gridcolor": "rgba(0,0,0,0)"},
    }
    return titled_figure(title, "", [bars], layout, height=height)


def donut_figure(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    colors: list[str],
    center_text: str = "",
    value_template: str = "%{value:,.0f} readers",
    height: int = 320,
) -> go.Figure:
    """A donut of ``values`` by label (in the given order, coloured by ``colors``), with
    ``center_text`` in the hole; hover shows the label, the value (plotly template
    ``value_template``, e.g. ``"$%{value:,.2f}"``) and the share."""
    pie = {
        "type": "pie",
        "labels": labels,
        "values": values,
        "hole": 0.62,
        "sort": False,
        "direction": "clockwise",
        "marker": {"colors": colors, "line": {"color": "white", "width": 2}},
        "texttemplate": "%{percent:.1%}",
        "textposition": "outside",
        "hovertemplate": f"%{{label}}: {value_template} (%{{percent}})<extra></extra>",
    }
    layout: dict = {
        "hovermode": "closest",
        "margin": {"l": 24, "r": 24, "t": 64, "b": 24},
        "legend": {"orientation": "h", "y": -0.05, "yanchor": "top", "x": 0.5, "xanchor": "center"},
    }
    if center_text:
        layout["annotations"] = [
            {"text": center_text, "showarrow": False, "font": {"size": 15, "color": "#1e293b"}}
        ]
    return titled_figure(title, "", [pie], layout, height=height)


def country_map_figure(
    iso3: list[str], names: list[str], readers: list[int], shares: list[float], *, title: str
) -> go.Figure:
    """A world choropleth of readers per country (``iso3`` codes; plotly's bundled world
    map, no tiles or tokens), hover with the country name, readers and share."""
    countries = {
        "type": "choropleth",
        "locations": iso3,
        "locationmode": "ISO-3",
        "z": readers,
        "text": names,
        "customdata": shares,
        "colorscale": [list(stop) for stop in MAP_SCALE],
        "marker": {"line": {"color": "white", "width": 0.5}},
        "colorbar": {"title": {"text": "Readers"}, "tickformat": ",.0f", "thickness": 12},
        "hovertemplate": "%{text}: %{z:,.0f} readers (%{customdata:.1%})<extra></extra>",
    }
    layout = {
        "geo": {
            "projection": {"type": "natural earth"},
            "showframe": False,
            "showcoastlines": False,
            "showcountries": True,
            "countrycolor": "#ffffff",
            "showland": True,
            "landcolor": "#e2e8f0",
            "showocean": False,
            "lataxis": {"range": [-58, 85]},
        },
        "hovermode": "closest",
        "margin": {"l": 8, "r": 8, "t": 56, "b": 8},
    }
    return titled_figure(title, "", [countries], layout, height=380)


def retention_heatmap_figure(
    row_labels: list[str],
    column_labels: list[str],
    shares: list[list[float | None]],
    active: list[list[int | None]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    row_sizes: list[int],
) -> go.Figure:
    """A cohort retention heat map: one row per cohort (``row_labels``, cohort sizes
    ``row_sizes``), one column per step (``column_labels``); ``shares`` (0..1, ``None``
    for steps not reached yet) colour the cells and are printed in them; hover shows the
    cohort, its size, the step and how many members were active."""
    customdata = [
        [[size, count if count is not None else 0] for count in row]
        for size, row in zip(row_sizes, active, strict=True)
    ]
    cells = {
        "type": "heatmap",
        "z": shares,
        "x": column_labels,
        "y": row_labels,
        "zmin": 0,
        "zmax": 1,
        "colorscale": [list(stop) for stop in HEATMAP_SCALE],
        "customdata": customdata,
        "texttemplate": "%{z:.0%}",
        "textfont": {"size": 11},
        "xgap": 2,
        "ygap": 2,
        "colorbar": {"title": {"text": "Still reading"}, "tickformat": ".0%", "thickness": 12},
        "hovertemplate": (
            "%{y} (%{customdata[0]:,} readers)<br>%{x}: %{customdata[1]:,} active "
            "(%{z:.1%})<extra></extra>"
        ),
        "hoverongaps": False,
    }
    layout = {
        "hovermode": "closest",
        "margin": {"l": 150, "r": 20, "t": 56, "b": 48},
        "xaxis": {
            "title": {"text": x_title},
            "side": "bottom",
            "showgrid": False,
            "showline": False,
        },
        "yaxis": {"autorange": "reversed", "showgrid": False, "type": "category"},
    }
    height = max(260, 120 + 30 * len(row_labels))
    return titled_figure(title, y_title, [cells], layout, height=height)


def stacked_money_figure(
    frame: pd.DataFrame,
    *,
    x: str,
    series: list[tuple[str, str, str]],
    title: str,
    x_title: str,
    currency: str = "USD",
    orientation: str = "v",
    height: int = 360,
    x_tickformat: str | None = None,
) -> go.Figure:
    """Stacked bars of money columns (minor units) of ``frame``: ``series`` lists
    ``(column, label, colour)``; bars along ``x`` (dates or labels; horizontal bars for
    ``orientation="h"``, first row on top). Hover shows each source and the total in
    ``currency``. ``x_tickformat`` (a d3 format, e.g. ``"%b %Y"``) formats the ticks of
    vertical bars' x axis."""
    prefix, number = _value_format("money", currency)
    horizontal = orientation == "h"
    totals = sum(display_values(frame[column], "money", currency) for column, _, _ in series)
    customdata = totals.to_numpy() if len(frame) else []
    positions = frame[x].to_numpy()
    axis_value = "%{x" if horizontal else "%{y"
    traces = []
    for column, label, color in series:
        values = display_values(frame[column], "money", currency).to_numpy()
        traces.append(
            {
                "type": "bar",
                "x": values if horizontal else positions,
                "y": positions if horizontal else values,
                "orientation": orientation,
                "name": label,
                "marker": {"color": color},
                "customdata": customdata,
                "hovertemplate": (
                    f"{label}: {prefix}{axis_value}:{number}}}"
                    + (f" of {prefix}%{{customdata:{number}}}" if horizontal else "")
                    + "<extra></extra>"
                ),
            }
        )
    layout: dict = {"barmode": "stack", "bargap": 0.25, "legend": {"traceorder": "normal"}}
    money_axis = {"tickprefix": prefix, "tickformat": ",.0f", "rangemode": "tozero"}
    if horizontal:
        layout.update(
            hovermode="y unified",
            margin={"l": 180, "r": 20, "t": 56, "b": 48},
            xaxis={"title": {"text": "Revenue"}, **money_axis},
            yaxis={"title": {"text": x_title}, "autorange": "reversed", "type": "category"},
        )
    else:
        xaxis: dict = {"title": {"text": x_title}}
        if x_tickformat is not None:
            xaxis["tickformat"] = x_tickformat
        layout.update(xaxis=xaxis, yaxis=money_axis)
    return titled_figure(title, "" if horizontal else "Revenue", traces, layout, height=height)


def change_bars_figure(
    labels: list[str],
    groups: list[tuple[str, list[float | None], str]],
    hover: list[list[str]],
    *,
    title: str,
    height: int = 340,
) -> go.Figure:
    """Grouped bars of relative changes (0.1 = +10%) per label: ``groups`` lists
    ``(name, changes, colour)``; a ``None`` change (nothing to compare with) is drawn as
    no bar and labelled "new". ``hover[g][i]`` is the hover text of group g, label i."""
    traces = [
        {
            "type": "bar",
            "x": labels,
            "y": [change if change is not None else 0.0 for change in changes],
            "name": name,
            "marker": {"color": color},
            "text": [format_change(change) for change in changes],
            "textposition": "outside",
            "textfont": {"size": 11},
            "cliponaxis": False,
            "hovertext": texts,
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
        for (name, changes, color), texts in zip(groups, hover, strict=True)
    ]
    layout = {
        "barmode": "group",
        "hovermode": "closest",
        "bargap": 0.3,
        "uniformtext": {"minsize": 10, "mode": "show"},
        "xaxis": {"title": {"text": "Metric"}},
        "yaxis": {
            "tickformat": "+.0%",
            "rangemode": "normal",
            "zeroline": True,
            "zerolinecolor": MUTED,
        },
    }
    return titled_figure(title, "Change", traces, layout, height=height)


def period_bars_figure(
    frame: pd.DataFrame,
    *,
    metric_label: str,
    unit: str,
    color: str,
    title: str,
    x_title: str,
    currency: str = "USD",
) -> go.Figure:
    """Bars of a metric per period (``frame``: ``label`` (x), ``value`` (display units),
    ``change`` (relative to the period before, or ``None``), ``span`` (hover text of the
    days covered)) with the change drawn as a line on a second axis."""
    prefix, number = _value_format(unit, currency)
    labels = frame["label"].to_numpy()
    changes = [
        None if change is None or pd.isna(change) else float(change) for change in frame["change"]
    ]
    traces = [
        {
            "type": "bar",
            "x": labels,
            "y": frame["value"].to_numpy(),
            "name": metric_label,
            "marker": {"color": color},
            "customdata": frame["span"].to_numpy(),
            "hovertemplate": (
                f"%{{customdata}}<br>{metric_label}: {prefix}%{{y:{number}}}<extra></extra>"
            ),
        },
        {
            "type": "scatter",
            "x": labels,
            "y": changes,
            "name": "Change vs the period before",
            "mode": "lines+markers",
            "yaxis": "y2",
            "line": {"color": "#1e293b", "width": 1.5},
            "marker": {"size": 6},
            "hovertemplate": "Change: %{y:+.1%}<extra></extra>",
        },
    ]
    layout = {
        "hovermode": "x unified",
        "yaxis2": {
            "title": {"text": "Change"},
            "overlaying": "y",
            "side": "right",
            "tickformat": "+.0%",
            "showgrid": False,
            "zeroline": False,
        },
        "margin": {"l": 60, "r": 60, "t": 56, "b": 48},
        "xaxis": {"title": {"text": x_title}, "type": "category"},
        "yaxis": {"tickprefix": prefix, "tickformat": ",.0f", "rangemode": "tozero"},
    }
    return titled_figure(title, metric_label, traces, layout)


def forecast_figure(
    history: pd.Series,
    points: pd.DataFrame,
    *,
    title: str,
    currency: str = "USD",
    forecast_label: str = "Forecast",
) -> go.Figure:
    """Daily revenue ``history`` (minor units, indexed by day) as a line, then the stored
    forecast ``points`` (indexed by day; ``yhat`` and the ``lower_/upper_80`` and ``_95``
    bands, minor units) as a dashed line inside its 95% and 80% uncertainty bands."""
    template = value_template("money", currency, "y")
    days = pd.to_datetime(pd.Index(points.index)).to_numpy()
    color = METRIC_COLORS["revenue"]
    traces: list[dict] = []
    for level, alpha in (("95", 0.10), ("80", 0.20)):
        lower = display_values(points[f"lower_{level}"], "money", currency).to_numpy()
        upper = display_values(points[f"upper_{level}"], "money", currency).to_numpy()
        traces.append(
            {
                "type": "scatter",
                "x": days,
                "y": upper,
                "mode": "lines",
                "line": {"width": 0},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "x": days,
                "y": lower,
                "customdata": upper,
                "mode": "lines",
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": rgba(color, alpha),
                "name": f"{level}% band",
                "hovertemplate": (
                    f"{level}% band: {template} – {value_template('money', currency, 'customdata')}"
                    "<extra></extra>"
                ),
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": pd.to_datetime(pd.Index(history.index)).to_numpy(),
            "y": display_values(history, "money", currency).to_numpy(),
            "name": "Revenue",
            "mode": "lines",
            "line": {"color": color, "width": 2},
            "hovertemplate": f"Revenue: {template}<extra></extra>",
        }
    )
    traces.append(
        {
            "type": "scatter",
            "x": days,
            "y": display_values(points["yhat"], "money", currency).to_numpy(),
            "name": forecast_label,
            "mode": "lines",
            "line": {"color": color, "width": 2, "dash": "dash"},
            "hovertemplate": f"{forecast_label}: {template}<extra></extra>",
        }
    )
    prefix, _ = _value_format("money", currency)
    layout = {
        "xaxis": {"tickformat": "%b %-d"},
        "yaxis": {"tickprefix": prefix, "tickformat": ",.0f", "rangemode": "tozero"},
    }
    return titled_figure(title, "Revenue", traces, layout)
