"""``build_report``'s multiple-comparison adjustment (pure): goal metrics × treatment arms
form one family (Holm by default, or Benjamini–Hochberg), guardrails another (BH); the
adjusted p-values equal statsmodels' ``multipletests`` on the report's own p-values, and the
significance call follows the adjusted value. Bayesian reports are not adjusted."""

from __future__ import annotations

from datetime import date

import pytest
from statsmodels.stats.multitest import multipletests

from app.analytics.experiment_report import (
    CohortSums,
    Correction,
    MetricSpec,
    VariantSpec,
    build_report,
)

VARIANTS = [
    VariantSpec("control", "Control", 34, True),
    VariantSpec("t1", "One", 33, False),
    VariantSpec("t2", "Two", 33, False),
]
UNLOCKS = MetricSpec("unlock_conversion", "Unlocks", "proportion", "ratio", "unlocked")
CHAPTERS = MetricSpec("chapters_read", "Chapters", "mean", "count", "chapters")
READING = MetricSpec("reading_time", "Reading", "mean", "seconds", "read_seconds", "guardrail")
N = 2000


def _cohort(variant: str, unlocked: int, reading: float) -> CohortSums:
    return CohortSums(
        variant,
        date(2026, 3, 2),
        N,
        {
            "unlocked": unlocked,
            "unlocked_sq": unlocked,
            "chapters": 2.0 * N,  # mean 2, variance 1: no effect anywhere
            "chapters_sq": (N - 1) + 4.0 * N,
            "read_seconds": reading * N,
            "read_seconds_sq": 100.0**2 * (N - 1) + reading**2 * N,
        },
    )


# t1 lifts unlocks with raw p ≈ 0.025 (significant alone), t2 with p ≈ 0.0001; reading time
# drops in t2 (p ≈ 0.0016) and barely in t1.
COHORTS = [
    _cohort("control", 200, 300.0),
    _cohort("t1", 250, 297.0),
    _cohort("t2", 300, 290.0),
]


def _report(engine: str = "frequentist", **options: str):
    return build_report(
        VARIANTS,
        [UNLOCKS, CHAPTERS, READING],
        COHORTS,
        excluded_units=0,
        engine=engine,
        sequential=False,
        days_running=3.0,
        **options,
    )


def _family(report, role: str) -> list:
    return [c for m in report.metrics if m.spec.role == role for c in m.comparisons]


@pytest.mark.parametrize(("correction", "method"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_goal_p_values_are_adjusted_together(correction: str, method: str) -> None:
    report = _report(correction=correction)
    goals = _family(report, "goal")
    assert len(goals) == 4  # 2 treatments × 2 goal metrics
    reject, expected, _, _ = multipletests([c.p_value for c in goals], alpha=0.05, method=method)
    assert [c.adjusted_p_value for c in goals] == pytest.approx(list(expected), rel=1e-12)
    assert [c.significant for c in goals] == list(reject)
    assert report.corrections[0] == Correction("goal", correction, 4)


def test_the_call_follows_the_adjusted_p_value() -> None:
    report = _report()
    t1_unlocks = report.metrics[0].comparisons[0]
    assert t1_unlocks.p_value < 0.05  # significant on its own ...
    assert t1_unlocks.adjusted_p_value > 0.05  # ... not among four comparisons
    assert (t1_unlocks.significant, t1_unlocks.call) == (False, "inconclusive")
    t2_unlocks = report.metrics[0].comparisons[1]
    assert (t2_unlocks.significant, t2_unlocks.call) == (True, "better")


def test_guardrails_form_their_own_benjamini_hochberg_family() -> None:
    report = _report()
    guardrails = _family(report, "guardrail")
    _, expected, _, _ = multipletests([c.p_value for c in guardrails], method="fdr_bh")
    assert [c.adjusted_p_value for c in guardrails] == pytest.approx(list(expected), rel=1e-12)
    assert report.corrections[1] == Correction("guardrail", "bh", 2)
    reading = report.metrics[2]
    assert reading.comparisons[1].call == "worse"
    assert reading.degraded


def test_a_single_comparison_is_its_own_adjustment() -> None:
    report = build_report(
        [VariantSpec("control", "Control", 50, True), VariantSpec("t1", "One", 50, False)],
        [UNLOCKS],
        COHORTS[:2],
        excluded_units=0,
        engine="frequentist",
        sequential=False,
        days_running=3.0,
    )
    (comparison,) = report.metrics[0].comparisons
    assert comparison.adjusted_p_value == pytest.approx(comparison.p_value)
    assert comparison.significant


def test_bayesian_reports_are_not_adjusted() -> None:
    report = _report(engine="bayesian")
    assert report.corrections == ()
    assert all(c.adjusted_p_value is None for m in report.metrics for c in m.comparisons)


def test_an_unknown_correction_is_refused() -> None:
    with pytest.raises(ValueError, match="correction"):
        _report(correction="bonferroni")
