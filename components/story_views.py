"""Figures and panels of the story detail page. Inputs are plain data (DataFrames with the
columns of ``data.queries.retention`` / ``content`` frames, lists, dataclasses); no I/O.

Every figure has a title, axis titles and hover text, uses the shared colours of
``components.theme``, and shows chapters on the x axis as numbers ("Ch. 12").
"""

from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import html
from dash.development.base_component import Component

from components.figures import titled_figure
from components.formatting import format_change, format_int, format_percent
from components.theme import (
    ALERT,
    METRIC_COLORS,
    PRIMARY,
    READER_TYPE_COLORS,
    rgba,
)

READER_TYPE_LABELS = {
    "release_day": "Release-day",
    "catch_up": "Catch-up",
    "binge": "Binge",
}
#: Abnormal drop-offs labelled on the retention chart at most (all are marked).
MAX_DROPOFF_LABELS = 3
REVENUE_SOURCES = (
    ("revenue_unlock", "Chapter unlocks", METRIC_COLORS["revenue"]),
    ("revenue_tip", "Tips", "#84cc16"),
    ("revenue_subscription", "Subscriptions", "#0d9488"),
)


def _chapter_axis(chapters: list[int]) -> dict:
    axis: dict = {
        "title": {"text": "Chapter"},
        "tickprefix": "Ch. ",
        "tickmode": "auto",
        "nticks": min(max(len(chapters), 1), 20),
        "showgrid": False,
    }
    if chapters:
        axis["range"] = [min(chapters) - 0.6, max(chapters) + 0.6]
    return axis


def _figure(
    title: str,
    y_title: str,
    traces: list[dict],
    chapters: list[int],
    *,
    yaxis: dict,
    **layout: object,
) -> go.Figure:
    """``components.figures.titled_figure`` with chapters on the x axis (``_chapter_axis``),
    ``yaxis`` merged into the y axis and ``layout`` (top-level layout properties) merged in."""
    return titled_figure(
        title, y_title, traces, {"xaxis": _chapter_axis(chapters), "yaxis": yaxis, **layout}
    )


def retention_figure(
    curve: pd.DataFrame,
    by_type: pd.DataFrame,
    mix: pd.DataFrame,
) -> go.Figure:
    """Chapter retention of all starting readers and of each reader type.

    ``curve``: ``chapter_number``, ``title``, ``reached``, ``retention``, ``loss`` and a
    boolean ``abnormal`` (abnormal drop-off, marked in red and labelled for the worst
    ``MAX_DROPOFF_LABELS``); ``by_type``: ``reader_type``, ``chapter_number``, ``reached``,
    ``retention``; ``mix``: ``reader_type``, ``readers``, ``share`` (legend names carry
    the share). Retention is plotted in percent of starting readers.
    """
    chapters = [int(n) for n in curve["chapter_number"]]
    shares = {
        str(kind): (int(readers), float(share))
        for kind, readers, share in zip(
            mix["reader_type"], mix["readers"], mix["share"], strict=True
        )
    }
    traces: list[dict] = []
    for kind, label in READER_TYPE_LABELS.items():
        series = by_type[by_type["reader_type"] == kind]
        readers, share = shares.get(kind, (0, 0.0))
        if series.empty or not readers:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": series["chapter_number"].astype(int).tolist(),
                "y": (series["retention"].astype(float) * 100).tolist(),
                "customdata": series["reached"].astype(int).tolist(),
                "name": f"{label} ({format_percent(share, 0)} of readers)",
                "mode": "lines",
                "line": {"color": READER_TYPE_COLORS[kind], "width": 1.8},
                "hovertemplate": f"{label}: %{{y:.1f}}% (%{{customdata:,}})<extra></extra>",
            }
        )
    losses = [None if pd.isna(loss) else float(loss) * 100 for loss in curve["loss"]]
    traces.append(
        {
            "type": "scatter",
            "x": chapters,
            "y": (curve["retention"].astype(float) * 100).tolist(),
            "customdata": [
                [int(reached), str(title)]
                for reached, title in zip(curve["reached"], curve["title"], strict=True)
            ],
            "text": [
                "" if loss is None else f" · lost {loss:.1f}% of the chapter before"
                for loss in losses
            ],
            "name": "All readers",
            "mode": "lines+markers",
            "marker": {"size": 5},
            "line": {"color": READER_TYPE_COLORS["all"], "width": 3},
            "hovertemplate": (
                "All readers: %{y:.1f}% (%{customdata[0]:,})%{text}"
                "<br>Ch. %{x} · %{customdata[1]}<extra></extra>"
            ),
        }
    )
    labelled: dict = {}  # the worst drop-offs' annotations, when there are any
    flagged = curve[curve["abnormal"].astype(bool)]
    if not flagged.empty:
        traces.append(
            {
                "type": "scatter",
                "x": flagged["chapter_number"].astype(int).tolist(),
                "y": (flagged["retention"].astype(float) * 100).tolist(),
                "name": "Abnormal drop-off",
                "mode": "markers",
                "marker": {
                    "size": 15,
                    "color": rgba(ALERT, 0.15),
                    "line": {"color": ALERT, "width": 2},
                },
                "hoverinfo": "skip",
            }
        )
        worst = flagged.sort_values("loss", ascending=False).head(MAX_DROPOFF_LABELS)
        labelled["annotations"] = [
            {
                "x": int(number),
                "y": float(retention) * 100,
                "text": f"−{float(loss) * 100:.0f}% at ch. {int(number)}",
                "showarrow": True,
                "arrowhead": 0,
                "arrowcolor": ALERT,
                "ax": 28,
                "ay": -30,
                "font": {"color": ALERT, "size": 12},
                "bgcolor": "rgba(255,255,255,0.85)",
            }
            for number, retention, loss in zip(
                worst["chapter_number"], worst["retention"], worst["loss"], strict=True
            )
        ]
    return _figure(
        "Chapter retention",
        "Starting readers who reached it",
        traces,
        chapters,
        yaxis={"ticksuffix": "%", "range": [0, 105]},
        height=400,
        legend={"orientation": "h", "y": -0.22, "yanchor": "top", "x": 0, "xanchor": "left"},
        margin={"l": 60, "r": 20, "t": 56, "b": 90},
        **labelled,
    )


