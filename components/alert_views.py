"""Alerts page pieces: one list item per alert (what moved and when, the observed value
against the expected range for that weekday, the likely source in words with a link to the
story, severity, and "Mark as read"), the list, and its empty states. Pure:
:class:`AlertEntry` in, Dash components out.

Values are in the metric's unit: ``readers`` and ``views`` are counts, ``revenue`` minor
units of the reporting currency (shown with ``components.formatting.format_money``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.countries import country_name
from components.feedback import empty_state
from components.formatting import format_change, format_int, format_money

METRIC_LABELS = {"readers": "Readers", "views": "Views", "revenue": "Revenue"}
#: "Readers spiked", "Revenue dropped".
DIRECTION_VERBS = {"spike": "spiked", "drop": "dropped"}
DIRECTION_ICONS = {"spike": "bi-graph-up-arrow", "drop": "bi-graph-down-arrow"}
DIRECTION_CLASSES = {"spike": "text-positive", "drop": "text-negative"}
SEVERITY_BADGES = {
    "high": ("High", "danger"),
    "medium": ("Medium", "warning"),
    "low": ("Low", "secondary"),
}
#: What a spike adds and a drop takes away, per metric.
DEVIATION_NOUNS = {
    "readers": {"spike": "the extra readers", "drop": "the missing readers"},
    "views": {"spike": "the extra views", "drop": "the missing views"},
    "revenue": {"spike": "the extra revenue", "drop": "the lost revenue"},
}
#: How an acquisition source reads in a sentence ("Readers who came through …").
ACQUISITION_PHRASES = {
    "organic": "organic discovery",
    "search": "search",
    "social": "social media",
    "referral": "referrals",
    "ads": "ads",
    "email": "email",
}
EXPLANATION = (
    "The alerts job checks your daily readers, views and revenue every hour. A day becomes an "
    "alert when it is far outside the usual range for that weekday — judged against the "
    "same weekday and the trend of the 8 weeks before, at least 20% off and more than 3.5 "
    "times the usual day-to-day variation — and it says what most likely caused it. A series "
    "needs 4 weeks of history before it is judged."
)


@dataclass(frozen=True)
class AlertEntry:
    """What one list item shows. ``metric`` readers|views|revenue; ``direction``
    spike|drop; ``severity`` low|medium|high; ``score`` how many usual day-to-day
    variations the day was off; the source ``source_kind`` (release|story|writer|country|
    acquisition_source, or ``None``: nothing stands out), ``source_label``,
    ``source_share`` (0–1 of the deviation), ``story_id`` with ``story_title`` (the link;
    ``None`` when the story is not one of the viewer's), ``release_numbers`` (chapters that
    source released that day); ``unread`` for the New badge and the "Mark as read"
    button."""

    id: int
    metric: str
    day: date
    direction: str
    observed: float
    expected: float
    expected_low: float
    expected_high: float
    severity: str
    score: float
    source_kind: str | None
    source_label: str | None
    source_share: float | None
    story_id: int | None
    story_title: str | None
    created_at: datetime
    unread: bool
    release_numbers: tuple[int, ...] = field(default=())


def format_amount(value: float | None, metric: str, currency: str = "USD") -> str:
    """A metric value for display: money for revenue (minor units), a whole count otherwise."""
    if metric == "revenue":
        return format_money(value, currency)
    return format_int(value)


def headline(entry: AlertEntry) -> str:
    """ "Readers spiked on Wednesday, Mar 4, 2026"."""
    label = METRIC_LABELS.get(entry.metric, entry.metric.title())
    verb = DIRECTION_VERBS.get(entry.direction, "changed")
    return f"{label} {verb} on {entry.day:%A, %b %-d, %Y}"


def relative_change(entry: AlertEntry) -> float | None:
    """``observed ÷ expected − 1`` (``None`` when nothing was expected)."""
    return entry.observed / entry.expected - 1.0 if entry.expected else None


def _chapters(numbers: Sequence[int]) -> str:
    numbers = sorted(set(numbers))
    if len(numbers) == 1:
        return f"chapter {numbers[0]} was"
    return "chapters " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]} were"


def source_sentence(entry: AlertEntry) -> list[Component | str]:
    """The likely source in words, with the story linked when it is one of the viewer's:
    "The Glass Orchard accounts for 82% of the extra readers; chapter 14 was released that
    day." / "Readers in Brazil account for 64% of the missing views." / "No single story,
    country or acquisition source stands out …"."""
    noun = DEVIATION_NOUNS.get(entry.metric, {}).get(entry.direction, "the change")
    releases = (
        f"; {_chapters(entry.release_numbers)} released that day." if entry.release_numbers else "."
    )
    if entry.source_kind is None or entry.source_share is None:
        return [
            "No single story, country or acquisition source stands out: the change is spread "
            f"across them{releases}"
        ]
    share = f"{round(min(max(entry.source_share, 0.0), 1.0) * 100)}%"
    label = entry.source_label or ""
    subject: list[Component | str]
    if entry.source_kind in ("release", "story"):
        title = entry.story_title or label
        if entry.story_id is not None and entry.story_title is not None:
            subject = [
                dcc.Link(title, href=f"/stories/{entry.story_id}", className="alert-story-link")
            ]
        else:
            subject = [title]
        subject.append(" accounts")
    elif entry.source_kind == "writer":
        subject = [f"{label}'s stories account"]
    elif entry.source_kind == "country":
        where = "without a known country" if label == "unknown" else f"in {country_name(label)}"
        subject = [f"Readers {where} account"]
    else:
        how = ACQUISITION_PHRASES.get(label, "an unknown source" if label == "unknown" else label)
        subject = [f"Readers who came through {how} account"]
    return [*subject, f" for {share} of {noun}{releases}"]


