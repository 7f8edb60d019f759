"""From per-arm sufficient statistics to an experiment's results: values per arm, lift with
intervals, p-value or chance to win and risk, the significance call, guardrail flags, SRM,
power / days remaining and the cumulative lift over exposure days.

Pure computation (no storage): the caller passes the variants, metric specifications and
``CohortSums`` rows (per variant and first-exposure day: unit count ``n`` and named sums),
as ``data.experiments.experiment_sums`` produces them.

Which test decides (``engine``, ``sequential``):

- ``frequentist``: Welch's test on the relative lift (``frequentist_test``) or, with
  ``sequential``, the always-valid confidence sequence (``sequential_test``) whose planned
  size is the required sample of the first goal metric (both arms).
- ``bayesian``: ``bayesian_test`` (flat prior) gives chance to win, risk and the credible
  interval; significant when the chance to win is at least 1 − α/2 or at most α/2. With
  ``sequential`` the call uses the sequential interval instead (the Bayesian numbers are
  still shown; they are not protected against peeking).

Multiple comparisons (frequentist only; Bayesian results have no p-values): the p-values of
every (treatment, goal metric) pair form one family, adjusted with ``correction`` (Holm by
default, or Benjamini–Hochberg: ``adjust_p_values``); guardrail pairs form a second family,
adjusted with ``guardrail_correction`` (Benjamini–Hochberg by default). A comparison is
then significant when its *adjusted* p-value is at most α; the interval shown is not
adjusted. ``ExperimentReport.corrections`` says which method each family used and its size.

A comparison's ``call`` is ``better`` / ``worse`` (significant, in the metric's good or bad
direction), ``inconclusive`` or ``no data`` (too few units, undefined estimate). A guardrail
metric is ``degraded`` when any treatment is ``worse``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from app.analytics.stats import (
    ArmEstimate,
    MeanBaseline,
    MeanStats,
    ProportionBaseline,
    ProportionStats,
    RatioStats,
    SrmResult,
    UndefinedEstimate,
    adjust_p_values,
    bayesian_test,
    days_remaining,
    frequentist_test,
    sample_size_per_arm,
    sequential_test,
    srm_check,
)
from app.analytics.stats.types import MIN_UNITS

CALLS = ("better", "worse", "inconclusive", "no data")
#: ``build_report``'s ``correction`` values (``adjust_p_values`` methods).
CORRECTIONS = ("holm", "bh")


@dataclass(frozen=True)
class VariantSpec:
    """An arm as configured: key, display name, weight in percent, control flag."""

    key: str
    name: str
    weight: float
    is_control: bool


@dataclass(frozen=True)
class MetricSpec:
    """A metric: ``kind`` is ``proportion`` | ``mean`` | ``ratio``; ``column`` (and
    ``denominator`` for ratios) name the sums; ``role`` is ``goal`` or ``guardrail``."""

    key: str
    label: str
    kind: str
    unit: str
    column: str
    role: str = "goal"
    denominator: str | None = None
    higher_is_better: bool = True


@dataclass(frozen=True)
class CohortSums:
    """Sums over the ``n`` analysed units of ``variant`` first exposed on ``day``: for a
    value ``v``, ``sums[v]`` = Σv and ``sums[v + "_sq"]`` = Σv²; ratios also need
    ``sums[f"{column}_x_{denominator}"]`` = Σ column·denominator."""

    variant: str
    day: date
    n: int
    sums: Mapping[str, float]


@dataclass(frozen=True)
class ArmValue:
    """A metric's value in one arm."""

    variant: str
    n: int
    value: float | None


@dataclass(frozen=True)
class Comparison:
    """One treatment against control on one metric (lift is relative). For frequentist
    reports ``adjusted_p_value`` is ``p_value`` adjusted across the comparison's family
    (see the module docstring) and ``significant`` / ``call`` follow it."""

    variant: str
    control_value: float | None
    treatment_value: float | None
    lift: float | None
    ci_lower: float | None
    ci_upper: float | None
    p_value: float | None
    chance_to_win: float | None
    risk: float | None
    significant: bool
    call: str
    reason: str | None = None
    adjusted_p_value: float | None = None


