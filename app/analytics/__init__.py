"""Pure computation for Legato Analytics: no Flask, Dash, SQLAlchemy or storage.

Modules take plain numbers or dataclasses in and give dataclasses out, so jobs, callbacks and
tests can call them without an application or a database (import-linter's
``analytics-is-pure`` contract enforces it):

- ``app.analytics.stats``: the experiments statistics engine (frequentist, Bayesian and
  sequential comparisons, ratio metrics, CUPED, sample ratio mismatch, multiple comparisons,
  power). See ``docs/experiments.md``.
- ``app.analytics.assignment``: deterministic, sticky assignment of units to variants.
"""
