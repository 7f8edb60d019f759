"""Experiments UI pieces: the create/edit form, the experiments table, the results tables,
the SRM / power banners and the two figures (forest plot, cumulative lift). Pure: plain data
in (dicts, lists, dataclass-like rows), Dash components or plotly figures out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html
from dash.development.base_component import Component

from components import ids
from components.figures import titled_figure
from components.formatting import DASH, format_int, format_percent, format_value
from components.theme import GRID, MUTED, NEGATIVE, POSITIVE

STATUS_COLORS = {
    "draft": "secondary",
    "running": "success",
    "stopped": "warning",
    "archived": "dark",
}
HEALTH_BADGES = {
    "ok": ("Healthy", "success"),
    "srm": ("SRM alert", "danger"),
    "srm warning": ("SRM warning", "warning"),
    "no data": ("No data", "secondary"),
    "draft": ("Not started", "light"),
}
CALL_STYLE = {
    "better": ("Better", POSITIVE, "success"),
    "worse": ("Worse", NEGATIVE, "danger"),
    "inconclusive": ("Inconclusive", MUTED, "secondary"),
    "no data": ("Not enough data", MUTED, "light"),
}
VARIANT_COLORS = ("#4f46e5", "#0ea5e9", "#f59e0b", "#ec4899")


def status_badge(status: str) -> Component:
    return dbc.Badge(status.title(), color=STATUS_COLORS.get(status, "secondary"), pill=True)


def health_badge(health: str) -> Component:
    label, color = HEALTH_BADGES.get(health, (health, "secondary"))
    text = "text-dark" if color in ("light", "warning") else ""
    return dbc.Badge(label, color=color, pill=True, className=f"health-badge {text}")


# --------------------------------------------------------------------------- form


def _field(form: str, name: str, label: str, control: Component, help_text: str = "") -> Component:
    children: list[Component] = [dbc.Label(label, html_for=ids.exp_form_id(form, name)), control]
    children.append(
        html.Div(id=ids.exp_feedback_id(form, name), className="invalid-feedback d-block")
    )
    if help_text:
        children.append(dbc.FormText(help_text))
    return html.Div(children, className="mb-3")


def experiment_form(
    form: str, metric_options: Sequence[tuple[str, str]], *, submit_label: str
) -> Component:
    """The create (``form="new"``) or edit (``"edit"``) form. Values start as a valid
    50/50 two-arm template (the edit form is filled by its callback); field messages
    appear under each field."""
    fid = lambda name: ids.exp_form_id(form, name)  # noqa: E731
    options = [{"label": label, "value": key} for key, label in metric_options]
    defaults = [("control", "Control", 50), ("treatment", "Treatment", 50)]
    rows = []
    for index in range(ids.EXP_FORM_VARIANT_ROWS):
        key, name, weight = defaults[index] if index < len(defaults) else ("", "", None)
        rows.append(
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Input(
                            id=fid(f"variant-key-{index}"),
                            value=key,
                            placeholder="control" if index == 0 else f"variant-{index}",
                            size="sm",
                        ),
                        width=4,
                    ),
                    dbc.Col(
                        dbc.Input(
                            id=fid(f"variant-name-{index}"),
                            value=name,
                            placeholder="Display name",
                            size="sm",
                        ),
                        width=5,
                    ),
                    dbc.Col(
                        dbc.InputGroup(
                            [
                                dbc.Input(
                                    id=fid(f"variant-weight-{index}"),
                                    value=weight,
                                    type="number",
                                    min=0,
                                    max=100,
                                    step="any",
                                ),
                                dbc.InputGroupText("%"),
                            ],
                            size="sm",
                        ),
                        width=3,
                    ),
                    html.Div(
                        id=ids.exp_feedback_id(form, f"variant-{index}"),
                        className="invalid-feedback d-block",
                    ),
                ],
                className="g-2 mb-2",
            )
        )
    variants = html.Div(
        [
            dbc.Label("Variants and weights"),
            dbc.Row(
                [
                    dbc.Col(html.Small("Key", className="text-secondary"), width=4),
                    dbc.Col(html.Small("Name", className="text-secondary"), width=5),
                    dbc.Col(html.Small("Weight", className="text-secondary"), width=3),
                ],
                className="g-2",
            ),
            *rows,
            html.Div(
                id=ids.exp_feedback_id(form, "variants"), className="invalid-feedback d-block"
            ),
            html.Div(id=ids.exp_feedback_id(form, "weights"), className="invalid-feedback d-block"),
            dbc.FormText(
                "The first row is the control. Leave unused rows empty. Weights sum to 100%."
            ),
        ],
        className="mb-3",
    )
    key_input = dbc.Input(id=fid("key"), placeholder="cover-test", disabled=form == "edit")
    left = [
        _field(form, "key", "Key", key_input, "Used by the assignment API; cannot change later."),
        _field(form, "name", "Name", dbc.Input(id=fid("name"), placeholder="Brighter cover")),
        _field(
            form,
            "hypothesis",
            "Hypothesis",
            dbc.Textarea(id=fid("hypothesis"), rows=3, placeholder="What you expect, and why."),
        ),
        variants,
    ]
    right = [
        _field(
            form,
            "goal",
            "Goal metrics",
            dbc.Checklist(id=fid("goal"), options=options, value=["unlock_conversion"]),
        ),
        _field(
            form,
            "guardrail",
            "Guardrail metrics",
            dbc.Checklist(id=fid("guardrail"), options=options, value=[]),
            "Flagged when a treatment makes them significantly worse.",
        ),
        _field(
            form,
            "engine",
            "Engine",
            dbc.RadioItems(
                id=fid("engine"),
                options=[
                    {"label": "Bayesian (chance to win, risk)", "value": "bayesian"},
                    {"label": "Frequentist (p-value)", "value": "frequentist"},
                ],
                value="bayesian",
            ),
        ),
        _field(
            form,
            "correction",
            "Multiple comparisons (frequentist)",
            dbc.RadioItems(
                id=fid("correction"),
                options=[
                    {"label": "Holm (limits the chance of any false winner)", "value": "holm"},
                    {
                        "label": "Benjamini–Hochberg (limits the share of false winners)",
                        "value": "bh",
                    },
                ],
                value="holm",
            ),
            "Adjusts the goal metrics' p-values across metrics and treatment arms; "
            "guardrails always use Benjamini–Hochberg.",
        ),
        _field(
            form,
            "sequential",
            "Sequential testing",
            dbc.Switch(
                id=fid("sequential"), label="Allow peeking (always-valid intervals)", value=False
            ),
        ),
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        form,
                        "traffic",
                        "Traffic",
                        dbc.InputGroup(
                            [
                                dbc.Input(
                                    id=fid("traffic"),
                                    type="number",
                                    value=100,
                                    min=0,
                                    max=100,
                                    step="any",
                                ),
                                dbc.InputGroupText("%"),
                            ]
                        ),
                    )
                ),
                dbc.Col(
                    _field(
                        form,
                        "window",
                        "Conversion window",
                        dbc.InputGroup(
                            [
                                dbc.Input(
                                    id=fid("window"), type="number", value=7, min=1, max=90, step=1
                                ),
                                dbc.InputGroupText("days"),
                            ]
                        ),
                    )
                ),
            ]
        ),
    ]
    return html.Div(
        [
            dbc.Row([dbc.Col(left, lg=6), dbc.Col(right, lg=6)]),
            html.Div(id=fid("message")),
            dbc.Button(submit_label, id=fid("submit"), color="primary", n_clicks=0),
        ]
    )


# --------------------------------------------------------------------------- list


def experiments_table(rows: Sequence[Mapping[str, Any]]) -> Component:
    """The experiments list: ``rows`` have key, name, status, traffic_percent, variants
    (text), days_running, units, health."""
    if not rows:
        return html.P(
            "No experiments yet: create one with the form below.", className="text-secondary mb-0"
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Experiment"),
                html.Th("Status"),
                html.Th("Variants"),
                html.Th("Traffic", className="text-end"),
                html.Th("Days running", className="text-end"),
                html.Th("Units", className="text-end"),
                html.Th("Health"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(
                        [
                            html.A(
                                row["name"],
                                href=f"/admin/experiments/{row['key']}",
                                className="fw-semibold",
                            ),
                            html.Div(row["key"], className="small text-secondary font-monospace"),
                        ]
                    ),
                    html.Td(status_badge(row["status"])),
                    html.Td(row["variants"], className="small"),
                    html.Td(format_percent(row["traffic_percent"] / 100, 0), className="text-end"),
                    html.Td(
                        DASH if row["days_running"] is None else f"{row['days_running']:,.1f}",
                        className="text-end",
                    ),
                    html.Td(format_int(row["units"]), className="text-end"),
                    html.Td(health_badge(row["health"])),
                ]
            )
            for row in rows
        ]
    )
    return dbc.Table([header, body], hover=True, responsive=True, className="align-middle mb-0")


# --------------------------------------------------------------------------- results


def srm_banner(
    level: str, observed: Sequence[int], expected: Sequence[float], p_value: float | None
) -> Component:
    """The sample-ratio banner: red alert, yellow warning or a quiet OK line."""
    detail = " · ".join(
        f"{format_int(o)} vs {format_int(e)} expected"
        for o, e in zip(observed, expected, strict=True)
    )
    p_text = "" if p_value is None else f" (p = {p_value:.2g})"
    if level == "alert":
        return dbc.Alert(
            [
                html.I(className="bi bi-exclamation-octagon me-2"),
                html.Strong("Sample ratio mismatch"),
                f"{p_text}: the split of units is not what was configured ({detail}). "
                "Assignment or logging is broken; do not trust these results until it is explained.",
            ],
            color="danger",
            id="admin-exp-srm-alert",
        )
    if level == "warning":
        return dbc.Alert(
            [
                html.I(className="bi bi-exclamation-triangle me-2"),
                html.Strong("Possible sample ratio mismatch"),
                f"{p_text}: {detail}. Investigate.",
            ],
            color="warning",
        )
    return html.Div(
        [
            html.I(className="bi bi-check-circle me-2 text-success"),
            f"Sample ratio as configured{p_text}.",
        ],
        className="small text-secondary mb-3",
    )


def power_card(rows: Sequence[tuple[str, str]]) -> Component:
    """Small label/value list (power, days remaining, excluded units)."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.Div(label, className="small text-secondary"),
                        html.Div(value, className="fw-semibold"),
                    ],
                    className="me-4",
                )
                for label, value in rows
            ],
            className="d-flex flex-wrap gap-3",
        ),
        className="mb-3",
    )


