"""Sample ratio mismatch (against scipy.stats.chisquare) and multiple-comparison corrections
(against statsmodels.stats.multitest.multipletests)."""

from __future__ import annotations

import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from app.analytics.stats import adjust_p_values, srm_check


@pytest.mark.parametrize(
    ("observed", "weights", "level"),
    [
        ((5000, 5000), (50, 50), "ok"),
        ((5130, 4870), (50, 50), "warning"),  # chi² = 6.76, p ≈ 0.0093
        ((5200, 4800), (50, 50), "alert"),  # chi² = 16, p ≈ 6e-5
        ((2150, 2850, 5000), (20, 30, 50), "alert"),  # chi² = 18.75
        ((2010, 3005, 4985), (20, 30, 50), "ok"),
    ],
)
def test_srm_matches_scipy_chisquare(
    observed: tuple[int, ...], weights: tuple[float, ...], level: str
) -> None:
    result = srm_check(observed, weights)
    total = sum(observed)
    expected = [total * w / 100 for w in weights]
    reference = stats.chisquare(observed, expected)
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.df == len(observed) - 1
    assert result.expected == pytest.approx(expected)
    assert result.level == level


def test_srm_thresholds_are_strict_inequalities() -> None:
    from app.analytics.stats.srm import srm_level

    assert srm_level(0.01) == "ok"
    assert srm_level(0.0099) == "warning"
    assert srm_level(0.001) == "warning"
    assert srm_level(0.00099) == "alert"


def test_srm_special_cases() -> None:
    empty = srm_check((0, 0), (50, 50))
    assert empty.p_value is None
    assert empty.level == "ok"
    assert empty.note is not None
    leaked = srm_check((100, 98, 3), (50, 50, 0))
    assert leaked.level == "alert"
    assert leaked.p_value == 0.0
    dropped = srm_check((100, 98, 0), (50, 50, 0))  # a weight-0 arm with no units is ignored
    assert dropped.df == 1
    assert dropped.level == "ok"
    small = srm_check((3, 1), (50, 50))
    assert small.note is not None
    assert "rough" in small.note
    # Float weights within tolerance of 100.
    assert srm_check((333, 333, 334), (100 / 3, 100 / 3, 100 / 3)).level == "ok"


@pytest.mark.parametrize(
    ("observed", "weights", "message"),
    [
        ((10, 10), (50, 40), "sum to 100"),
        ((10, 10), (120, -20), ">= 0"),
        ((10, 10, 10), (50, 50), "must match"),
        ((10,), (100,), "at least 2"),
        ((10, -1), (50, 50), "at least 0"),
        ((10.5, 3), (50, 50), "whole number"),
        ((10, 10), (), "must not be empty"),
    ],
)
def test_srm_rejects_bad_input(
    observed: tuple[float, ...], weights: tuple[float, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        srm_check(observed, weights)  # type: ignore[arg-type]


P_VALUES = {
    ("cover_b", "reads"): 0.001,
    ("cover_b", "unlocks"): 0.04,
    ("cover_c", "reads"): 0.03,
    ("cover_c", "unlocks"): 0.2,
    ("cover_d", "reads"): 0.012,
}


@pytest.mark.parametrize(("method", "statsmodels_method"), [("holm", "holm"), ("bh", "fdr_bh")])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_adjusted_p_values_equal_statsmodels(
    method: str, statsmodels_method: str, alpha: float
) -> None:
    result = adjust_p_values(P_VALUES, method=method, alpha=alpha)  # type: ignore[arg-type]
    reject, corrected, _, _ = multipletests(
        list(P_VALUES.values()), alpha=alpha, method=statsmodels_method
    )
    assert list(result) == list(P_VALUES)
    for (key, value), r, c in zip(result.items(), reject, corrected, strict=True):
        assert value.p_value == P_VALUES[key]
        assert value.adjusted_p_value == pytest.approx(c, rel=1e-12)
        assert value.significant == bool(r)


def test_holm_is_stricter_than_benjamini_hochberg() -> None:
    holm = adjust_p_values(P_VALUES, method="holm")
    bh = adjust_p_values(P_VALUES, method="bh")
    assert sum(v.significant for v in holm.values()) == 2
    assert sum(v.significant for v in bh.values()) == 4


def test_missing_p_values_are_left_out_of_the_family() -> None:
    with_none = adjust_p_values({"a": 0.01, "b": None, "c": 0.04}, method="holm")
    without = adjust_p_values({"a": 0.01, "c": 0.04}, method="holm")
    assert with_none["b"].adjusted_p_value is None
    assert not with_none["b"].significant
    assert with_none["a"] == without["a"]
    assert with_none["c"] == without["c"]
    assert adjust_p_values({}, method="bh") == {}


def test_adjust_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="method"):
        adjust_p_values({"a": 0.1}, method="bonferroni")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_p_values({"a": 1.2})
    with pytest.raises(ValueError, match="alpha"):
        adjust_p_values({"a": 0.1}, alpha=1.0)
