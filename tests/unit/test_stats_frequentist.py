"""app.analytics.stats.frequentist_test against scipy's Welch t-test and an independent
delta-method computation; degenerate data and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from app.analytics.stats import (
    ArmEstimate,
    MeanStats,
    ProportionStats,
    estimate_effect,
    frequentist_test,
)


def mean_stats(values: np.ndarray) -> MeanStats:
    return MeanStats(len(values), float(values.sum()), float((values * values).sum()))


@pytest.fixture
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return rng.gamma(2.0, 2.5, size=420), rng.gamma(2.2, 2.5, size=380)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_absolute_effect_equals_scipy_welch(
    samples: tuple[np.ndarray, np.ndarray], alternative: str, alpha: float
) -> None:
    control, treatment = samples
    result = frequentist_test(
        mean_stats(control),
        mean_stats(treatment),
        effect="absolute",
        alpha=alpha,
        alternative=alternative,  # type: ignore[arg-type]
    )
    expected = stats.ttest_ind(treatment, control, equal_var=False, alternative=alternative)
    interval = expected.confidence_interval(confidence_level=1 - alpha)
    assert result.estimate == pytest.approx(treatment.mean() - control.mean(), rel=1e-10)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.df == pytest.approx(expected.df, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-8)
    assert result.ci_lower == pytest.approx(interval.low, rel=1e-9)
    assert result.ci_upper == pytest.approx(interval.high, rel=1e-9)
    assert result.significant == (expected.pvalue < alpha)
    assert result.alternative == alternative
    assert result.reason is None


def test_absolute_effect_equals_ttest_ind_from_stats(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treatment = samples
    result = frequentist_test(mean_stats(control), mean_stats(treatment), effect="absolute")
    expected = stats.ttest_ind_from_stats(
        treatment.mean(),
        treatment.std(ddof=1),
        len(treatment),
        control.mean(),
        control.std(ddof=1),
        len(control),
        equal_var=False,
    )
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-8)


def test_relative_lift_uses_the_delta_method_and_scaled_welch_df(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treatment = samples
    result = frequentist_test(mean_stats(control), mean_stats(treatment))
    m_c, m_t = control.mean(), treatment.mean()
    v_c = control.var(ddof=1) / len(control)
    v_t = treatment.var(ddof=1) / len(treatment)
    # Independent: numerical gradient of f(m_c, m_t) = (m_t − m_c)/|m_c|.
    h = 1e-6

    def lift(mc: float, mt: float) -> float:
        return (mt - mc) / abs(mc)

    d_c = (lift(m_c + h, m_t) - lift(m_c - h, m_t)) / (2 * h)
    d_t = (lift(m_c, m_t + h) - lift(m_c, m_t - h)) / (2 * h)
    a, b = d_t**2 * v_t, d_c**2 * v_c
    se = math.sqrt(a + b)
    df = (a + b) ** 2 / (a**2 / (len(treatment) - 1) + b**2 / (len(control) - 1))
    assert result.kind == "relative"
    assert result.estimate == pytest.approx(m_t / m_c - 1, rel=1e-10)
    assert result.std_error == pytest.approx(se, rel=1e-6)
    assert result.df == pytest.approx(df, rel=1e-6)
    t = result.estimate / se
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-5)
    q = stats.t.ppf(0.975, df)
    assert result.ci_lower == pytest.approx(result.estimate - q * se, rel=1e-6)
    assert result.ci_upper == pytest.approx(result.estimate + q * se, rel=1e-6)


def test_relative_lift_with_a_negative_control_mean_uses_its_magnitude() -> None:
    control = ArmEstimate(n=500, mean=-10.0, unit_variance=4.0)
    treatment = ArmEstimate(n=500, mean=-8.0, unit_variance=4.0)
    result = frequentist_test(control, treatment)
    assert result.estimate == pytest.approx(0.2)  # moved up by 20% of |control|
    expected_variance = (4.0 / 500) / 100 + 64 * (4.0 / 500) / 10_000
    assert result.std_error == pytest.approx(math.sqrt(expected_variance))


def test_proportions_equal_welch_on_the_raw_zero_one_data() -> None:
    control = np.zeros(2000)
    control[:200] = 1
    treatment = np.zeros(2100)
    treatment[:252] = 1
    result = frequentist_test(
        ProportionStats(2000, 200), ProportionStats(2100, 252), effect="absolute"
    )
    expected = stats.ttest_ind(treatment, control, equal_var=False)
    assert result.estimate == pytest.approx(252 / 2100 - 0.1)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-8)


def test_alpha_changes_the_interval_not_the_p_value(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treatment = mean_stats(samples[0]), mean_stats(samples[1])
    wide = frequentist_test(control, treatment, alpha=0.01)
    narrow = frequentist_test(control, treatment, alpha=0.2)
    assert wide.p_value == narrow.p_value
    assert wide.ci_lower is not None
    assert narrow.ci_lower is not None
    assert wide.ci_lower < narrow.ci_lower


def test_one_sided_intervals_are_open_on_one_side(
    samples: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treatment = mean_stats(samples[0]), mean_stats(samples[1])
    greater = frequentist_test(control, treatment, alternative="greater")
    less = frequentist_test(control, treatment, alternative="less")
    assert greater.ci_upper == math.inf
    assert less.ci_lower == -math.inf
    assert greater.p_value is not None
    assert less.p_value is not None
    assert greater.p_value + less.p_value == pytest.approx(1.0)


def test_control_mean_zero_gives_no_relative_lift_but_an_absolute_difference() -> None:
    control = ProportionStats(100, 0)
    treatment = ProportionStats(100, 5)
    relative = frequentist_test(control, treatment)
    assert relative.estimate is None
    assert relative.p_value is None
    assert relative.ci_lower is None
    assert not relative.significant
    assert relative.reason is not None
    assert "control mean is 0" in relative.reason
    absolute = frequentist_test(control, treatment, effect="absolute")
    assert absolute.estimate == pytest.approx(0.05)
    assert absolute.df == pytest.approx(99.0)  # only the treatment arm has variance
    assert absolute.p_value is not None
    assert math.isfinite(absolute.p_value)


def test_zero_variance_in_both_arms_is_reported_not_tested() -> None:
    control = MeanStats(50, 100.0, 200.0)  # every unit 2
    treatment = MeanStats(50, 150.0, 450.0)  # every unit 3
    result = frequentist_test(control, treatment, effect="absolute")
    assert result.estimate == pytest.approx(1.0)
    assert result.std_error == 0.0
    assert result.p_value is None
    assert result.statistic is None
    assert not result.significant
    assert result.reason is not None
    assert "zero variance" in result.reason


def test_no_nan_for_degenerate_inputs() -> None:
    cases = [
        (ProportionStats(10, 0), ProportionStats(10, 0)),
        (ProportionStats(10, 10), ProportionStats(10, 10)),
        (ProportionStats(10, 0), ProportionStats(10, 10)),
        (MeanStats(2, 0.0, 0.0), MeanStats(2, 1.0, 1.0)),
        (ArmEstimate(2, 1e-300, 1e-300), ArmEstimate(2, 1.0, 1.0)),
    ]
    for control, treatment in cases:
        for effect in ("relative", "absolute"):
            for alternative in ("two-sided", "greater", "less"):
                result = frequentist_test(
                    control,
                    treatment,
                    effect=effect,  # type: ignore[arg-type]
                    alternative=alternative,  # type: ignore[arg-type]
                )
                for value in (result.estimate, result.std_error, result.p_value, result.df):
                    assert value is None or math.isfinite(value)
                for value in (result.ci_lower, result.ci_upper):
                    assert value is None or not math.isnan(value)
                assert (result.p_value is None) == (result.reason is not None)


def test_small_samples_and_imprecise_control_carry_notes() -> None:
    result = frequentist_test(MeanStats(10, 10.0, 100.0), MeanStats(10, 12.0, 110.0))
    assert any("fewer than 30" in note for note in result.notes)
    assert any("delta-method" in note for note in result.notes)
    big = estimate_effect(MeanStats(10_000, 50_000.0, 300_000.0), MeanStats(10_000, 1.0, 2.0))
    assert big.notes == ()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": float("nan")}, "alpha"),
        ({"alternative": "two_sided"}, "alternative"),
        ({"effect": "ratio"}, "effect"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, object], message: str) -> None:
    arm = ProportionStats(100, 10)
    with pytest.raises(ValueError, match=message):
        frequentist_test(arm, arm, **kwargs)  # type: ignore[arg-type]
