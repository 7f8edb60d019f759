"""Every figure builder of ``components`` against plotly's schema.

Figures are built without plotly's per-property validation (``components.figures.figure``:
validating each property cost more than a page's queries), so this is where their trace
and layout dicts are validated: each builder is called with small, realistic inputs (and
its empty states) and its figure is rebuilt *with* validation, which raises ``ValueError``
for an unknown property or an invalid value. The validated rebuild must also serialize to
the same JSON as the figure the app sends, so no value relies on a coercion that only
validation did. A new public builder without a case here fails
``test_every_builder_has_a_case``.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import ModuleType

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from components import experiments, figures, kpi, realtime_views, story_views
from components.theme import CATEGORY_COLORS, REVENUE_SOURCE_COLORS, SEGMENT_COLORS

BUILDER_MODULES: tuple[ModuleType, ...] = (figures, story_views, experiments, realtime_views)

DAYS = pd.date_range("2026-03-01", periods=28, freq="D")
REVENUE_SERIES = [
    ("unlocks", "Chapter unlocks", REVENUE_SOURCE_COLORS["unlocks"]),
    ("tips", "Tips", REVENUE_SOURCE_COLORS["tips"]),
    ("subscriptions", "Subscriptions", REVENUE_SOURCE_COLORS["subscriptions"]),
]


def _daily(values: list[int], start: str = "2026-03-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="D").date
    return pd.Series(values, index=index, dtype="int64")


def _views() -> pd.Series:
    return _daily([120, 95, 140, 180, 160, 90, 75] * 4)


def _previous_views() -> pd.Series:
    return _daily([100, 80, 130, 150, 170, 85, 60] * 4, start="2026-02-01")


def _money_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "bucket": DAYS[:rows],
            "label": [f"The Glass Orchard {n}" for n in range(rows)],
            "unlocks": rng.integers(0, 5_000, rows),
            "tips": rng.integers(0, 800, rows),
            "subscriptions": rng.integers(0, 900, rows),
        }
    )


def _forecast_points() -> pd.DataFrame:
    yhat = np.linspace(1_200.0, 1_800.0, 14)
    index = pd.date_range("2026-03-29", periods=14, freq="D").date
    return pd.DataFrame(
        {
            "yhat": yhat,
            "lower_80": yhat * 0.9,
            "upper_80": yhat * 1.1,
            "lower_95": yhat * 0.8,
            "upper_95": yhat * 1.2,
        },
        index=index,
    )


def _curve() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chapter_number": [1, 2, 3, 4, 5],
            "title": ["Arrival", "Roots", "The Orchard", "Glass", "Frost"],
            "reached": [200, 170, 150, 66, 60],
            "retention": [1.0, 0.85, 0.75, 0.33, 0.30],
            "loss": [float("nan"), 0.15, 0.1176, 0.56, 0.0909],
            "abnormal": [False, False, False, True, False],
        }
    )


def _by_type() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "reader_type": ["release_day"] * 5 + ["binge"] * 5,
            "chapter_number": [1, 2, 3, 4, 5] * 2,
            "reached": [120, 100, 90, 40, 36, 80, 70, 60, 26, 24],
            "retention": [1.0, 0.83, 0.75, 0.33, 0.3, 1.0, 0.875, 0.75, 0.325, 0.3],
        }
    )


def _mix() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "reader_type": ["release_day", "catch_up", "binge"],
            "readers": [120, 0, 80],
            "share": [0.6, 0.0, 0.4],
        }
    )


def _hooks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chapter_number": [1, 2, 3],
            "completers": [160, 140, 60],
            "next_24h": [96, 70, 6],
            "next_7d": [140, 120, 20],
            "rate_24h": [0.6, 0.5, 0.1],
            "rate_7d": [0.875, 0.857, 0.333],
        }
    )


def _paywall() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chapter_number": [4, 5],
            "reached": [66, 60],
            "unlocked": [20, 18],
            "read_without_unlock": [6, 5],
            "unlock_revenue": [9.8, 8.82],
            "conversion": [0.303, 0.3],
        }
    )


def _chapter_revenue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": [1, 2, 3],
            "title": ["Arrival", "Roots", "The Orchard"],
            "revenue_unlock": [0.0, 4.9, 9.8],
            "revenue_tip": [2.0, 0.0, 1.5],
            "revenue_subscription": [0.0, 0.0, 0.0],
        }
    )


def _minutes(count: int) -> list[datetime]:
    start = datetime(2026, 3, 28, 14, 0)
    return [start + timedelta(minutes=n) for n in range(count)]


def _cumulative_points(sign: float, with_interval: bool) -> list[dict]:
    return [
        {
            "day": date(2026, 3, n),
            "lift": sign * 0.01 * n,
            "ci_lower": sign * 0.01 * n - 0.08 if with_interval else None,
            "ci_upper": sign * 0.01 * n + 0.08 if with_interval else None,
        }
        for n in range(1, 8)
    ]


#: (builder name, case) → a call of the builder with realistic inputs.
CASES: dict[str, Callable[[], go.Figure | dict]] = {
    # components.figures
    "figures.figure": lambda: figures.figure(
        [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], {"title": {"text": "Bars"}}
    ),
    "figures.titled_figure": lambda: figures.titled_figure(
        "Readers", "Count", [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], {"bargap": 0.2}
    ),
    "figures.daily_metric_figure": lambda: figures.daily_metric_figure(
        _views(),
        _previous_views(),
        metric_key="views",
        metric_label="Views",
        unit="count",
        annotations=[{"day": date(2026, 3, 4), "label": f"Story {n} · ch. 3"} for n in range(6)],
        partial_last_day=True,
        hiatuses=[{"start": date(2026, 3, 8), "end": date(2026, 3, 15), "label": "Hiatus · A"}],
    ),
    "figures.daily_metric_figure/money": lambda: figures.daily_metric_figure(
        _views(), None, metric_key="revenue", metric_label="Revenue", unit="money"
    ),
    "figures.daily_metric_figure/ratio": lambda: figures.daily_metric_figure(
        _views() / 400,
        _previous_views() / 400,
        metric_key="completion_rate",
        metric_label="Completion rate",
        unit="ratio",
        comparison_name="Same period last year",
    ),
    "figures.daily_metric_figure/seconds": lambda: figures.daily_metric_figure(
        _views() * 240, None, metric_key="reading_seconds", metric_label="Hours", unit="seconds"
    ),
    "figures.daily_metric_figure/empty": lambda: figures.daily_metric_figure(
        pd.Series([], dtype=float), None, metric_key="views", metric_label="Views", unit="count"
    ),
    "figures.empty_figure": lambda: figures.empty_figure("Devices", "No readers in this period"),
    "figures.breakdown_bar_figure": lambda: figures.breakdown_bar_figure(
        ["iOS", "Android", "Not reported"],
        [1_200, 800, 40],
        [0.588, 0.392, 0.02],
        title="Devices",
        colors=["#4f46e5", "#4f46e5", "#cbd5e1"],
    ),
    "figures.breakdown_bar_figure/one colour": lambda: figures.breakdown_bar_figure(
        ["United States", "France"], [50, 30], [0.625, 0.375], title="Top countries", height=380
    ),
    "figures.donut_figure": lambda: figures.donut_figure(
        ["Casual", "Regular", "Loyal"],
        [300, 120, 40],
        title="Reader segments",
        colors=[SEGMENT_COLORS[key] for key in ("casual", "regular", "loyal")],
        center_text="460<br>readers",
    ),
    "figures.donut_figure/money": lambda: figures.donut_figure(
        ["Chapter unlocks", "Tips"],
        [12.5, 4.48],
        title="Revenue mix",
        colors=list(CATEGORY_COLORS[:2]),
        value_template=figures.value_template("money", "EUR"),
        height=380,
    ),
    "figures.country_map_figure": lambda: figures.country_map_figure(
        ["USA", "FRA", "JPN"],
        ["United States", "France", "Japan"],
        [500, 300, 200],
        [0.5, 0.3, 0.2],
        title="Readers by country",
    ),
    "figures.retention_heatmap_figure": lambda: figures.retention_heatmap_figure(
        ["Week of Mar 2, 2026", "Week of Mar 9, 2026"],
        ["First week", "Week 1", "Week 2"],
        [[1.0, 0.42, 0.2], [1.0, 0.35, None]],
        [[40, 17, 8], [20, 7, None]],
        title="Cohort retention by first-read week",
        x_title="Weeks since the first read",
        y_title="",
        row_sizes=[40, 20],
    ),
    "figures.stacked_money_figure": lambda: figures.stacked_money_figure(
        _money_frame(7),
        x="bucket",
        series=REVENUE_SERIES,
        title="Daily revenue by source",
        x_title="Date",
        x_tickformat="%b %-d",
    ),
    "figures.stacked_money_figure/horizontal": lambda: figures.stacked_money_figure(
        _money_frame(5),
        x="label",
        series=REVENUE_SERIES,
        title="Revenue by story",
        x_title="",
        currency="JPY",
        orientation="h",
        height=300,
    ),
    "figures.stacked_money_figure/empty": lambda: figures.stacked_money_figure(
        _money_frame(0), x="bucket", series=REVENUE_SERIES, title="Revenue", x_title="Week"
    ),
    "figures.change_bars_figure": lambda: figures.change_bars_figure(
        ["Views", "Readers", "Revenue"],
        [
            ("Week over week", [0.12, -0.05, None], "#4f46e5"),
            ("Month over month", [0.3, 0.0, 1.5], "#a5b4fc"),
        ],
        [["Views: +12%", "Readers: −5%", "Revenue: new"], ["+30%", "0%", "+150%"]],
        title="Change by metric",
    ),
    "figures.period_bars_figure": lambda: figures.period_bars_figure(
        pd.DataFrame(
            {
                "label": ["Mar 7", "Mar 14", "Mar 21", "Mar 28"],
                "value": [10.0, 12.5, 9.0, 15.5],
                "change": [None, 0.25, -0.28, float("nan")],
                "span": ["Mar 1 – 7", "Mar 8 – 14", "Mar 15 – 21", "Mar 22 – 28"],
            }
        ),
        metric_label="Revenue",
        unit="money",
        color="#16a34a",
        title="Revenue over the last 4 weeks",
        x_title="Window ending",
        currency="EUR",
    ),
    "figures.forecast_figure": lambda: figures.forecast_figure(
        _views() * 10, _forecast_points(), title="Revenue forecast", forecast_label="Forecast"
    ),
    # components.story_views
    "story_views.retention_figure": lambda: story_views.retention_figure(
        _curve(), _by_type(), _mix()
    ),
    "story_views.retention_figure/empty": lambda: story_views.retention_figure(
        _curve().iloc[0:0], _by_type().iloc[0:0], _mix().iloc[0:0]
    ),
    "story_views.hooks_figure": lambda: story_views.hooks_figure(_hooks()),
    "story_views.hooks_figure/empty": lambda: story_views.hooks_figure(_hooks().iloc[0:0]),
    "story_views.paywall_figure": lambda: story_views.paywall_figure(
        _paywall(), currency_symbol="£"
    ),
    "story_views.chapter_revenue_figure": lambda: story_views.chapter_revenue_figure(
        _chapter_revenue()
    ),
    # components.experiments
    "experiments.forest_figure": lambda: experiments.forest_figure(
        [
            {
                "label": "Conversion · B",
                "lift": 0.12,
                "ci_lower": 0.02,
                "ci_upper": 0.22,
                "call": "better",
            },
            {
                "label": "Revenue · B",
                "lift": -0.03,
                "ci_lower": None,
                "ci_upper": None,
                "call": "inconclusive",
            },
            {
                "label": "Views · B",
                "lift": None,
                "ci_lower": None,
                "ci_upper": None,
                "call": "no data",
            },
        ]
    ),
    "experiments.forest_figure/empty": lambda: experiments.forest_figure([]),
    "experiments.cumulative_figure": lambda: experiments.cumulative_figure(
        {"B": _cumulative_points(1.0, True), "C": _cumulative_points(-1.0, False)},
        "Conversion",
    ),
    "experiments.empty_figure": lambda: experiments.empty_figure("No exposures yet"),
    # components.realtime_views
    "realtime_views.per_minute_figure": lambda: realtime_views.per_minute_figure(
        _minutes(60),
        {
            "events": [n * 3 for n in range(60)],
            "views": [n * 2 for n in range(60)],
            "readers": list(range(60)),
        },
    ),
    "realtime_views.per_minute_figure/complete": lambda: realtime_views.per_minute_figure(
        _minutes(3), {"events": [4, 5, 6], "views": [2, 2, 3]}, last_minute_partial=False
    ),
    "realtime_views.per_minute_figure/empty": lambda: realtime_views.per_minute_figure([], {}),
    # components.kpi (a plain figure dict for dcc.Graph)
    "kpi.sparkline_figure": lambda: kpi.sparkline_figure(
        "views", [120.0, 95.0, 140.0], ["Mar 1: 120", "Mar 2: 95", "Mar 3: 140"]
    ),
    "kpi.sparkline_figure/no labels": lambda: kpi.sparkline_figure("revenue", [1.0, 2.0], []),
}


def _as_dict(built: go.Figure | dict) -> dict:
    return built.to_dict() if isinstance(built, go.Figure) else built


def _json(built: go.Figure | dict) -> dict:
    """What Dash sends for a figure (``plotly.io.json.to_json_plotly``), parsed."""
    return json.loads(pio.to_json(built, validate=False))


def _as_given(built: go.Figure | dict) -> dict:
    """The figure's properties as the builder passed them (``to_dict`` converts pandas
    objects; a trace's and the layout's ``to_plotly_json`` do not)."""
    if not isinstance(built, go.Figure):
        return built
    return {
        "data": [trace.to_plotly_json() for trace in built.data],
        "layout": built.layout.to_plotly_json(),
    }


def _pandas_values(value: object, path: str = "") -> list[str]:
    """Paths of pandas objects in a figure spec (``figure``'s contract: none)."""
    if isinstance(value, pd.Series | pd.Index | pd.DataFrame):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _pandas_values(item, f"{path}.{key}")]
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in _pandas_values(item, f"{path}[{i}]")]
    return []


