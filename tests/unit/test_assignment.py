"""app.analytics.assignment: determinism, the documented hash, weights, traffic, salts."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from scipy import stats

from app.analytics.assignment import (
    TRAFFIC_DOMAIN,
    VARIANT_DOMAIN,
    Variant,
    assign,
    unit_hash,
    validate_variants,
    variant_for_bucket,
)

UNITS = [f"reader-{i}" for i in range(100_000)]
HALVES = [("control", 50.0), ("treatment", 50.0)]


def documented_hash(domain: str, *parts: str) -> float:
    """The module docstring's recipe, written out independently."""
    message = domain.encode() + b"\x00"
    for part in parts:
        data = part.encode("utf-8")
        message += len(data).to_bytes(4, "big") + data
    top = int.from_bytes(hashlib.sha256(message).digest()[:8], "big")
    return (top >> 11) / 2**53


def test_hash_follows_the_documented_recipe_and_never_changes() -> None:
    for domain in (VARIANT_DOMAIN, TRAFFIC_DOMAIN):
        for key, salt, unit in [("cover-test", "s1", "reader-42"), ("títle-ü", "", "7")]:
            assert unit_hash(domain, key, salt, unit) == documented_hash(domain, key, salt, unit)
    # Pinned values: changing them would reshuffle every running experiment.
    assert unit_hash(VARIANT_DOMAIN, "cover-test", "s1", "reader-42") == 0.5534775198260683
    assert unit_hash(TRAFFIC_DOMAIN, "cover-test", "s1", "reader-42") == 0.14304694035720422
    assert [assign("cover-test", "s1", f"reader-{i}", HALVES, 80) for i in range(8)] == [
        "control",
        None,
        "control",
        "treatment",
        None,
        "treatment",
        "treatment",
        "treatment",
    ]


def test_encoding_is_unambiguous() -> None:
    # With a plain "key:salt:unit" string these two would collide.
    assert unit_hash(VARIANT_DOMAIN, "a:b", "c", "d") != unit_hash(VARIANT_DOMAIN, "a", "b:c", "d")


def test_assignment_is_deterministic_and_int_ids_equal_their_strings() -> None:
    first = [assign("blurb", "x1", unit, HALVES) for unit in UNITS[:2000]]
    again = [
        assign("blurb", "x1", unit, [Variant(k, w) for k, w in HALVES]) for unit in UNITS[:2000]
    ]
    assert first == again
    assert assign("blurb", "x1", 12345, HALVES) == assign("blurb", "x1", "12345", HALVES)


def test_distribution_matches_the_weights() -> None:
    weights = [("control", 20.0), ("b", 30.0), ("c", 50.0), ("retired", 0.0)]
    counts = Counter(assign("paywall", "salt-7", unit, weights) for unit in UNITS)
    assert counts["retired"] == 0
    observed = [counts["control"], counts["b"], counts["c"]]
    expected = [len(UNITS) * w / 100 for w in (20, 30, 50)]
    assert stats.chisquare(observed, expected).pvalue > 0.001


def test_traffic_percentage_is_respected_and_growing_it_keeps_variants() -> None:
    at_30 = {unit: assign("release-time", "s", unit, HALVES, 30.0) for unit in UNITS[:30_000]}
    included = [unit for unit, variant in at_30.items() if variant is not None]
    assert len(included) / 30_000 == pytest.approx(0.30, abs=0.01)
    at_60 = {unit: assign("release-time", "s", unit, HALVES, 60.0) for unit in UNITS[:30_000]}
    assert all(at_60[unit] == at_30[unit] for unit in included)
    assert sum(v is not None for v in at_60.values()) / 30_000 == pytest.approx(0.60, abs=0.01)
    assert all(assign("release-time", "s", unit, HALVES, 0.0) is None for unit in UNITS[:1000])
    assert all(assign("release-time", "s", unit, HALVES, 100) is not None for unit in UNITS[:1000])


def test_shifting_weight_moves_only_the_units_in_the_shifted_slice() -> None:
    before = [assign("title", "s", unit, HALVES) for unit in UNITS[:30_000]]
    after = [
        assign("title", "s", unit, [("control", 40), ("treatment", 60)]) for unit in UNITS[:30_000]
    ]
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert set(moved) == {("control", "treatment")}  # only into the bigger arm
    assert len(moved) / 30_000 == pytest.approx(0.10, abs=0.005)


def test_salt_and_experiment_key_give_independent_assignments() -> None:
    units = UNITS[:20_000]
    base = [assign("cover", "salt-a", unit, HALVES) for unit in units]
    other_salt = [assign("cover", "salt-b", unit, HALVES) for unit in units]
    other_experiment = [assign("title", "salt-a", unit, HALVES) for unit in units]
    for other in (other_salt, other_experiment):
        table = Counter(zip(base, other, strict=True))
        contingency = [
            [table[("control", "control")], table[("control", "treatment")]],
            [table[("treatment", "control")], table[("treatment", "treatment")]],
        ]
        assert stats.chi2_contingency(contingency).pvalue > 0.001
        agreement = sum(a == b for a, b in zip(base, other, strict=True)) / len(units)
        assert agreement == pytest.approx(0.5, abs=0.015)


def test_variant_for_bucket_edges() -> None:
    thirds = validate_variants([("a", 100 / 3), ("b", 100 / 3), ("c", 100 / 3)])
    assert variant_for_bucket(0.0, thirds) == "a"
    assert variant_for_bucket(0.5, thirds) == "b"
    assert variant_for_bucket(1 - 2**-53, thirds) == "c"
    zero_first = validate_variants([("off", 0), ("on", 100)])
    assert variant_for_bucket(0.0, zero_first) == "on"
    with pytest.raises(ValueError, match="bucket"):
        variant_for_bucket(1.0, thirds)


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ([("a", 50), ("b", 40)], "sum to 100"),
        ([("a", 110), ("b", -10)], ">= 0"),
        ([("a", 50), ("a", 50)], "unique"),
        ([], "at least one"),
        ([("a", float("nan")), ("b", 50)], "finite"),
        ([("", 100)], "must not be empty"),
        ([("a", "100")], "must be a number"),
        (["a"], "pair"),
    ],
)
def test_invalid_variants_raise(variants: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        assign("exp", "s", "u", variants)  # type: ignore[arg-type]


def test_invalid_arguments_raise() -> None:
    with pytest.raises(ValueError, match="traffic_percent"):
        assign("exp", "s", "u", HALVES, 101)
    with pytest.raises(ValueError, match="traffic_percent"):
        assign("exp", "s", "u", HALVES, -1)
    with pytest.raises(ValueError, match="experiment_key"):
        assign("", "s", "u", HALVES)
    with pytest.raises(ValueError, match="unit_id"):
        assign("exp", "s", "", HALVES)
    with pytest.raises(ValueError, match="unit_id"):
        assign("exp", "s", 1.5, HALVES)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="salt"):
        assign("exp", None, "u", HALVES)  # type: ignore[arg-type]
    # Weights within the float tolerance of 100 are accepted.
    assert assign("exp", "s", "u", [("a", 33.3333333), ("b", 33.3333333), ("c", 33.3333334)])
