"""Shared builders for the experiments tests."""

from __future__ import annotations

from data.experiments import Actor, ExperimentForm, VariantInput

ACTOR = Actor(user_id=None, label="tests")


def form(key: str = "cover-test", **changes: object) -> ExperimentForm:
    """A valid two-arm form; ``changes`` override fields."""
    values: dict[str, object] = {
        "key": key,
        "name": "New cover",
        "hypothesis": "A brighter cover raises unlocks.",
        "variants": (
            VariantInput("control", "Current cover", 50),
            VariantInput("bright", "Bright cover", 50),
        ),
        "goal_metrics": ("unlock_conversion",),
        "guardrail_metrics": ("reading_time",),
        "engine": "frequentist",
        "sequential": False,
        "traffic_percent": 100,
        "conversion_window_days": 7,
    }
    values.update(changes)
    return ExperimentForm(**values)  # type: ignore[arg-type]