def metric_value(value: float | None, unit: str, currency: str = "USD") -> str:
    """A per-unit metric value: rates in percent, money per reader with cents, reading
    time in minutes, counts with two decimals (they are means)."""
    if value is None:
        return DASH
    if unit == "seconds":
        return f"{value / 60:,.1f} min"
    if unit == "count":
        return f"{value:,.2f}"
    if unit == "ratio":
        return format_percent(value, 2)
    return format_value(value, unit, currency)


def _lift_text(lift: float | None, lower: float | None, upper: float | None) -> Component:
    if lift is None:
        return html.Span(DASH)
    interval = f"[{DASH if lower is None else f'{lower * 100:+.1f}%'}, {DASH if upper is None else f'{upper * 100:+.1f}%'}]"
    return html.Span(
        [
            html.Span(f"{lift * 100:+.1f}%", className="fw-semibold"),
            html.Small(f" {interval}", className="text-secondary"),
        ]
    )


def _p_text(value: float | None) -> str:
    if value is None:
        return DASH
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def results_table(
    metrics: Sequence[Mapping[str, Any]], *, engine: str, currency: str = "USD"
) -> Component:
    """One block per metric: each arm's units and value; per treatment its lift with
    interval, p-value and adjusted p-value (frequentist) or chance to win and risk
    (Bayesian), and the call. ``metrics`` items: label, role, unit, degraded, arms
    [{variant, n, value}], comparisons [{variant, lift, ci_lower, ci_upper, p_value,
    adjusted_p_value, chance_to_win, risk, call, reason}]."""
    bayes = engine == "bayesian"
    header = html.Thead(
        html.Tr(
            [
                html.Th("Metric"),
                html.Th("Variant"),
                html.Th("Units", className="text-end"),
                html.Th("Value", className="text-end"),
                html.Th("Lift [interval]", className="text-end"),
                html.Th("Chance to win" if bayes else "p-value", className="text-end"),
                html.Th(
                    "Risk" if bayes else "Adjusted p",
                    className="text-end",
                    title="" if bayes else "Adjusted for multiple comparisons; decides the call.",
                ),
                html.Th("Call"),
            ]
        )
    )
    body_rows = []
    for metric in metrics:
        comparisons = {c["variant"]: c for c in metric["comparisons"]}
        for index, arm in enumerate(metric["arms"]):
            comparison = comparisons.get(arm["variant"])
            if index == 0:
                label = [html.Div(metric["label"], className="fw-semibold")]
                role = "Guardrail" if metric["role"] == "guardrail" else "Goal"
                label.append(html.Small(role, className="text-secondary"))
                if metric["degraded"]:
                    label.append(dbc.Badge("Degraded", color="danger", className="ms-2"))
                metric_cell = html.Td(label, rowSpan=len(metric["arms"]))
            cells = [metric_cell] if index == 0 else []
            cells += [
                html.Td(arm["variant"] + (" (control)" if index == 0 else "")),
                html.Td(format_int(arm["n"]), className="text-end"),
                html.Td(metric_value(arm["value"], metric["unit"], currency), className="text-end"),
            ]
            if comparison is None:
                cells += [html.Td(""), html.Td(""), html.Td(""), html.Td("")]
            else:
                text, _color, badge = CALL_STYLE.get(comparison["call"], CALL_STYLE["inconclusive"])
                if bayes:
                    stat = format_percent(comparison["chance_to_win"])
                    risk = (
                        DASH if comparison["risk"] is None else f"{comparison['risk'] * 100:.2f}%"
                    )
                else:
                    stat = _p_text(comparison["p_value"])
                    risk = _p_text(comparison.get("adjusted_p_value"))
                cells += [
                    html.Td(
                        _lift_text(
                            comparison["lift"], comparison["ci_lower"], comparison["ci_upper"]
                        ),
                        className="text-end",
                    ),
                    html.Td(stat, className="text-end"),
                    html.Td(risk, className="text-end"),
                    html.Td(
                        dbc.Badge(
                            text,
                            color=badge,
                            className="text-dark" if badge == "light" else "",
                            title=comparison.get("reason") or "",
                        )
                    ),
                ]
            body_rows.append(html.Tr(cells))
    return dbc.Table(
        [header, html.Tbody(body_rows)],
        responsive=True,
        className="align-middle mb-0 results-table",
    )


CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini–Hochberg"}
CORRECTION_CONTROLS = {"holm": "family-wise error rate", "bh": "false discovery rate"}


def corrections_note(corrections: Sequence[Mapping[str, Any]], alpha: float) -> Component | None:
    """The line under a frequentist results table saying how p-values were adjusted:
    ``corrections`` items have role (goal / guardrail), method (holm / bh) and size."""
    parts = []
    for family in corrections:
        role = "goal metrics" if family["role"] == "goal" else "guardrails"
        method = CORRECTION_NAMES.get(family["method"], family["method"])
        control = CORRECTION_CONTROLS.get(family["method"], "")
        count = family["size"]
        parts.append(
            f"{role}: {method} over {count} comparison{'s' if count != 1 else ''} ({control})"
        )
    if not parts:
        return None
    return html.P(
        [
            html.I(className="bi bi-info-circle me-1"),
            "P-values adjusted for multiple comparisons — "
            + "; ".join(parts)
            + f". A result is significant when its adjusted p-value is at most "
            f"{alpha:g}; intervals are not adjusted.",
        ],
        className="small text-secondary mt-2 mb-0",
        id="admin-exp-corrections",
    )


def format_age(seconds: float) -> str:
    """How long ago, in words: "just now", "5 minutes ago", "3 hours ago", "2 days ago"."""
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def analysis_status(
    *, computed_ago: str | None, seconds: float | None, pending: bool, requested_ago: str | None
) -> Component:
    """The freshness line of the results: when the stored analysis was computed and how
    long it took, and whether a recomputation is under way."""
    children: list[Any] = []
    if computed_ago is not None:
        took = "" if seconds is None else f" (took {seconds:,.1f} s)"
        children.append(
            html.Span(
                [html.I(className="bi bi-clock-history me-1"), f"Computed {computed_ago}{took}."],
                className="me-2",
            )
        )
    if pending:
        children.append(
            html.Span(
                [
                    dbc.Spinner(size="sm", spinner_class_name="me-1"),
                    "Recomputing"
                    + (f" (requested {requested_ago})" if requested_ago else "")
                    + "… the results update when it is done.",
                ],
                className="text-primary",
            )
        )
    return html.Div(children, className="small text-secondary")