def hooks_figure(hooks: pd.DataFrame) -> go.Figure:
    """Next-chapter hook rates per chapter (``data.queries.retention.HOOK_COLUMNS``): grouped
    bars for "within 24 hours" and "within 7 days", in percent of the chapter's
    completers."""
    chapters = hooks["chapter_number"].astype(int).tolist()
    completers = hooks["completers"].astype(int).tolist()
    traces = [
        {
            "type": "bar",
            "x": chapters,
            "y": (hooks[column].astype(float) * 100).tolist(),
            "customdata": [
                [count, total]
                for count, total in zip(
                    hooks[count_column].astype(int).tolist(), completers, strict=True
                )
            ],
            "name": name,
            "marker": {"color": color},
            "hovertemplate": (
                f"{name}: %{{y:.1f}}% (%{{customdata[0]:,}} of %{{customdata[1]:,}})<extra></extra>"
            ),
        }
        for column, count_column, name, color in (
            ("rate_24h", "next_24h", "Within 24 hours", PRIMARY),
            ("rate_7d", "next_7d", "Within 7 days", "#a5b4fc"),
        )
    ]
    return _figure(
        "Next-chapter hook rate",
        "Completers who read on",
        traces,
        chapters,
        yaxis={"ticksuffix": "%", "range": [0, 105]},
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
    )


def paywall_figure(paywall: pd.DataFrame, *, currency_symbol: str = "$") -> go.Figure:
    """Conversion of each paid chapter (``data.queries.retention.PAYWALL_COLUMNS``; the
    ``unlock_revenue`` column in major units): bars in percent of the readers who reached
    it, with reached / unlocked / read-without-unlock and revenue on hover."""
    chapters = paywall["chapter_number"].astype(int).tolist()
    trace = {
        "type": "bar",
        "x": chapters,
        "y": (paywall["conversion"].astype(float) * 100).tolist(),
        "customdata": [
            [int(reached), int(unlocked), int(without), float(revenue)]
            for reached, unlocked, without, revenue in zip(
                paywall["reached"],
                paywall["unlocked"],
                paywall["read_without_unlock"],
                paywall["unlock_revenue"],
                strict=True,
            )
        ],
        "text": [format_percent(value, 0) for value in paywall["conversion"].astype(float)],
        "textposition": "outside",
        "cliponaxis": False,
        "name": "Conversion",
        "marker": {"color": METRIC_COLORS["revenue"]},
        "hovertemplate": (
            "Ch. %{x}: %{y:.1f}% converted<br>%{customdata[1]:,} unlocked of "
            "%{customdata[0]:,} who reached it<br>%{customdata[2]:,} read it without an "
            f"unlock (subscribers)<br>Unlock revenue: {currency_symbol}"
            "%{customdata[3]:,.2f}<extra></extra>"
        ),
    }
    return _figure(
        "Paywall conversion",
        "Readers who unlocked it",
        [trace],
        chapters,
        yaxis={"ticksuffix": "%", "range": [0, 110]},
        hovermode="closest",
        showlegend=False,
    )


def chapter_revenue_figure(chapters: pd.DataFrame, *, currency_symbol: str = "$") -> go.Figure:
    """Revenue per chapter in the period, stacked by source. ``chapters`` has
    ``number``, ``title`` and the ``REVENUE_SOURCES`` columns in major units; sources
    without revenue are left out."""
    numbers = chapters["number"].astype(int).tolist()
    titles = chapters["title"].astype(str).tolist()
    traces = []
    for column, name, color in REVENUE_SOURCES:
        values = chapters[column].astype(float)
        if not values.any():
            continue
        traces.append(
            {
                "type": "bar",
                "x": numbers,
                "y": values.tolist(),
                "customdata": titles,
                "name": name,
                "marker": {"color": color},
                "hovertemplate": (
                    f"{name}: {currency_symbol}%{{y:,.2f}}<br>Ch. %{{x}} · %{{customdata}}"
                    "<extra></extra>"
                ),
            }
        )
    return _figure(
        "Revenue per chapter",
        "Revenue",
        traces,
        numbers,
        yaxis={"tickprefix": currency_symbol, "tickformat": ",.0f"},
        barmode="stack",
        bargap=0.2,
    )


