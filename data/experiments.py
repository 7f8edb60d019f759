"""Experiments storage: the metric catalog, the experiment service (validated create, edit,
start, stop, archive, each audited), exposures, and per-arm sufficient statistics in SQL.

Contracts:

- Every function takes the caller's ``Session`` and never commits; the caller commits (or
  rolls back) the transaction, so an action and its ``audit_log`` row land together.
- Service functions raise :class:`ExperimentError` with ``field_errors`` (form field name ->
  message) or a top-level message; on error nothing has been added to the session.
- Exposures live in ``experiment_exposures`` (first exposure per unit and variant,
  insert-or-ignore). The assignment API writes them directly; ``experiment_exposure``
  events sent through ingest are folded in by :func:`fold_exposure_events` (the
  ``experiment_exposures`` job). Analysis reads only that table.
- A unit is ``COALESCE(user_id, anonymous_id)`` of an event. Units exposed to more than one
  variant of an experiment are excluded from analysis and counted.
- :func:`experiment_sums` aggregates in SQL (per unit, then per arm and exposure day); it
  returns one row per (variant, day), never per unit.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    case,
    distinct,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime

from data.db import utcnow
from data.models import (
    EXPERIMENT_STATUSES,
    AuditLog,
    Event,
    EventType,
    Experiment,
    ExperimentExposure,
    ExperimentVariant,
    JobState,
)
from data.sql import utc_day

__all__ = [
    "ENGINES",
    "EXPOSURE_WATERMARK",
    "METRICS",
    "Actor",
    "ArmDaySums",
    "ExperimentData",
    "ExperimentError",
    "ExperimentForm",
    "ExperimentSummary",
    "MetricDefinition",
    "VariantInput",
    "archive_experiment",
    "create_experiment",
    "experiment_summaries",
    "experiment_sums",
    "fold_exposure_events",
    "get_experiment",
    "record_exposure",
    "start_experiment",
    "sticky_variant",
    "stop_experiment",
    "update_experiment",
    "validate_form",
]

# --------------------------------------------------------------------------- metric catalog

#: Per-unit values computed by :func:`experiment_sums` (the catalog's building blocks).
UNIT_VALUES = ("unlocked", "revenue", "read_seconds", "chapters", "starts", "completes")


@dataclass(frozen=True)
class MetricDefinition:
    """A metric over the event stream, per unit, counted from first exposure within the
    experiment's conversion window.

    ``kind`` is ``proportion`` (``column`` is 0/1 per unit), ``mean`` (mean of ``column``
    over units, 0 for units without events) or ``ratio`` (Σ``column`` / Σ``denominator``
    over units, delta method). ``unit`` tells the UI how to format values (``ratio``,
    ``count``, ``money`` in minor units, ``seconds``).
    """

    key: str
    label: str
    kind: str
    unit: str
    column: str
    description: str
    denominator: str | None = None
    higher_is_better: bool = True


METRICS: dict[str, MetricDefinition] = {
    m.key: m
    for m in (
        MetricDefinition(
            "unlock_conversion",
            "Unlock conversion",
            "proportion",
            "ratio",
            "unlocked",
            "Share of exposed readers with at least one chapter_unlock.",
        ),
        MetricDefinition(
            "chapter_completion_rate",
            "Chapter completion rate",
            "ratio",
            "ratio",
            "completes",
            "chapter_complete events / chapter_start events, over all exposed readers.",
            denominator="starts",
        ),
        MetricDefinition(
            "revenue_per_reader",
            "Revenue per reader",
            "mean",
            "money",
            "revenue",
            "Mean revenue (unlocks, tips, subscriptions, minor units) per exposed reader.",
        ),
        MetricDefinition(
            "reading_time",
            "Reading time per reader",
            "mean",
            "seconds",
            "read_seconds",
            "Mean read_seconds of chapter_progress events per exposed reader.",
        ),
        MetricDefinition(
            "chapters_read",
            "Chapters read per reader",
            "mean",
            "count",
            "chapters",
            "Mean number of distinct chapters started per exposed reader.",
        ),
    )
}

ENGINES = ("bayesian", "frequentist")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_WINDOW_DAYS = 90
WEIGHT_TOLERANCE = 1e-6
DEFAULT_SETTINGS: dict[str, Any] = {"alpha": 0.05, "mde": 0.05}

# --------------------------------------------------------------------------- service


class ExperimentError(ValueError):
    """An experiment action was refused; ``field_errors`` maps form fields to messages."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = dict(field_errors or {})