@dataclass(frozen=True)
class Correction:
    """How the p-values of one family (``role``: ``goal`` or ``guardrail``) were adjusted:
    ``method`` (``holm`` / ``bh``) over ``size`` comparisons with a p-value."""

    role: str
    method: str
    size: int


@dataclass(frozen=True)
class MetricReport:
    """A metric's arms and comparisons; ``degraded`` only for guardrails."""

    spec: MetricSpec
    arms: list[ArmValue]
    comparisons: list[Comparison]
    degraded: bool


@dataclass(frozen=True)
class CumulativePoint:
    """The lift of ``variant`` over control among units first exposed up to ``day``."""

    day: date
    variant: str
    lift: float | None
    ci_lower: float | None
    ci_upper: float | None


@dataclass(frozen=True)
class PowerStatus:
    """Sample needed per arm to detect ``mde`` on ``metric``, and days left at the current
    daily traffic (``None`` when unknown)."""

    metric: str
    mde: float
    required_per_arm: int | None
    smallest_arm: int
    days_remaining: int | None
    note: str | None = None


@dataclass(frozen=True)
class ExperimentReport:
    """Everything the results page shows."""

    arms: list[tuple[VariantSpec, int]]
    srm: SrmResult
    excluded_units: int
    metrics: list[MetricReport]
    cumulative: dict[str, list[CumulativePoint]]
    power: PowerStatus | None
    health: str
    corrections: tuple[Correction, ...] = ()


def _stats(spec: MetricSpec, n: int, sums: Mapping[str, float]):
    column = spec.column
    if spec.kind == "proportion":
        return ProportionStats(n=n, successes=round(sums.get(column, 0.0)))
    if spec.kind == "mean":
        return MeanStats(n=n, sum=sums.get(column, 0.0), sum_squares=sums.get(f"{column}_sq", 0.0))
    if spec.kind == "ratio" and spec.denominator:
        den = spec.denominator
        return RatioStats(
            n=n,
            numerator_sum=sums.get(column, 0.0),
            numerator_sum_squares=sums.get(f"{column}_sq", 0.0),
            denominator_sum=sums.get(den, 0.0),
            denominator_sum_squares=sums.get(f"{den}_sq", 0.0),
            cross_sum=sums.get(f"{column}_x_{den}", 0.0),
        )
    raise ValueError(f"unknown metric kind {spec.kind!r}")


def _value(spec: MetricSpec, n: int, sums: Mapping[str, float]) -> float | None:
    if n <= 0:
        return None
    if spec.kind == "ratio" and spec.denominator:
        denominator = sums.get(spec.denominator, 0.0)
        return sums.get(spec.column, 0.0) / denominator if denominator else None
    return sums.get(spec.column, 0.0) / n