def _builders() -> set[str]:
    """``module.function`` of every public function in the builder modules that returns a
    ``go.Figure``, and the sparkline."""
    names = {"kpi.sparkline_figure"}
    for module in BUILDER_MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            if inspect.signature(function).return_annotation in ("go.Figure", go.Figure):
                names.add(f"{module.__name__.rsplit('.', 1)[-1]}.{name}")
    return names


def test_every_builder_has_a_case() -> None:
    covered = {case.split("/", 1)[0] for case in CASES}
    assert _builders() - covered == set()
    assert covered - _builders() == set()


@pytest.mark.parametrize("case", sorted(CASES))
def test_figure_passes_plotly_validation(case: str) -> None:
    built = CASES[case]()
    spec = _as_dict(built)
    assert _pandas_values(_as_given(built)) == []
    validated = _json(go.Figure(spec))  # raises ValueError for an invalid property or value
    if not isinstance(built, go.Figure):  # a plain dict gets no template
        del validated["layout"]["template"]
    assert validated == _json(built)


#: All but the sparkline (a bare line by design), the raw helper and the experiments'
#: untitled placeholder.
TITLED = sorted(
    case
    for case in CASES
    if not case.startswith(("kpi.", "figures.figure", "experiments.empty_figure"))
)


@pytest.mark.parametrize("case", TITLED)
def test_figure_is_titled_and_themed(case: str) -> None:
    built = CASES[case]()
    assert isinstance(built, go.Figure)
    assert built.layout.title.text
    assert built.layout.template.layout.colorway, "the registered template is applied"