@dataclass(frozen=True)
class ComparisonLine:
    """One metric of the story against the writer's median and its genre: preformatted
    ``value`` and ``median`` texts, the relative difference to the median (``None`` when
    the median is zero) and the genre ``percentile`` (0–100, ``None`` without genre
    stories)."""

    label: str
    value: str
    median: str
    versus_median: float | None
    percentile: float | None


def _percentile_cell(percentile: float | None) -> Component:
    if percentile is None:
        return html.Span("–", className="text-secondary")
    return html.Div(
        [
            html.Div(
                dbc.Progress(
                    value=percentile,
                    className="percentile-bar",
                    color="success" if percentile >= 50 else "warning",
                ),
                **{"aria-hidden": "true"},
            ),
            html.Span(f"{percentile:.0f}", className="percentile-value"),
        ],
        className="d-flex align-items-center gap-2",
    )


def _versus(change: float | None) -> Component:
    if change is None:
        return html.Span("–", className="text-secondary")
    tone = "text-positive" if change > 0.0005 else "text-negative" if change < -0.0005 else ""
    return html.Span(format_change(change), className=tone)


def comparison_panel(
    lines: list[ComparisonLine],
    *,
    writer_stories: int,
    genre: str,
    genre_stories: int,
    own: bool = True,
) -> Component:
    """The "how this story compares" table: each metric's value, the writer's median
    over ``writer_stories`` stories, the difference, and the percentile among the
    platform's ``genre_stories`` stories of ``genre``. ``own``: the viewer is the story's
    writer ("Your median") rather than an admin ("Writer's median")."""
    whose = "Your" if own else "Writer's"
    header = html.Thead(
        html.Tr(
            [
                html.Th("Metric", scope="col"),
                html.Th("This story", scope="col", className="text-end"),
                html.Th(f"{whose} median", scope="col", className="text-end"),
                html.Th("vs median", scope="col", className="text-end"),
                html.Th("Genre percentile", scope="col"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(line.label, scope="row", className="fw-normal"),
                    html.Td(line.value, className="text-end tabular"),
                    html.Td(line.median, className="text-end tabular text-secondary"),
                    html.Td(_versus(line.versus_median), className="text-end tabular"),
                    html.Td(_percentile_cell(line.percentile), className="percentile-cell"),
                ]
            )
            for line in lines
        ]
    )
    return html.Div(
        [
            dbc.Table([header, body], size="sm", hover=True, responsive=True, className="mb-2"),
            html.P(
                f"Median over {'your' if own else 'the writer’s'} {format_int(writer_stories)} "
                f"stor{'y' if writer_stories == 1 else 'ies'}; percentile among "
                f"{format_int(genre_stories)} {genre} "
                f"stor{'y' if genre_stories == 1 else 'ies'} on Legato (100 = best in genre).",
                className="text-secondary small mb-0",
            ),
        ]
    )


def reader_mix_panel(mix: pd.DataFrame) -> Component:
    """Who reads the story: the share of each reader type (``mix``: ``reader_type``,
    ``readers``, ``share``, as ``data.queries.retention.reader_type_mix``) as one stacked
    bar with a legend; an explanation instead when nobody has read it."""
    total = int(mix["readers"].sum()) if not mix.empty else 0
    title = html.H3("Who reads it (all time)", className="h6 mt-4 mb-2")
    if not total:
        return html.Div(
            [title, html.P("Nobody has opened a chapter yet.", className="text-secondary small")]
        )
    shares = {
        str(kind): (int(readers), float(share))
        for kind, readers, share in zip(
            mix["reader_type"], mix["readers"], mix["share"], strict=True
        )
    }
    order = [kind for kind in READER_TYPE_LABELS if shares.get(kind, (0, 0.0))[0]]
    bar = html.Div(
        [
            html.Div(
                className="reader-mix-segment",
                style={
                    "width": f"{shares[kind][1] * 100:.2f}%",
                    "backgroundColor": READER_TYPE_COLORS[kind],
                },
                title=f"{READER_TYPE_LABELS[kind]}: {format_percent(shares[kind][1])}",
            )
            for kind in order
        ],
        className="reader-mix-bar",
        **{"aria-hidden": "true"},
    )
    legend = html.Ul(
        [
            html.Li(
                [
                    html.Span(
                        className="reader-mix-swatch",
                        style={"backgroundColor": READER_TYPE_COLORS[kind]},
                    ),
                    f"{READER_TYPE_LABELS[kind]} {format_percent(shares[kind][1], 0)}",
                    html.Span(f" ({format_int(shares[kind][0])})", className="text-secondary"),
                ]
            )
            for kind in order
        ],
        className="reader-mix-legend small",
    )
    return html.Div([title, bar, legend])