def _total(rows: Sequence[CohortSums]) -> dict[str, tuple[int, dict[str, float]]]:
    totals: dict[str, tuple[int, dict[str, float]]] = {}
    for row in rows:
        n, sums = totals.get(row.variant, (0, {}))
        merged = dict(sums)
        for name, value in row.sums.items():
            merged[name] = merged.get(name, 0.0) + value
        totals[row.variant] = (n + row.n, merged)
    return totals


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _compare(
    spec: MetricSpec,
    variant: str,
    control: tuple[int, Mapping[str, float]],
    treatment: tuple[int, Mapping[str, float]],
    *,
    engine: str,
    sequential: bool,
    planned: int | None,
    alpha: float,
) -> Comparison:
    control_value = _value(spec, *control)
    treatment_value = _value(spec, *treatment)

    def no_data(reason: str) -> Comparison:
        return Comparison(
            variant, control_value, treatment_value, None, None, None, None, None, None, False,
            "no data", reason,
        )  # fmt: skip

    if control[0] < MIN_UNITS or treatment[0] < MIN_UNITS:
        return no_data(f"Each arm needs at least {MIN_UNITS} units.")
    try:
        control_stats = _stats(spec, *control)
        treatment_stats = _stats(spec, *treatment)
    except (ValueError, UndefinedEstimate) as error:
        return no_data(str(error))
    p_value = chance = risk = None
    if engine == "bayesian":
        bayes = bayesian_test(
            control_stats, treatment_stats, alpha=alpha, higher_is_better=spec.higher_is_better
        )
        if bayes.reason is not None:
            return no_data(bayes.reason)
        lift, lower, upper = bayes.estimate, bayes.ci_lower, bayes.ci_upper
        chance, risk = bayes.chance_to_win, bayes.risk_treatment
        significant = chance is not None and (chance >= 1 - alpha / 2 or chance <= alpha / 2)
    else:
        freq = frequentist_test(control_stats, treatment_stats, alpha=alpha)
        if freq.reason is not None:
            return no_data(freq.reason)
        lift, lower, upper, p_value = freq.estimate, freq.ci_lower, freq.ci_upper, freq.p_value
        significant = bool(freq.significant)
    if sequential:
        seq = sequential_test(
            control_stats,
            treatment_stats,
            planned_sample_size=max(planned or 0, control[0] + treatment[0], 1),
            alpha=alpha,
        )
        if seq.reason is None:
            lower, upper, significant = seq.ci_lower, seq.ci_upper, bool(seq.significant)
            if engine != "bayesian":
                p_value = seq.p_value
    good = (lift or 0) > 0 if spec.higher_is_better else (lift or 0) < 0
    call = ("better" if good else "worse") if significant else "inconclusive"
    return Comparison(
        variant,
        control_value,
        treatment_value,
        _finite(lift),
        _finite(lower),
        _finite(upper),
        _finite(p_value),
        _finite(chance),
        _finite(risk),
        significant,
        call,
    )


def _required(
    spec: MetricSpec,
    control: tuple[int, Mapping[str, float]] | None,
    *,
    mde: float,
    alpha: float,
    sequential: bool,
) -> tuple[int | None, str | None]:
    if control is None or control[0] < MIN_UNITS:
        return None, "Not enough control units yet to estimate the baseline."
    try:
        stats = _stats(spec, *control)
        estimate: ArmEstimate = stats.estimate()
        if spec.kind == "proportion":
            baseline = ProportionBaseline(estimate.mean)
        else:
            baseline = MeanBaseline(mean=estimate.mean, variance=estimate.unit_variance)
        return (
            sample_size_per_arm(baseline, mde, alpha=alpha, sequential=sequential),
            None,
        )
    except (ValueError, UndefinedEstimate) as error:
        return None, f"Cannot size the test yet: {error}."


def _adjust(
    reports: list[MetricReport], methods: Mapping[str, str], alpha: float
) -> tuple[list[MetricReport], tuple[Correction, ...]]:
    """Adjust the p-values of each role's family (every treatment × metric of that role)
    and base significance and the call on the adjusted values."""
    adjusted: dict[tuple[int, int], tuple[float | None, bool]] = {}
    corrections = []
    for role, method in methods.items():
        family = {
            (m, c): comparison.p_value
            for m, report in enumerate(reports)
            if report.spec.role == role
            for c, comparison in enumerate(report.comparisons)
            if comparison.call != "no data"
        }
        if not family:
            continue
        for key, result in adjust_p_values(family, method=method, alpha=alpha).items():
            adjusted[key] = (result.adjusted_p_value, result.significant)
        size = sum(1 for p in family.values() if p is not None)
        corrections.append(Correction(role, method, size))
    out = []
    for m, report in enumerate(reports):
        comparisons = []
        for c, comparison in enumerate(report.comparisons):
            if (m, c) not in adjusted:
                comparisons.append(comparison)
                continue
            p_adjusted, significant = adjusted[m, c]
            good = (comparison.lift or 0) > 0
            if not report.spec.higher_is_better:
                good = (comparison.lift or 0) < 0
            call = ("better" if good else "worse") if significant else "inconclusive"
            comparisons.append(
                replace(
                    comparison,
                    adjusted_p_value=_finite(p_adjusted),
                    significant=significant,
                    call=call,
                )
            )
        out.append(replace(report, comparisons=comparisons))
    return out, tuple(corrections)