@pytest.mark.parametrize(
    ("part", "key", "value", "message"),
    [
        ("trace", "textpositon", "outside", "Invalid property specified .*'textpositon'"),
        ("xaxis", "tickformatt", ",.0f", "Invalid property specified .*'tickformatt'"),
        ("trace", "orientation", "sideways", "Invalid value .* 'orientation' property"),
    ],
)
def test_validation_rejects_what_a_builder_could_get_wrong(
    part: str, key: str, value: str, message: str
) -> None:
    """The check above can fail: plotly's validation raises for an unknown trace or layout
    property and for a wrong value, where the unvalidated ``figure`` accepts them."""
    spec = copy.deepcopy(_as_dict(CASES["figures.breakdown_bar_figure"]()))
    target = spec["data"][0] if part == "trace" else spec["layout"][part]
    target[key] = value
    figures.figure(spec["data"], spec["layout"])  # no validation per request
    with pytest.raises(ValueError, match=message):
        go.Figure(spec)


def test_figure_keeps_values_as_given() -> None:
    """``figure`` keeps values as given (no coercion: the numpy array stays one, and so
    does an out-of-range opacity), yet the figure reads like a validated one."""
    built = figures.figure(
        [
            {
                "type": "bar",
                "x": ["a", "b"],
                "y": np.array([1.5, 2.5]),
                "name": "Tips",
                "opacity": 2,
            }
        ],
        {"title": {"text": "Tips"}, "yaxis": {"tickprefix": "$"}},
    )
    assert built.data[0].type == "bar"
    assert built.data[0].name == "Tips"
    assert isinstance(built.data[0].y, np.ndarray)
    assert list(built.data[0].y) == [1.5, 2.5]
    assert built.data[0].opacity == 2
    assert built.layout.title.text == "Tips"
    assert built.layout.yaxis.tickprefix == "$"
