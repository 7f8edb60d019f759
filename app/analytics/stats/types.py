"""Shared literal types and constants of the statistics engine."""

from __future__ import annotations

from typing import Literal

#: Which effect is estimated: ``"relative"`` = (treatment − control) / |control| (the default),
#: ``"absolute"`` = treatment − control.
EffectKind = Literal["relative", "absolute"]

#: The alternative hypothesis: ``"two-sided"`` (the default), ``"greater"`` (treatment above
#: control) or ``"less"`` (treatment below control).
Alternative = Literal["two-sided", "greater", "less"]

#: Default significance level of tests and 1 − coverage of intervals.
DEFAULT_ALPHA = 0.05

#: The fewest units an arm needs for a sample variance (and so any comparison).
MIN_UNITS = 2

#: Below this many units in an arm, results carry a note that the normal approximations
#: (Welch–Satterthwaite, delta method, asymptotic confidence sequences) may be inaccurate.
SMALL_SAMPLE_UNITS = 30