def analysis_pending_view(exposures: int) -> Component:
    """Shown instead of results while the first analysis of a large experiment runs."""
    return dbc.Alert(
        [
            dbc.Spinner(size="sm", spinner_class_name="me-2"),
            f"Results are being computed ({format_int(exposures)}+ exposures): "
            "this page updates when they are ready.",
        ],
        color="light",
        className="border",
        id="admin-exp-computing",
    )


#: A dashed reference line at zero lift (layout shape): across the plot at x = 0 (forest)
#: or along it at y = 0 (cumulative), like plotly's ``add_vline`` / ``add_hline``.
_ZERO_LINE = {"color": "#64748b", "dash": "dash", "width": 1}


def forest_figure(points: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Lift with its interval per (metric, treatment): ``points`` items have label, lift,
    ci_lower, ci_upper, call. Lifts are shown in percent around a zero line."""
    usable = [p for p in points if p["lift"] is not None]
    labels = [p["label"] for p in usable]
    traces = []
    for point in usable:
        color = CALL_STYLE.get(point["call"], CALL_STYLE["inconclusive"])[1]
        lower = point["ci_lower"] if point["ci_lower"] is not None else point["lift"]
        upper = point["ci_upper"] if point["ci_upper"] is not None else point["lift"]
        traces.append(
            {
                "type": "scatter",
                "x": [point["lift"] * 100],
                "y": [point["label"]],
                "mode": "markers",
                "marker": {"size": 11, "color": color},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(upper - point["lift"]) * 100],
                    "arrayminus": [(point["lift"] - lower) * 100],
                    "color": color,
                    "thickness": 2,
                    "width": 6,
                },
                "hovertemplate": f"{point['label']}<br>lift %{{x:+.1f}}% [{lower * 100:+.1f}%, {upper * 100:+.1f}%]<extra></extra>",
            }
        )
    layout = {
        "hovermode": "closest",
        "showlegend": False,
        "margin": {"l": 220, "r": 30, "t": 56, "b": 48},
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "x0": 0,
                "x1": 0,
                "yref": "y domain",
                "y0": 0,
                "y1": 1,
                "line": _ZERO_LINE,
            }
        ],
        "xaxis": {
            "title": {"text": "Relative lift vs control (%)"},
            "ticksuffix": "%",
            "zeroline": False,
            "rangemode": "normal",
        },
        "yaxis": {
            "title": {"text": ""},
            "categoryorder": "array",
            "categoryarray": list(reversed(labels)),
            "gridcolor": GRID,
        },
    }
    return titled_figure(
        "Lift by metric (with interval)",
        "",
        traces,
        layout,
        height=max(220, 70 + 46 * len(points)),
    )


def cumulative_figure(
    series: Mapping[str, Sequence[Mapping[str, Any]]], metric_label: str
) -> go.Figure:
    """Cumulative lift over first-exposure days, one line (with interval band) per
    treatment: ``series[variant]`` = [{day, lift, ci_lower, ci_upper}]."""
    traces = []
    for index, (variant, points) in enumerate(series.items()):
        color = VARIANT_COLORS[(index + 1) % len(VARIANT_COLORS)]
        usable = [p for p in points if p["lift"] is not None]
        days = [p["day"] for p in usable]
        if any(p["ci_lower"] is not None for p in usable):
            traces.append(
                {
                    "type": "scatter",
                    "x": days + days[::-1],
                    "y": [p["ci_upper"] * 100 for p in usable]
                    + [p["ci_lower"] * 100 for p in reversed(usable)],
                    "fill": "toself",
                    "fillcolor": "rgba(79,70,229,0.12)" if index == 0 else "rgba(14,165,233,0.12)",
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
        traces.append(
            {
                "type": "scatter",
                "x": days,
                "y": [p["lift"] * 100 for p in usable],
                "mode": "lines+markers",
                "name": variant,
                "line": {"color": color, "width": 2},
                "hovertemplate": "%{y:+.1f}%",
            }
        )
    layout = {
        "hovermode": "x unified",
        "shapes": [
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": 0,
                "y1": 0,
                "line": _ZERO_LINE,
            }
        ],
        "xaxis": {"title": {"text": "First exposure up to"}},
        "yaxis": {"ticksuffix": "%", "rangemode": "normal"},
    }
    return titled_figure(f"Cumulative lift: {metric_label}", "Lift vs control (%)", traces, layout)


def empty_figure(message: str) -> go.Figure:
    """A blank chart carrying ``message``."""
    layout = {
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "annotations": [
            {"text": message, "showarrow": False, "font": {"color": MUTED, "size": 14}}
        ],
    }
    return titled_figure("", "", [], layout, height=240)


__all__ = [
    "analysis_pending_view",
    "analysis_status",
    "corrections_note",
    "cumulative_figure",
    "empty_figure",
    "experiment_form",
    "experiments_table",
    "forest_figure",
    "format_age",
    "health_badge",
    "metric_value",
    "power_card",
    "results_table",
    "srm_banner",
    "status_badge",
]
