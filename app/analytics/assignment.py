"""Deterministic, sticky assignment of units (readers, writers, devices) to experiment variants.

``assign(experiment_key, salt, unit_id, variants, traffic_percent)`` returns a variant key or
``None`` (the unit is outside the experiment's traffic). It is a pure function: the same
arguments always give the same answer, on any machine, in any process, in any language that
reimplements the hash below.

Hash. Two independent uniform numbers in [0, 1) per (experiment, salt, unit)::

    message = domain ‖ 0x00 ‖ for each part in (experiment_key, salt, unit_id):
                               len(part as UTF-8) as 4-byte big-endian ‖ part as UTF-8
    u = (first 8 bytes of SHA-256(message), big-endian unsigned) >> 11, divided by 2**53

with ``domain`` = ``"legato:traffic:v1"`` for the traffic decision and
``"legato:variant:v1"`` for the variant. Length prefixes make the encoding unambiguous (no
separator a key could contain); keeping the top 53 bits makes the float exact and strictly
below 1 (a 64-bit integer divided by 2**64 can round up to 1.0).

Traffic. The unit is in the experiment when u_traffic < traffic_percent / 100. Raising the
percentage only adds units, and because the traffic hash is separate from the variant hash,
it never changes the variant of a unit already included.

Variants. Weights (percent, summing to 100) are laid out as consecutive ranges of [0, 1) in
the given order; the unit gets the variant whose range holds u_variant. So the share of units
per variant matches the weights, and experiments (different keys) and salts give independent
assignments.

Stickiness across weight changes. A pure function cannot remember: given *new* weights it
answers for the new weights. Stickiness is therefore guaranteed by recording each unit's
first exposure (the ``experiment_exposures`` table): the serving layer looks the unit up
first and calls :func:`assign` only for units never exposed. The bucketing still limits
movement: with cumulative ranges, moving weight between two *adjacent* variants (including
every change in a two-variant test) changes the answer for exactly the units in the shifted
slice — the minimum possible. Changing a weight in the middle of three or more variants also
shifts the ranges after it (34/33/33 → 24/33/43 moves 20% of units where 10% would suffice).
Schemes that move the minimum for any change (weighted rendezvous hashing) need one hash per
variant and are harder to reproduce in client SDKs; since recorded exposures make
reassignment impossible anyway, the simpler and widely used range layout wins. Append new
variants at the end, and prefer restarting with a new salt over re-weighting a running test
(comparisons pooled across allocation periods are biased when the metric drifts over time).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

TRAFFIC_DOMAIN = "legato:traffic:v1"
VARIANT_DOMAIN = "legato:variant:v1"

#: Allowed distance of the weight total from 100.
WEIGHT_TOLERANCE = 1e-6

_TWO_POW_53 = float(2**53)


@dataclass(frozen=True, slots=True)
class Variant:
    """A variant ``key`` with its ``weight`` in percent (>= 0)."""

    key: str
    weight: float


def unit_hash(domain: str, experiment_key: str, salt: str, unit_id: str | int) -> float:
    """The uniform number in [0, 1) for ``unit_id`` in ``domain`` (see the module docstring).

    Raises ``ValueError`` for an empty experiment key or unit id, or non-string keys.
    """
    chunks = [_text("domain", domain).encode("utf-8"), b"\x00"]
    for part in (
        _text("experiment_key", experiment_key),
        _text("salt", salt, empty_ok=True),
        _unit(unit_id),
    ):
        data = part.encode("utf-8")
        chunks.append(len(data).to_bytes(4, "big"))
        chunks.append(data)
    digest = hashlib.sha256(b"".join(chunks)).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / _TWO_POW_53


def validate_variants(variants: Sequence[Variant | tuple[str, float]]) -> tuple[Variant, ...]:
    """``variants`` as :class:`Variant` s: at least one, unique non-empty keys, finite weights
    >= 0 that sum to 100 (within 1e-6). Raises ``ValueError`` otherwise."""
    result: list[Variant] = []
    for index, item in enumerate(variants):
        if isinstance(item, Variant):
            key, weight = item.key, item.weight
        elif isinstance(item, tuple) and len(item) == 2:
            key, weight = item
        else:
            raise ValueError(f"variants[{index}] must be a Variant or a (key, weight) pair")
        key = _text(f"variants[{index}] key", key)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"variants[{index}] weight must be a number, got {weight!r}")
        weight = float(weight)
        if not math.isfinite(weight) or weight < 0.0:
            raise ValueError(f"variants[{index}] weight must be finite and >= 0, got {weight!r}")
        result.append(Variant(key, weight))
    if not result:
        raise ValueError("an experiment needs at least one variant")
    keys = [v.key for v in result]
    if len(set(keys)) != len(keys):
        raise ValueError(f"variant keys must be unique, got {keys}")
    total = math.fsum(v.weight for v in result)
    if abs(total - 100.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"variant weights must sum to 100, got {total!r}")
    return tuple(result)


def variant_for_bucket(bucket: float, variants: Sequence[Variant]) -> str:
    """The key of the variant whose cumulative weight range holds ``bucket`` (in [0, 1)).

    Variants of weight 0 are never chosen. ``variants`` must be validated
    (:func:`validate_variants`).
    """
    if not 0.0 <= bucket < 1.0:
        raise ValueError(f"bucket must be in [0, 1), got {bucket!r}")
    edge = 0.0
    chosen = None
    for variant in variants:
        if variant.weight <= 0.0:
            continue
        chosen = variant.key
        edge += variant.weight / 100.0
        if bucket < edge:
            return variant.key
    if chosen is None:  # unreachable for validated variants (weights sum to 100)
        raise ValueError("no variant has a positive weight")
    return chosen  # rounding left the last edge a hair below 1: the last positive variant


def assign(
    experiment_key: str,
    salt: str,
    unit_id: str | int,
    variants: Sequence[Variant | tuple[str, float]],
    traffic_percent: float = 100.0,
) -> str | None:
    """The variant key for ``unit_id``, or ``None`` when the unit falls outside the traffic.

    ``variants``: ``(key, weight)`` pairs or :class:`Variant` s, weights in percent summing to
    100. ``traffic_percent``: the share of units in the experiment, 0–100. ``unit_id`` may be
    an int (it is hashed as its decimal string, so 42 and "42" are the same unit). Raises
    ``ValueError`` for invalid variants, a traffic percentage outside [0, 100], empty keys.
    """
    checked = validate_variants(variants)
    if isinstance(traffic_percent, bool) or not isinstance(traffic_percent, int | float):
        raise ValueError(f"traffic_percent must be a number, got {traffic_percent!r}")
    traffic = float(traffic_percent)
    if not 0.0 <= traffic <= 100.0:
        raise ValueError(f"traffic_percent must be between 0 and 100, got {traffic_percent!r}")
    if unit_hash(TRAFFIC_DOMAIN, experiment_key, salt, unit_id) >= traffic / 100.0:
        return None
    return variant_for_bucket(unit_hash(VARIANT_DOMAIN, experiment_key, salt, unit_id), checked)


def _text(name: str, value: object, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not value and not empty_ok:
        raise ValueError(f"{name} must not be empty")
    return value


def _unit(unit_id: object) -> str:
    if isinstance(unit_id, bool) or not isinstance(unit_id, str | int):
        raise ValueError(f"unit_id must be a string or an int, got {type(unit_id).__name__}")
    text = str(unit_id)
    if not text:
        raise ValueError("unit_id must not be empty")
    return text
