"""Abnormal chapter-to-chapter loss (definitions: docs/metrics.md).

A story loses some readers at every chapter; what matters is a chapter that loses far
more than *that story* usually does. :func:`abnormal_losses` flags a loss whose robust
z-score against the story's losses exceeds ``Z_THRESHOLD`` (the Iglewicz–Hoaglin
modified z-score, which uses the median and the median absolute deviation so one bad
chapter cannot hide itself by inflating the spread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Flag a loss whose robust z-score is above this.
Z_THRESHOLD = 3.5
#: Floor of the robust spread, in share points, so tiny wobbles in a very regular story
#: are not flagged (0.02 = two percentage points).
MIN_SPREAD = 0.02
#: Fewer chapter-to-chapter losses than this: nothing is flagged (no "usual" to compare to).
MIN_TRANSITIONS = 3
#: 1 / Φ⁻¹(0.75): makes the MAD a consistent estimate of the standard deviation.
MAD_SCALE = 1.4826


@dataclass(frozen=True)
class LossCheck:
    """One chapter's loss against the story's usual loss."""

    loss: float
    median_loss: float
    z_score: float
    abnormal: bool


def abnormal_losses(losses: Sequence[float | None]) -> list[LossCheck | None]:
    """Check each loss (share of the previous chapter's readers lost, 0–1; ``None`` where
    there is no previous chapter) against the median of the given losses.

    ``z = (loss − median) / max(1.4826 × MAD, 0.02)``; ``abnormal`` when ``z > 3.5``
    and at least three losses are known. Only unusually *high* losses are flagged.
    Returns one entry per input (``None`` for ``None``).
    """
    known = np.array([value for value in losses if value is not None], dtype=float)
    if known.size == 0:
        return [None for _ in losses]
    median = float(np.median(known))
    spread = max(MAD_SCALE * float(np.median(np.abs(known - median))), MIN_SPREAD)
    enough = known.size >= MIN_TRANSITIONS
    checks: list[LossCheck | None] = []
    for value in losses:
        if value is None:
            checks.append(None)
            continue
        z = (float(value) - median) / spread
        checks.append(LossCheck(float(value), median, round(z, 6), enough and z > Z_THRESHOLD))
    return checks