def health_level(srm: SrmResult, total_units: int, status: str) -> str:
    """The list badge: ``srm`` (alert), ``srm warning``, ``no data`` (running or stopped
    without exposures), ``draft`` or ``ok``."""
    if status == "draft":
        return "draft"
    if total_units == 0:
        return "no data"
    if srm.level == "alert":
        return "srm"
    if srm.level == "warning":
        return "srm warning"
    return "ok"


def build_report(
    variants: Sequence[VariantSpec],
    metrics: Sequence[MetricSpec],
    cohorts: Sequence[CohortSums],
    *,
    excluded_units: int,
    engine: str,
    sequential: bool,
    days_running: float,
    status: str = "running",
    alpha: float = 0.05,
    mde: float = 0.05,
    correction: str = "holm",
    guardrail_correction: str = "bh",
) -> ExperimentReport:
    """The full results of one experiment (see the module docstring). ``variants`` must
    contain exactly one control; cohorts of unknown variants are ignored. ``days_running``
    is the time the cohorts cover (start to when they were computed), for the traffic
    rate behind days remaining. Raises ``ValueError`` for a control count other than one
    or an unknown correction."""
    controls = [v for v in variants if v.is_control]
    if len(controls) != 1:
        raise ValueError("exactly one variant must be the control")
    for method in (correction, guardrail_correction):
        if method not in CORRECTIONS:
            raise ValueError(f"correction must be one of {CORRECTIONS}, got {method!r}")
    control_key = controls[0].key
    known = {v.key for v in variants}
    rows = [row for row in cohorts if row.variant in known]
    totals = _total(rows)
    counts = [totals.get(v.key, (0, {}))[0] for v in variants]
    srm = srm_check(counts, [v.weight for v in variants])
    treatments = [v.key for v in variants if not v.is_control]
    empty: tuple[int, dict[str, float]] = (0, {})

    goal = next((m for m in metrics if m.role == "goal"), None)
    required, power_note = (None, None)
    if goal is not None:
        required, power_note = _required(
            goal, totals.get(control_key), mde=mde, alpha=alpha, sequential=sequential
        )
    planned = 2 * required if required else None

    reports = []
    for spec in metrics:
        arms = [
            ArmValue(v.key, totals.get(v.key, empty)[0], _value(spec, *totals.get(v.key, empty)))
            for v in variants
        ]
        comparisons = [
            _compare(
                spec,
                key,
                totals.get(control_key, empty),
                totals.get(key, empty),
                engine=engine,
                sequential=sequential,
                planned=planned,
                alpha=alpha,
            )
            for key in treatments
        ]
        reports.append(MetricReport(spec, arms, comparisons, False))
    corrections: tuple[Correction, ...] = ()
    if engine != "bayesian":
        reports, corrections = _adjust(
            reports, {"goal": correction, "guardrail": guardrail_correction}, alpha
        )
    reports = [
        replace(
            report,
            degraded=report.spec.role == "guardrail"
            and any(c.call == "worse" for c in report.comparisons),
        )
        for report in reports
    ]

    cumulative: dict[str, list[CumulativePoint]] = {}
    days = sorted({row.day for row in rows})
    for spec in metrics:
        points: list[CumulativePoint] = []
        for day in days:
            upto = _total([row for row in rows if row.day <= day])
            for key in treatments:
                result = _compare(
                    spec,
                    key,
                    upto.get(control_key, empty),
                    upto.get(key, empty),
                    engine="frequentist",
                    sequential=sequential,
                    planned=planned,
                    alpha=alpha,
                )
                points.append(
                    CumulativePoint(day, key, result.lift, result.ci_lower, result.ci_upper)
                )
        cumulative[spec.key] = points

    power = None
    if goal is not None:
        smallest = min(counts) if counts else 0
        remaining = None
        if required is not None and days_running >= 1:  # need a day to estimate traffic
            daily = [count / days_running for count in counts]
            remaining = days_remaining(required, counts, daily)
        power = PowerStatus(goal.key, mde, required, smallest, remaining, power_note)
    return ExperimentReport(
        arms=list(zip(variants, counts, strict=True)),
        srm=srm,
        excluded_units=excluded_units,
        metrics=reports,
        cumulative=cumulative,
        power=power,
        health=health_level(srm, sum(counts), status),
        corrections=corrections,
    )