@dataclass(frozen=True)
class Actor:
    """Who acts (for the audit log)."""

    user_id: int | None
    label: str


@dataclass(frozen=True)
class VariantInput:
    """One variant as entered in the form; the first variant is the control."""

    key: str
    name: str
    weight: float | None


@dataclass(frozen=True)
class ExperimentForm:
    """Everything the create/edit form submits (raw: validated by :func:`validate_form`)."""

    key: str
    name: str
    hypothesis: str = ""
    variants: tuple[VariantInput, ...] = ()
    goal_metrics: tuple[str, ...] = ()
    guardrail_metrics: tuple[str, ...] = ()
    engine: str = "bayesian"
    sequential: bool = False
    traffic_percent: float | None = 100.0
    conversion_window_days: int | None = 7


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def validate_form(
    session: Session, form: ExperimentForm, *, existing: Experiment | None = None
) -> dict[str, str]:
    """Field errors of ``form`` (empty when valid). ``existing`` is the experiment being
    edited: its key may not change, and a running experiment keeps its variant keys.

    Fields: ``key``, ``name``, ``variants`` (and ``variant-<i>`` for one row),
    ``weights``, ``goal_metrics``, ``guardrail_metrics``, ``engine``, ``traffic_percent``,
    ``conversion_window_days``.
    """
    errors: dict[str, str] = {}
    key = form.key.strip()
    if existing is None:
        if not KEY_PATTERN.match(key):
            errors["key"] = (
                "Use 1–64 characters: lowercase letters, digits, '-' and '_' "
                "(starting with a letter or digit)."
            )
        elif session.scalar(select(Experiment.id).where(Experiment.key == key)) is not None:
            errors["key"] = f"An experiment with key '{key}' already exists."
    elif key != existing.key:
        errors["key"] = "The key of an existing experiment cannot change."
    if not form.name.strip():
        errors["name"] = "Give the experiment a name."
    elif len(form.name.strip()) > 200:
        errors["name"] = "Keep the name under 200 characters."

    variants = form.variants
    if len(variants) < 2:
        errors["variants"] = "An experiment needs a control and at least one treatment."
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        vkey = variant.key.strip()
        if not KEY_PATTERN.match(vkey):
            errors[f"variant-{index}"] = "Variant keys: lowercase letters, digits, '-', '_'."
        elif vkey in seen:
            errors[f"variant-{index}"] = f"Variant key '{vkey}' is used twice."
        elif not variant.name.strip():
            errors[f"variant-{index}"] = "Give the variant a name."
        seen.add(vkey)
    weights = [_finite(v.weight) for v in variants]
    if any(w is None or w < 0 or w > 100 for w in weights):
        errors["weights"] = "Each weight is a percentage between 0 and 100."
    elif variants and abs(sum(w for w in weights if w is not None) - 100) > WEIGHT_TOLERANCE:
        total = sum(w for w in weights if w is not None)
        errors["weights"] = f"Weights must sum to 100% (they sum to {total:g}%)."
    elif variants and (weights[0] or 0) <= 0:
        errors["weights"] = "The control needs a weight above 0%."
    if existing is not None and existing.status != "draft":
        old = [v.key for v in existing.variants]
        if [v.key.strip() for v in variants] != old:
            errors["variants"] = (
                "Variants of a started experiment cannot be added, removed or renamed; "
                "only their weights can change."
            )

    unknown = [m for m in (*form.goal_metrics, *form.guardrail_metrics) if m not in METRICS]
    if not form.goal_metrics:
        errors["goal_metrics"] = "Pick at least one goal metric."
    elif unknown:
        errors["goal_metrics"] = f"Unknown metric: {', '.join(unknown)}."
    overlap = set(form.goal_metrics) & set(form.guardrail_metrics)
    if overlap:
        errors["guardrail_metrics"] = "A metric cannot be both a goal and a guardrail."
    if form.engine not in ENGINES:
        errors["engine"] = "Choose Bayesian or frequentist."
    traffic = _finite(form.traffic_percent)
    if traffic is None or not 0 < traffic <= 100:
        errors["traffic_percent"] = "Traffic is a percentage above 0 and at most 100."
    window = _finite(form.conversion_window_days)
    if window is None or window != int(window) or not 1 <= window <= MAX_WINDOW_DAYS:
        errors["conversion_window_days"] = f"A whole number of days from 1 to {MAX_WINDOW_DAYS}."
    return errors


