"""Recommendations page pieces: one card per piece of advice (what to do, the numbers behind
it, the expected effect, a link to the story and a Dismiss or Restore button), the list of
cards and the empty states. Pure: :class:`RecommendationCardData` in, Dash components out.

A *fact* is a dict ``{"label", "value", "unit"}`` with unit ``count``, ``ratio`` (0–1),
``days``, ``words``, ``money`` (minor units), ``number`` or ``text``
(``app.analytics.recommendations`` documents them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from components.feedback import empty_state
from components.formatting import DASH, format_int, format_money, format_percent

#: Icons per recommendation kind (Bootstrap Icons); unknown kinds get the light bulb.
KIND_ICONS = {
    "dropoff": "bi-graph-down-arrow",
    "release_time": "bi-clock",
    "cadence": "bi-calendar-x",
    "paywall": "bi-lock",
    "chapter_length": "bi-text-paragraph",
    "momentum": "bi-rocket-takeoff",
    "segment": "bi-people",
}
DEFAULT_ICON = "bi-lightbulb"


@dataclass(frozen=True)
class RecommendationCardData:
    """What one card shows. ``story_id`` / ``story_title`` / ``chapter_number`` name what
    the advice is about (the card links to ``/stories/<story_id>``); ``dismissed_at`` is
    set for dismissed advice (shown with a Restore button instead of Dismiss)."""

    fingerprint: str
    kind: str
    kind_label: str
    rank: int
    title: str
    detail: str
    expected_effect: str
    facts: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    story_id: int | None = None
    story_title: str | None = None
    chapter_number: int | None = None
    dismissed_at: datetime | None = None


def format_fact(value: Any, unit: str, currency: str = "USD") -> str:
    """A fact's value for display: ``1234`` count → ``"1,234"``, ``0.25`` ratio →
    ``"25.0%"``, ``41.0`` days → ``"41 days"``, ``2300`` words → ``"2,300 words"``,
    money (minor units) through ``format_money``, ``number`` with two decimals, ``text``
    as is; ``None`` is a dash."""
    if value is None:
        return DASH
    if unit == "text":
        return str(value)
    if not isinstance(value, int | float):
        return str(value)
    if unit == "ratio":
        return format_percent(value)
    if unit == "money":
        return format_money(value, currency)
    if unit == "days":
        return f"{value:,.0f} day{'' if round(value) == 1 else 's'}"
    if unit == "words":
        return f"{value:,.0f} words"
    if unit == "number":
        return f"{value:,.2f}"
    return format_int(value)


def _when(stamp: datetime) -> str:
    return f"{stamp:%b %-d, %Y at %H:%M} UTC"


def _facts(facts: Sequence[Mapping[str, Any]], currency: str) -> Component:
    return html.Dl(
        [
            item
            for fact in facts
            for item in (
                html.Dt(str(fact.get("label", "")), className="reco-fact-label"),
                html.Dd(
                    format_fact(fact.get("value"), str(fact.get("unit", "count")), currency),
                    className="reco-fact-value",
                ),
            )
        ],
        className="reco-facts mb-0",
    )


def _concerns(card: RecommendationCardData) -> Component | None:
    if card.story_id is None:
        return None
    name = card.story_title or f"Story {card.story_id}"
    if card.chapter_number is not None:
        name = f"{name} · Ch. {card.chapter_number}"
    return dcc.Link(
        [html.I(className="bi bi-journal-text me-1", **{"aria-hidden": "true"}), name],
        href=f"/stories/{card.story_id}",
        className="reco-story-link small",
    )


def recommendation_card(card: RecommendationCardData, *, currency: str = "USD") -> Component:
    """One piece of advice as a card (see the module docstring). The button has the
    pattern-matching id ``{"type": ids.RECO_DISMISS (or RECO_RESTORE), "index":
    fingerprint}``."""
    icon = KIND_ICONS.get(card.kind, DEFAULT_ICON)
    if card.dismissed_at is None:
        button = dbc.Button(
            [html.I(className="bi bi-x-lg me-1", **{"aria-hidden": "true"}), "Dismiss"],
            id={"type": ids.RECO_DISMISS, "index": card.fingerprint},
            color="secondary",
            outline=True,
            size="sm",
            title="Hide this recommendation; it stays hidden when recommendations are recomputed",
        )
        state = None
    else:
        button = dbc.Button(
            [html.I(className="bi bi-arrow-counterclockwise me-1", **{"aria-hidden": "true"}),
             "Restore"],
            id={"type": ids.RECO_RESTORE, "index": card.fingerprint},
            color="primary",
            outline=True,
            size="sm",
        )  # fmt: skip
        state = html.Span(
            f"Dismissed {card.dismissed_at:%b %-d, %Y}", className="text-secondary small me-2"
        )
    concerns = _concerns(card)
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.Span(
                            [
                                html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}),
                                card.kind_label,
                            ],
                            className="reco-kind",
                        ),
                        html.Span(f"#{card.rank}", className="reco-rank", title="Rank"),
                    ],
                    className="d-flex justify-content-between align-items-center mb-2",
                ),
                html.H2(card.title, className="h5 reco-title mb-2"),
                html.P(card.detail, className="reco-detail mb-3"),
                html.Div(
                    [
                        html.I(className="bi bi-bullseye me-2", **{"aria-hidden": "true"}),
                        html.Div(
                            [
                                html.Div("Expected effect", className="reco-effect-label"),
                                html.Div(card.expected_effect),
                            ]
                        ),
                    ],
                    className="reco-effect d-flex mb-3",
                ),
                html.Details(
                    [
                        html.Summary("The numbers behind it", className="small"),
                        _facts(card.facts, currency),
                    ],
                    open=True,
                    className="reco-evidence mb-3",
                )
                if card.facts
                else None,
                html.Div(
                    [
                        concerns or html.Span(),
                        html.Div([state, button] if state else [button]),
                    ],
                    className="d-flex justify-content-between align-items-center",
                ),
            ]
        ),
        className=f"reco-card h-100{' reco-card-dismissed' if card.dismissed_at else ''}",
        id=f"reco-card-{card.rank}",
    )


def recommendation_list(
    active: Sequence[RecommendationCardData],
    dismissed: Sequence[RecommendationCardData] = (),
    *,
    computed_at: datetime | None,
    dismissed_count: int = 0,
    currency: str = "USD",
) -> Component:
    """The cards (best first), a line saying when they were computed and how many are
    dismissed, and the dismissed cards under their own heading when given."""
    footer = []
    if computed_at is not None:
        footer.append(f"Computed {_when(computed_at)}.")
    if dismissed_count and not dismissed:
        footer.append(
            f"{dismissed_count} dismissed recommendation{'s' if dismissed_count != 1 else ''} "
            "hidden: switch on “Show dismissed” to see them."
        )
    children: list[Component] = [
        html.P(" ".join(footer), className="text-secondary small mb-3 reco-computed")
    ]
    if active:
        children.append(
            dbc.Row(
                [
                    dbc.Col(recommendation_card(card, currency=currency), xs=12, xl=6)
                    for card in active
                ],
                className="g-3 mb-4",
            )
        )
    if dismissed:
        children.append(html.H2("Dismissed", className="h6 text-secondary mt-2 mb-3"))
        children.append(
            dbc.Row(
                [
                    dbc.Col(recommendation_card(card, currency=currency), xs=12, xl=6)
                    for card in dismissed
                ],
                className="g-3",
            )
        )
    return html.Div(children)


def not_computed_state(interval: str) -> Component:
    """The job has not run (successfully) yet."""
    return empty_state(
        "No recommendations yet",
        f"Recommendations are worked out in the background {interval}, and they have not "
        "been computed yet. Come back after the next run.",
        icon="bi-hourglass-split",
    )


def nothing_to_recommend_state(computed_at: datetime | None, interval: str) -> Component:
    """The job ran and found nothing to say (too little data, or nothing stands out)."""
    when = f" (computed {_when(computed_at)})" if computed_at else ""
    return empty_state(
        "Nothing to recommend right now",
        f"No chapter, release pattern, paywall or audience segment stands out{when}. Each "
        "rule needs enough data before it speaks — for example 50 readers who started a "
        f"story. Recommendations are recomputed {interval}.",
        icon="bi-check2-circle",
    )


def all_dismissed_state(count: int) -> Component:
    """Everything current is dismissed."""
    return empty_state(
        "You've dismissed every recommendation",
        f"{count} recommendation{'s are' if count != 1 else ' is'} dismissed. Switch on "
        "“Show dismissed” to bring one back; new advice appears here when it comes up.",
        icon="bi-eye-slash",
    )


def pick_writer_state() -> Component:
    """An admin looking at "All writers": recommendations are per writer."""
    return empty_state(
        "Pick a writer",
        "Recommendations are worked out for each writer. Choose one in the writer picker "
        "to see theirs.",
        icon="bi-person-lines-fill",
    )