def severity_badge(entry: AlertEntry) -> Component:
    label, color = SEVERITY_BADGES.get(entry.severity, (entry.severity.title(), "secondary"))
    return dbc.Badge(
        label,
        color=color,
        className=f"alert-severity{' text-dark' if color == 'warning' else ''}",
        title=f"{entry.score:.1f} × the usual day-to-day variation away from the expected value",
    )


def alert_item(entry: AlertEntry, *, currency: str = "USD", can_mark: bool = True) -> Component:
    """One alert (see the module docstring). Its id is ``ids.alert_item_id(entry.id)``; the
    "Mark as read" button (unread alerts, when ``can_mark``) has the pattern-matching id
    ``{"type": ids.ALERTS_MARK_ONE, "index": entry.id}``."""
    change = relative_change(entry)
    direction_class = DIRECTION_CLASSES.get(entry.direction, "")
    observed = format_amount(entry.observed, entry.metric, currency)
    expected = format_amount(entry.expected, entry.metric, currency)
    low = format_amount(entry.expected_low, entry.metric, currency)
    high = format_amount(entry.expected_high, entry.metric, currency)
    top: list[Component] = [
        html.Span(
            html.I(
                className=f"bi {DIRECTION_ICONS.get(entry.direction, 'bi-activity')}",
                **{"aria-hidden": "true"},
            ),
            className=f"alert-direction {direction_class}",
        ),
        html.Div(
            [
                html.Div(
                    [
                        html.Span(headline(entry), className="alert-headline"),
                        dbc.Badge("New", color="primary", className="ms-2 alert-new")
                        if entry.unread
                        else None,
                    ],
                    className="d-flex align-items-center flex-wrap",
                ),
                html.Div(
                    [
                        html.Span(observed, className=f"alert-observed {direction_class}"),
                        html.Span(
                            f" ({format_change(change)})" if change is not None else " (new)",
                            className=f"alert-change {direction_class}",
                        ),
                        html.Span(
                            f" vs about {expected} expected · usual range for a "
                            f"{entry.day:%A}: {low} – {high}",
                            className="text-secondary",
                        ),
                    ],
                    className="alert-numbers",
                ),
                html.P(
                    [
                        html.I(className="bi bi-lightbulb me-1", **{"aria-hidden": "true"}),
                        *source_sentence(entry),
                    ],
                    className="alert-source mb-0",
                ),
            ],
            className="flex-grow-1",
        ),
    ]
    side: list[Component | None] = [
        severity_badge(entry),
        html.Div(
            f"Found {entry.created_at:%b %-d, %H:%M} UTC", className="small text-secondary mt-1"
        ),
    ]
    if entry.unread and can_mark:
        side.append(
            dbc.Button(
                [html.I(className="bi bi-check2 me-1", **{"aria-hidden": "true"}), "Mark as read"],
                id={"type": ids.ALERTS_MARK_ONE, "index": entry.id},
                color="secondary",
                outline=True,
                size="sm",
                className="mt-2",
            )
        )
    return dbc.ListGroupItem(
        html.Div(
            [
                html.Div(top, className="d-flex gap-3 flex-grow-1"),
                html.Div(side, className="alert-side text-md-end"),
            ],
            className="d-flex flex-column flex-md-row gap-2 justify-content-between",
        ),
        id=ids.alert_item_id(entry.id),
        className=f"alert-item{' alert-unread' if entry.unread else ''}",
    )


def alerts_list(
    entries: Sequence[AlertEntry], *, currency: str = "USD", can_mark: bool = True
) -> Component:
    """The alerts, in the order given (newest day first)."""
    return dbc.ListGroup(
        [alert_item(entry, currency=currency, can_mark=can_mark) for entry in entries],
        className="alert-list",
    )


def no_alerts_state(*, unread_only: bool = False, platform: bool = False) -> Component:
    """Nothing to list: everything read (``unread_only``), or no alert yet (with what the
    job looks for)."""
    if unread_only:
        return empty_state(
            "No unread alerts",
            "You're all caught up. Switch to “All” to see earlier alerts.",
            icon="bi-check2-circle",
        )
    text = EXPLANATION.replace("your daily", "the platform's daily") if platform else EXPLANATION
    return empty_state(
        "No alerts yet",
        f"{text} Nothing unusual has been found so far.",
        icon="bi-bell",
    )