def _audit(session: Session, actor: Actor, action: str, key: str, details: dict) -> None:
    session.add(
        AuditLog(
            at=utcnow(),
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            action=action,
            target_type="experiment",
            target_id=key,
            details=details,
        )
    )


def _snapshot(experiment: Experiment) -> dict[str, Any]:
    return {
        "name": experiment.name,
        "hypothesis": experiment.hypothesis,
        "variants": [[v.key, v.name, v.weight] for v in experiment.variants],
        "goal_metrics": list(experiment.goal_metrics),
        "guardrail_metrics": list(experiment.guardrail_metrics),
        "engine": experiment.engine,
        "sequential": experiment.sequential,
        "traffic_percent": experiment.traffic_percent,
        "conversion_window_days": experiment.conversion_window_days,
    }


def get_experiment(session: Session, key: str) -> Experiment | None:
    """The experiment with ``key`` (variants loaded on access), or ``None``."""
    return session.scalar(select(Experiment).where(Experiment.key == key))


def create_experiment(session: Session, form: ExperimentForm, actor: Actor) -> Experiment:
    """Create a draft experiment from a valid ``form`` (first variant = control), with a
    fresh random salt, and audit it (``experiment.create``). Raises ``ExperimentError``
    with field errors otherwise. Flushes; does not commit."""
    errors = validate_form(session, form)
    if errors:
        raise ExperimentError("The experiment was not created: fix the fields marked.", errors)
    now = utcnow()
    experiment = Experiment(
        key=form.key.strip(),
        name=form.name.strip(),
        hypothesis=form.hypothesis.strip(),
        status="draft",
        salt=secrets.token_hex(8),
        traffic_percent=float(form.traffic_percent or 0),
        engine=form.engine,
        sequential=bool(form.sequential),
        goal_metrics=list(form.goal_metrics),
        guardrail_metrics=list(form.guardrail_metrics),
        conversion_window_days=int(form.conversion_window_days or 0),
        settings=dict(DEFAULT_SETTINGS),
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    experiment.variants = [
        ExperimentVariant(
            key=v.key.strip(), name=v.name.strip(), weight=float(v.weight or 0), is_control=i == 0
        )
        for i, v in enumerate(form.variants)
    ]
    session.add(experiment)
    session.flush()
    _audit(session, actor, "experiment.create", experiment.key, {"new": _snapshot(experiment)})
    session.flush()
    return experiment


def _require(session: Session, key: str) -> Experiment:
    experiment = get_experiment(session, key)
    if experiment is None:
        raise ExperimentError(f"There is no experiment '{key}'.")
    return experiment


def update_experiment(session: Session, key: str, form: ExperimentForm, actor: Actor) -> Experiment:
    """Edit experiment ``key``. Drafts may change everything but the key; a running
    experiment may change weights, traffic, texts and metrics but not its variant keys
    (already-exposed units keep their variant: exposures are sticky); stopped and archived
    experiments cannot change. Audits the changed fields (``experiment.update``, old and
    new values). Raises ``ExperimentError``."""
    experiment = _require(session, key)
    if experiment.status not in ("draft", "running"):
        raise ExperimentError(f"A {experiment.status} experiment cannot be edited.")
    errors = validate_form(session, form, existing=experiment)
    if errors:
        raise ExperimentError("Nothing was changed: fix the fields marked.", errors)
    before = _snapshot(experiment)
    experiment.name = form.name.strip()
    experiment.hypothesis = form.hypothesis.strip()
    experiment.goal_metrics = list(form.goal_metrics)
    experiment.guardrail_metrics = list(form.guardrail_metrics)
    experiment.engine = form.engine
    experiment.sequential = bool(form.sequential)
    experiment.traffic_percent = float(form.traffic_percent or 0)
    experiment.conversion_window_days = int(form.conversion_window_days or 0)
    if experiment.status == "draft":
        for old in list(experiment.variants):
            session.delete(old)
        session.flush()
        experiment.variants = [
            ExperimentVariant(
                key=v.key.strip(),
                name=v.name.strip(),
                weight=float(v.weight or 0),
                is_control=i == 0,
            )
            for i, v in enumerate(form.variants)
        ]
    else:
        for variant, entered in zip(experiment.variants, form.variants, strict=True):
            variant.name = entered.name.strip()
            variant.weight = float(entered.weight or 0)
    experiment.updated_at = utcnow()
    session.flush()
    after = _snapshot(experiment)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if changes:
        _audit(session, actor, "experiment.update", experiment.key, {"changes": changes})
        session.flush()
    return experiment


_TRANSITIONS = {
    "start": (("draft",), "running"),
    "stop": (("running",), "stopped"),
    "archive": (("draft", "stopped"), "archived"),
}


def _transition(session: Session, key: str, action: str, actor: Actor) -> Experiment:
    experiment = _require(session, key)
    allowed, target = _TRANSITIONS[action]
    if experiment.status not in allowed:
        raise ExperimentError(
            f"Only a {' or '.join(allowed)} experiment can be {action}ed"
            f" (this one is {experiment.status})."
            if action != "stop"
            else f"Only a running experiment can be stopped (this one is {experiment.status})."
        )
    now = utcnow()
    before = experiment.status
    experiment.status = target
    if action == "start":
        experiment.started_at = now
    elif action == "stop":
        experiment.stopped_at = now
    experiment.updated_at = now
    _audit(session, actor, f"experiment.{action}", experiment.key, {"status": [before, target]})
    session.flush()
    return experiment


def start_experiment(session: Session, key: str, actor: Actor) -> Experiment:
    """Draft → running (assignment starts answering). Audited. Raises ``ExperimentError``."""
    return _transition(session, key, "start", actor)


def stop_experiment(session: Session, key: str, actor: Actor) -> Experiment:
    """Running → stopped (assignment answers no variant). Audited."""
    return _transition(session, key, "stop", actor)


def archive_experiment(session: Session, key: str, actor: Actor) -> Experiment:
    """Draft or stopped → archived (hidden from the default list). Audited."""
    return _transition(session, key, "archive", actor)


# --------------------------------------------------------------------------- exposures


def _insert_or_ignore(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = ExperimentExposure.__table__
    dialect = session.get_bind().dialect.name
    module = pg_dialect if dialect == "postgresql" else sqlite_dialect
    statement = (
        module.insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["experiment_id", "unit_id", "variant_key"])
        .returning(table.c.id)
    )
    return len(session.execute(statement).all())


def sticky_variant(session: Session, experiment_id: int, unit_id: str) -> str | None:
    """The variant ``unit_id`` was first exposed to in the experiment, or ``None``."""
    return session.scalar(
        select(ExperimentExposure.variant_key)
        .where(
            ExperimentExposure.experiment_id == experiment_id,
            ExperimentExposure.unit_id == unit_id,
        )
        .order_by(ExperimentExposure.first_exposed_at, ExperimentExposure.id)
        .limit(1)
    )


def record_exposure(
    session: Session, experiment_id: int, unit_id: str, variant_key: str, at: datetime
) -> bool:
    """Record the first exposure of ``unit_id`` to ``variant_key`` (insert-or-ignore, safe
    under concurrent requests). True when this call stored it."""
    return (
        _insert_or_ignore(
            session,
            [
                {
                    "experiment_id": experiment_id,
                    "unit_id": unit_id,
                    "variant_key": variant_key,
                    "first_exposed_at": at,
                }
            ],
        )
        == 1
    )


#: JobState name of the newest event id already folded into ``experiment_exposures``.
EXPOSURE_WATERMARK = "experiments.exposure_watermark"
EXPOSURE_SAFETY_LAG = timedelta(minutes=5)
FOLD_CHUNK = 5000


def fold_exposure_events(
    session: Session, *, now: datetime | None = None, safety_lag: timedelta = EXPOSURE_SAFETY_LAG
) -> int:
    """Fold ``experiment_exposure`` events above the watermark into
    ``experiment_exposures`` (``properties.experiment`` = experiment key,
    ``properties.variant`` = variant key, unit = user_id or anonymous_id, time =
    ``occurred_at``) and return how many exposures were new.

    Events naming an unknown experiment or variant, or without a unit, are skipped. Like the
    rollups, the watermark advances only to events received before ``now - safety_lag``;
    newer ones are folded again next time (insert-or-ignore makes that harmless). Does not
    commit.
    """
    state = session.get(JobState, EXPOSURE_WATERMARK)
    watermark = int(state.value) if state is not None else 0
    settled_before = (now or utcnow()) - safety_lag
    known: dict[str, tuple[int, set[str]]] = {
        e.key: (e.id, {v.key for v in e.variants}) for e in session.scalars(select(Experiment))
    }
    rows = session.execute(
        select(
            Event.id,
            Event.properties,
            Event.user_id,
            Event.anonymous_id,
            Event.occurred_at,
            Event.received_at,
        )
        .where(Event.id > watermark, Event.event_type == EventType.EXPERIMENT_EXPOSURE.value)
        .order_by(Event.id)
    ).all()
    new_watermark = watermark
    pending: list[dict[str, Any]] = []
    inserted = 0
    for event_id, properties, user_id, anonymous_id, occurred_at, received_at in rows:
        if received_at < settled_before:
            new_watermark = event_id
        unit = user_id or anonymous_id
        props = properties or {}
        target = known.get(str(props.get("experiment", "")))
        variant = str(props.get("variant", ""))
        if not unit or target is None or variant not in target[1]:
            continue
        pending.append(
            {
                "experiment_id": target[0],
                "unit_id": unit,
                "variant_key": variant,
                "first_exposed_at": occurred_at,
            }
        )
        if len(pending) >= FOLD_CHUNK:
            inserted += _insert_or_ignore(session, pending)
            pending = []
    inserted += _insert_or_ignore(session, pending)
    if new_watermark != watermark:
        if state is None:
            session.add(JobState(name=EXPOSURE_WATERMARK, value=str(new_watermark)))
        else:
            state.value = str(new_watermark)
            state.updated_at = utcnow()
    session.flush()
    return inserted


# --------------------------------------------------------------------------- statistics


class plus_days(FunctionElement[datetime]):  # noqa: N801  (reads like the SQL it renders)
    """A naive-UTC timestamp plus a whole number of days (``clauses``: timestamp, days
    as a literal integer)."""

    type = DateTime()
    name = "plus_days"
    inherit_cache = True


@compiles(plus_days)
def _plus_days(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    ts, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"({ts} + make_interval(days => {days}))"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff"; %f renders "SS.SSS", which still orders
    # correctly against stored values by text comparison.
    ts, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"strftime('%Y-%m-%d %H:%M:%f', {ts}, '+' || {days} || ' days')"


@dataclass(frozen=True)
class ArmDaySums:
    """Sums over the analysed units of one variant first exposed on one UTC day.

    ``sums`` has, for each per-unit value ``v`` in ``UNIT_VALUES``, ``v`` (Σv) and
    ``v_sq`` (Σv²), plus ``completes_x_starts`` (Σ completes·starts, for the ratio metric).
    """

    variant: str
    day: date
    n: int
    sums: dict[str, float]


@dataclass(frozen=True)
class ExperimentData:
    """What analysis needs: per (variant, exposure day) sums of analysed units, and the
    number of units excluded for being exposed to more than one variant."""

    cohorts: list[ArmDaySums]
    excluded_units: int
    first_exposure: datetime | None = None
    last_exposure: datetime | None = None
    per_variant: dict[str, int] = field(default_factory=dict)


def experiment_sums(session: Session, experiment: Experiment) -> ExperimentData:
    """Per-arm, per-exposure-day sufficient statistics for ``experiment``, in two SQL
    statements (aggregation happens in the database; no per-unit rows are returned).

    Units: exposures grouped by unit; those with more than one variant are excluded (and
    counted). Each analysed unit's events count when ``occurred_at`` is in
    [first exposure, first exposure + ``conversion_window_days``). Per-unit values:
    ``unlocked`` (any chapter_unlock, 0/1), ``revenue`` (Σ revenue_minor of unlock, tip and
    subscribe events), ``read_seconds`` (Σ of chapter_progress), ``chapters`` (distinct
    chapters started), ``starts`` / ``completes`` (chapter_start / chapter_complete counts).
    """
    ee = ExperimentExposure.__table__
    ev = Event.__table__
    units = (
        select(
            ee.c.unit_id.label("unit_id"),
            func.min(ee.c.variant_key).label("variant"),
            func.min(ee.c.first_exposed_at).label("t0"),
            case((func.count(distinct(ee.c.variant_key)) > 1, 1), else_=0).label("excluded"),
        )
        .where(ee.c.experiment_id == experiment.id)
        .group_by(ee.c.unit_id)
        .subquery("units")
    )
    # 1. Units per (variant, exposure day), the excluded count and the exposure span: an
    #    index scan of experiment_exposures.
    counts = session.execute(
        select(
            units.c.variant,
            utc_day(units.c.t0).label("day"),
            units.c.excluded,
            func.count(),
            func.min(units.c.t0),
            func.max(units.c.t0),
        ).group_by(units.c.variant, utc_day(units.c.t0), units.c.excluded)
    ).all()
    excluded = 0
    n_by_cohort: dict[tuple[str, date], int] = {}
    first: datetime | None = None
    last: datetime | None = None
    for variant, day, is_excluded, count, low, high in counts:
        if is_excluded:
            excluded += int(count)
            continue
        day = date.fromisoformat(day[:10]) if isinstance(day, str) else day
        n_by_cohort[(variant, day)] = int(count)
        first = low if first is None or low < first else first
        last = high if last is None or high > last else last
    if first is None:
        return ExperimentData([], excluded)

    # 2. Per-unit values from the events of analysed units, driven from the events (each
    #    looks its unit up through the experiment_exposures unique index), then summed per
    #    (variant, exposure day). Units without events add 0 to every sum.
    revenue_types = (
        EventType.CHAPTER_UNLOCK.value,
        EventType.TIP.value,
        EventType.SUBSCRIBE.value,
    )
    relevant = (
        *revenue_types,
        EventType.CHAPTER_PROGRESS.value,
        EventType.CHAPTER_START.value,
        EventType.CHAPTER_COMPLETE.value,
    )
    window = int(experiment.conversion_window_days)
    # Each metric event since the first exposure looks its unit up in experiment_exposures
    # through the (experiment_id, unit_id, variant_key) unique index: correlated scalar
    # subqueries, not a join, so no planner (SQLite's included) can loop over exposures and
    # scan events for each one. Materialised, so the lookups run once per event. Units seen
    # in two variants get no variant (excluded).
    unit = func.coalesce(ev.c.user_id, ev.c.anonymous_id)

    def lookup(column: Any) -> Any:
        lookup_table = ee.alias()
        return (
            select(column(lookup_table))
            .where(lookup_table.c.experiment_id == experiment.id, lookup_table.c.unit_id == unit)
            .scalar_subquery()
        )

    events = (
        select(
            unit.label("unit"),
            lookup(lambda t: func.min(t.c.first_exposed_at)).label("t0"),
            lookup(
                lambda t: case(
                    (
                        func.min(t.c.variant_key) == func.max(t.c.variant_key),
                        func.min(t.c.variant_key),
                    )
                )
            ).label("variant"),
            ev.c.event_type,
            ev.c.occurred_at,
            ev.c.revenue_minor,
            ev.c.read_seconds,
            ev.c.chapter_id,
        )
        .where(
            ev.c.event_type.in_(relevant),
            utc_day(ev.c.occurred_at) >= first.date(),  # ix_events_event_type_occurred_day
            ev.c.occurred_at >= first,
        )
        .cte("metric_events")
        .prefix_with("MATERIALIZED")
    )
    kind = events.c.event_type
    per_unit = (
        select(
            events.c.variant,
            utc_day(events.c.t0).label("day"),
            func.max(case((kind == EventType.CHAPTER_UNLOCK.value, 1), else_=0)).label("unlocked"),
            func.coalesce(
                func.sum(case((kind.in_(revenue_types), events.c.revenue_minor), else_=0)), 0
            ).label("revenue"),
            func.coalesce(
                func.sum(
                    case((kind == EventType.CHAPTER_PROGRESS.value, events.c.read_seconds), else_=0)
                ),
                0,
            ).label("read_seconds"),
            func.count(
                distinct(case((kind == EventType.CHAPTER_START.value, events.c.chapter_id)))
            ).label("chapters"),
            func.sum(case((kind == EventType.CHAPTER_START.value, 1), else_=0)).label("starts"),
            func.sum(case((kind == EventType.CHAPTER_COMPLETE.value, 1), else_=0)).label(
                "completes"
            ),
        )
        .where(
            events.c.variant.is_not(None),
            events.c.occurred_at >= events.c.t0,
            events.c.occurred_at < plus_days(events.c.t0, literal(window, Integer)),
        )
        .group_by(events.c.unit, events.c.variant, events.c.t0)
        .subquery("per_unit")
    )
    columns = [per_unit.c.variant, per_unit.c.day]
    for name in UNIT_VALUES:
        value = per_unit.c[name]
        columns.append(func.sum(value).label(name))
        columns.append(func.sum(value * value).label(f"{name}_sq"))
    columns.append(func.sum(per_unit.c.completes * per_unit.c.starts).label("completes_x_starts"))
    sums_by_cohort: dict[tuple[str, date], dict[str, float]] = {}
    for row in session.execute(
        select(*columns).group_by(per_unit.c.variant, per_unit.c.day)
    ).mappings():
        day = row["day"]
        day = date.fromisoformat(day[:10]) if isinstance(day, str) else day
        sums_by_cohort[(row["variant"], day)] = {
            name: float(row[name] or 0)
            for name in row.keys()  # noqa: SIM118  (RowMapping.keys() is the API)
            if name not in ("variant", "day")
        }
    empty = dict.fromkeys((*UNIT_VALUES, *(f"{v}_sq" for v in UNIT_VALUES)), 0.0)
    empty["completes_x_starts"] = 0.0
    cohorts: list[ArmDaySums] = []
    per_variant: dict[str, int] = {}
    for (variant, day), n in sorted(n_by_cohort.items(), key=lambda item: (item[0][1], item[0][0])):
        cohorts.append(
            ArmDaySums(variant, day, n, {**empty, **sums_by_cohort.get((variant, day), {})})
        )
        per_variant[variant] = per_variant.get(variant, 0) + n
    return ExperimentData(cohorts, excluded, first, last, per_variant)


# --------------------------------------------------------------------------- list


@dataclass(frozen=True)
class ExperimentSummary:
    """One row of the experiments list."""

    key: str
    name: str
    status: str
    traffic_percent: float
    engine: str
    sequential: bool
    started_at: datetime | None
    stopped_at: datetime | None
    created_at: datetime
    variants: list[tuple[str, float]]
    exposed: dict[str, int]


def experiment_summaries(
    session: Session, statuses: Iterable[str] = EXPERIMENT_STATUSES
) -> list[ExperimentSummary]:
    """Experiments with the given statuses, newest first, with exposed units per variant
    (every exposure row, one grouped query)."""
    wanted: Sequence[str] = list(statuses)
    experiments = session.scalars(
        select(Experiment)
        .where(Experiment.status.in_(wanted))
        .order_by(Experiment.created_at.desc(), Experiment.id.desc())
    ).all()
    counts: dict[int, dict[str, int]] = {}
    if experiments:
        rows = session.execute(
            select(
                ExperimentExposure.experiment_id,
                ExperimentExposure.variant_key,
                func.count(),
            )
            .where(ExperimentExposure.experiment_id.in_([e.id for e in experiments]))
            .group_by(ExperimentExposure.experiment_id, ExperimentExposure.variant_key)
        )
        for experiment_id, variant_key, count in rows:
            counts.setdefault(experiment_id, {})[variant_key] = int(count)
    return [
        ExperimentSummary(
            key=e.key,
            name=e.name,
            status=e.status,
            traffic_percent=e.traffic_percent,
            engine=e.engine,
            sequential=e.sequential,
            started_at=e.started_at,
            stopped_at=e.stopped_at,
            created_at=e.created_at,
            variants=[(v.key, v.weight) for v in e.variants],
            exposed=counts.get(e.id, {}),
        )
        for e in experiments
    ]
