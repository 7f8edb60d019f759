"""Experiments storage: the metric catalog, the experiment service (validated create, edit,
start, stop, archive, each audited), exposures, per-arm sufficient statistics in SQL, and
their stored snapshots (the ``experiment_analysis`` job).

Contracts:

- Every function takes the caller's ``Session`` and never commits; the caller commits (or
  rolls back) the transaction, so an action and its ``audit_log`` row land together. The
  one exception is the job body :func:`analyse_experiments`, which commits after each
  experiment's snapshot.
- Service functions raise :class:`ExperimentError` with ``field_errors`` (form field name ->
  message) or a top-level message; on error nothing has been added to the session. Every
  change stamps ``experiments.updated_at`` (the assignment API's cache version).
- Exposures live in ``experiment_exposures`` (first exposure per unit and variant,
  insert-or-ignore). The assignment API writes them directly
  (:func:`record_first_exposure`: only when the unit has none); ``experiment_exposure``
  events sent through ingest are folded in by :func:`fold_exposure_events` (the
  ``experiment_exposures`` job). Analysis reads only that table.
- A unit is ``COALESCE(user_id, anonymous_id)`` of an event. Units exposed to more than one
  variant of an experiment are excluded from analysis and counted.
- :func:`experiment_sums` aggregates in SQL (units per arm and day, then per-unit values
  summed per arm and day); it returns one row per (variant, day), never per unit. It takes
  seconds for a million exposures, so pages read the stored snapshot
  (:func:`load_snapshot`) that :func:`analyse_experiments` keeps fresh
  (:func:`refresh_snapshot` / :func:`store_snapshot`: one upsert per experiment, atomic).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    bindparam,
    case,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import Join
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime, String

from data.audit import Actor
from data.db import utcnow
from data.models import (
    EXPERIMENT_STATUSES,
    AuditLog,
    Event,
    EventType,
    Experiment,
    ExperimentExposure,
    ExperimentSnapshot,
    ExperimentVariant,
    JobState,
)
from data.sql import utc_day

__all__ = [
    "ANALYSIS_REFRESH",
    "ANALYSIS_SETTLE",
    "CORRECTIONS",
    "ENGINES",
    "EXPOSURE_WATERMARK",
    "METRICS",
    "ON_DEMAND_MAX_EXPOSURES",
    "Actor",
    "AnalysisFailed",
    "ArmDaySums",
    "AssignmentTarget",
    "ExperimentData",
    "ExperimentError",
    "ExperimentForm",
    "ExperimentSummary",
    "MetricDefinition",
    "StoredAnalysis",
    "VariantInput",
    "analyse_experiments",
    "analysis_due",
    "archive_experiment",
    "assignment_state",
    "assignment_target",
    "count_exposures",
    "create_experiment",
    "experiment_settings",
    "experiment_summaries",
    "experiment_sums",
    "experiments_due",
    "fold_exposure_events",
    "get_experiment",
    "load_snapshot",
    "record_exposure",
    "record_first_exposure",
    "refresh_snapshot",
    "request_analysis",
    "snapshot_state",
    "start_experiment",
    "sticky_variant",
    "stop_experiment",
    "store_snapshot",
    "update_experiment",
    "validate_form",
]

logger = logging.getLogger("legato.experiments")
#: Inserts report how many rows they stored only when asked (SQLAlchemy's rowcount).
_ROWCOUNT = {"preserve_rowcount": True}

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
#: Multiple-comparison corrections of the goal metrics' p-values (``settings["correction"]``):
#: Holm (family-wise error rate, the default) or Benjamini–Hochberg (false discovery rate).
#: Guardrails are always adjusted with Benjamini–Hochberg (docs/experiments.md).
CORRECTIONS = ("holm", "bh")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_WINDOW_DAYS = 90
WEIGHT_TOLERANCE = 1e-6
DEFAULT_SETTINGS: dict[str, Any] = {"alpha": 0.05, "mde": 0.05, "correction": "holm"}

# --------------------------------------------------------------------------- service


class ExperimentError(ValueError):
    """An experiment action was refused; ``field_errors`` maps form fields to messages."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = dict(field_errors or {})


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
    correction: str = "holm"


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
    ``conversion_window_days``, ``correction``.
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
    if form.correction not in CORRECTIONS:
        errors["correction"] = "Choose Holm or Benjamini–Hochberg."
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
        "correction": experiment_settings(experiment)["correction"],
    }


def experiment_settings(experiment: Experiment) -> dict[str, Any]:
    """The experiment's analysis settings with defaults filled in: ``alpha``, ``mde`` (the
    planned relative minimum detectable effect) and ``correction`` (see ``CORRECTIONS``)."""
    return {**DEFAULT_SETTINGS, **(experiment.settings or {})}


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
        settings={**DEFAULT_SETTINGS, "correction": form.correction},
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
    experiment.settings = {**experiment_settings(experiment), "correction": form.correction}
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


def sticky_variant(bind: Session | Connection, experiment_id: int, unit_id: str) -> str | None:
    """The variant ``unit_id`` was first exposed to in the experiment, or ``None``
    (``bind``: a session or its connection)."""
    return bind.scalar(
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


@dataclass(frozen=True)
class AssignmentTarget:
    """What serving an assignment needs of an experiment: its id, key, salt, status,
    traffic percentage and variants ``(key, weight)`` in order (control first), and
    ``version`` (its ``updated_at``, which every change through this module's service
    stamps), so a process may keep it and re-read it only when the version moves."""

    id: int
    key: str
    salt: str
    status: str
    traffic_percent: float
    variants: tuple[tuple[str, float], ...]
    version: datetime


def _dialect_name(bind: Session | Connection) -> str:
    return (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name


# The assignment API's statements, built once (bound parameters; SQLAlchemy's compiled
# cache then serves every call).
_EXPOSURES = ExperimentExposure.__table__
_TARGET = (
    select(
        Experiment.id,
        Experiment.salt,
        Experiment.status,
        Experiment.traffic_percent,
        Experiment.updated_at,
        ExperimentVariant.key,
        ExperimentVariant.weight,
    )
    .outerjoin(ExperimentVariant, ExperimentVariant.experiment_id == Experiment.id)
    .where(Experiment.key == bindparam("key", type_=String))
    .order_by(ExperimentVariant.id)
)
_STATE = select(
    Experiment.id,
    Experiment.updated_at,
    select(_EXPOSURES.c.variant_key)
    .where(
        _EXPOSURES.c.experiment_id == Experiment.id,
        _EXPOSURES.c.unit_id == bindparam("unit", type_=String),
    )
    .order_by(_EXPOSURES.c.first_exposed_at, _EXPOSURES.c.id)
    .limit(1)
    .scalar_subquery(),
).where(Experiment.key == bindparam("key", type_=String))


def _first_exposure_insert(module: Any) -> Any:
    unknown_unit = ~(
        select(_EXPOSURES.c.id)
        .where(
            _EXPOSURES.c.experiment_id == bindparam("experiment_id", type_=Integer),
            _EXPOSURES.c.unit_id == bindparam("unit", type_=String),
        )
        .exists()
    )
    return (
        module.insert(_EXPOSURES)
        .from_select(
            ["experiment_id", "unit_id", "variant_key", "first_exposed_at"],
            select(
                bindparam("experiment_id", type_=Integer),
                bindparam("unit", type_=String),
                bindparam("variant", type_=String),
                bindparam("at", type_=DateTime),
            ).where(unknown_unit),
        )
        .on_conflict_do_nothing(index_elements=["experiment_id", "unit_id", "variant_key"])
    )


_FIRST_EXPOSURE = {
    "postgresql": _first_exposure_insert(pg_dialect),
    "sqlite": _first_exposure_insert(sqlite_dialect),
}


def assignment_target(bind: Session | Connection, key: str) -> AssignmentTarget | None:
    """The experiment ``key`` as :class:`AssignmentTarget` (one query), or ``None``.
    ``bind``: the caller's session, or its connection (Core statements run there without
    the ORM's per-statement work: the assignment API's hot path)."""
    rows = bind.execute(_TARGET, {"key": key}).all()
    if not rows:
        return None
    first = rows[0]
    variants = tuple((row[5], float(row[6])) for row in rows if row[5] is not None)
    return AssignmentTarget(
        first[0], key, first[1], first[2], float(first[3]), variants, _as_datetime(first[4])
    )


def assignment_state(
    bind: Session | Connection, key: str, unit_id: str
) -> tuple[int, datetime, str | None] | None:
    """In one statement: the experiment's id and version (``updated_at``) and the variant
    ``unit_id`` was first exposed to (``None`` when never exposed); ``None`` for an unknown
    experiment. Probes the (experiment, unit, variant) unique index. ``bind``: a session
    or its connection."""
    row = bind.execute(_STATE, {"key": key, "unit": unit_id}).one_or_none()
    if row is None:
        return None
    return int(row[0]), _as_datetime(row[1]), row[2]


def record_first_exposure(
    bind: Session | Connection, experiment_id: int, unit_id: str, variant_key: str, at: datetime
) -> bool:
    """Store ``unit_id``'s first exposure to ``variant_key`` unless the unit already has an
    exposure in the experiment (to any variant), in one statement: the check and the
    insert are atomic on SQLite (one writer at a time), and the unique key makes a
    concurrent repeat of the same answer a no-op on PostgreSQL. True when this call stored
    it (the caller then answers ``variant_key``; otherwise it reads the stored variant).
    ``bind``: a session or its connection. Does not commit."""
    statement = _FIRST_EXPOSURE["postgresql" if _dialect_name(bind) == "postgresql" else "sqlite"]
    parameters = {"experiment_id": experiment_id, "unit": unit_id, "variant": variant_key, "at": at}
    return bind.execute(statement, parameters, execution_options=_ROWCOUNT).rowcount == 1


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
    """A naive-UTC timestamp column plus a whole number of days (``clauses``: the column,
    days as a literal integer)."""

    type = DateTime()
    name = "plus_days"
    inherit_cache = True


@compiles(plus_days)
def _plus_days(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    ts, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"({ts} + make_interval(days => {days}))"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff". Adding whole days leaves the time of day
    # as it is, so the new date followed by the stored time part is exact to the
    # microsecond (strftime's %f would round to milliseconds) and orders correctly against
    # stored values by text comparison; date() is also several times cheaper per row.
    ts, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"(date({ts}, '+' || {days} || ' days') || substr({ts}, 11))"


class _OuterLoopJoin(Join):
    """An inner join rendered as ``left CROSS JOIN right`` (its condition belongs in WHERE):
    SQLite then keeps ``left`` as the outer loop, its documented meaning of CROSS JOIN;
    PostgreSQL plans it like any inner join."""

    inherit_cache = True


@compiles(_OuterLoopJoin)
def _outer_loop_join(
    element: _OuterLoopJoin,
    compiler: SQLCompiler,
    asfrom: bool = False,
    from_linter: Any = None,
    **kw: Any,
) -> str:
    if from_linter is not None:  # the two sides are joined (by the WHERE clause)
        from_linter.edges.update(
            itertools.product(element.left._from_objects, element.right._from_objects)
        )
    left = element.left._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw)
    right = element.right._compiler_dispatch(compiler, asfrom=True, from_linter=from_linter, **kw)
    return f"{left} CROSS JOIN {right}"


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


#: Version of :meth:`ExperimentData.to_json`'s layout (stored in ``experiment_snapshots``).
SNAPSHOT_FORMAT = 1


@dataclass(frozen=True)
class ExperimentData:
    """What analysis needs: per (variant, exposure day) sums of analysed units, and the
    number of units excluded for being exposed to more than one variant.

    ``first_exposure`` / ``last_exposure`` span every exposure row of the experiment
    (``None`` without exposures); ``per_variant`` counts analysed units per variant.
    """

    cohorts: list[ArmDaySums]
    excluded_units: int
    first_exposure: datetime | None = None
    last_exposure: datetime | None = None
    per_variant: dict[str, int] = field(default_factory=dict)

    @property
    def units(self) -> int:
        """Analysed units (all arms)."""
        return sum(self.per_variant.values())

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form (dates and times as ISO strings); :meth:`from_json`
        gives back an equal ``ExperimentData``."""
        return {
            "format": SNAPSHOT_FORMAT,
            "cohorts": [
                {"variant": c.variant, "day": c.day.isoformat(), "n": c.n, "sums": dict(c.sums)}
                for c in self.cohorts
            ],
            "excluded_units": self.excluded_units,
            "first_exposure": _iso(self.first_exposure),
            "last_exposure": _iso(self.last_exposure),
            "per_variant": dict(self.per_variant),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ExperimentData:
        """The ``ExperimentData`` of a :meth:`to_json` document. Raises ``ValueError`` for
        another format version or a malformed document."""
        if document.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"unknown snapshot format {document.get('format')!r}")
        try:
            return cls(
                cohorts=[
                    ArmDaySums(
                        str(c["variant"]),
                        date.fromisoformat(c["day"]),
                        int(c["n"]),
                        {str(k): float(v) for k, v in c["sums"].items()},
                    )
                    for c in document["cohorts"]
                ],
                excluded_units=int(document["excluded_units"]),
                first_exposure=_from_iso(document.get("first_exposure")),
                last_exposure=_from_iso(document.get("last_exposure")),
                per_variant={str(k): int(v) for k, v in document["per_variant"].items()},
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"malformed snapshot: {error}") from error


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _as_datetime(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _exposure_counts(
    session: Session, experiment_id: int
) -> tuple[dict[tuple[str, date], int], int, datetime | None, datetime | None, int]:
    """Statement 1 of :func:`experiment_sums`: analysed units per (variant, first-exposure
    day), excluded units, the exposure span and the largest exposure id counted.

    Every exposure row is counted per (variant, day) in the order of
    ``ix_experiment_exposures_experiment_id_variant_key_first_day`` (no sort); units with
    more than one row (they saw two variants: rows are unique per unit and variant) are
    found by one pass over the unique (experiment, unit, variant) index, and their rows
    are subtracted. One statement (UNION ALL), so all parts see the same data.
    """
    ee = ExperimentExposure.__table__
    in_experiment = ee.c.experiment_id == experiment_id
    day = utc_day(ee.c.first_exposed_at)
    repeated = (
        select(ee.c.unit_id)
        .where(in_experiment)
        .group_by(ee.c.unit_id)
        .having(func.count() > 1)
        .cte("repeated_units")
    )
    none_time = null().cast(DateTime())
    none_id = null().cast(Integer())
    all_rows = (
        select(
            literal("rows").label("part"),
            ee.c.variant_key,
            day.label("day"),
            func.count().label("count"),
            func.min(ee.c.first_exposed_at).label("first"),
            func.max(ee.c.first_exposed_at).label("last"),
            func.max(ee.c.id).label("max_id"),
        )
        .where(in_experiment)
        .group_by(ee.c.variant_key, day)
    )
    excluded_rows = (
        select(
            literal("excluded_rows"),
            ee.c.variant_key,
            day,
            func.count(),
            none_time,
            none_time,
            none_id,
        )
        .where(in_experiment, ee.c.unit_id.in_(select(repeated.c.unit_id)))
        .group_by(ee.c.variant_key, day)
    )
    excluded_units = select(
        literal("excluded_units"),
        null(),
        null(),
        func.count(),
        none_time,
        none_time,
        none_id,
    ).select_from(repeated)
    n_by_cohort: dict[tuple[str, date], int] = {}
    excluded = 0
    first: datetime | None = None
    last: datetime | None = None
    max_id = 0
    for part, variant, day_value, count, low, high, top in session.execute(
        union_all(all_rows, excluded_rows, excluded_units)
    ):
        if part == "excluded_units":
            excluded = int(count)
            continue
        key = (variant, _as_date(day_value))
        sign = 1 if part == "rows" else -1
        n_by_cohort[key] = n_by_cohort.get(key, 0) + sign * int(count)
        if part == "rows":
            low, high = _as_datetime(low), _as_datetime(high)
            first = low if first is None or low < first else first
            last = high if last is None or high > last else last
            max_id = max(max_id, int(top))
    counts = {key: n for key, n in n_by_cohort.items() if n > 0}
    return counts, excluded, first, last, max_id


def experiment_sums(session: Session, experiment: Experiment) -> ExperimentData:
    """Per-arm, per-exposure-day sufficient statistics for ``experiment``, in two SQL
    statements (aggregation happens in the database; no per-unit rows are returned).

    Units: exposures grouped by unit; those with more than one variant are excluded (and
    counted). Each analysed unit's events count when ``occurred_at`` is in
    [first exposure, first exposure + ``conversion_window_days``). Per-unit values:
    ``unlocked`` (any chapter_unlock, 0/1), ``revenue`` (Σ revenue_minor of unlock, tip and
    subscribe events), ``read_seconds`` (Σ of chapter_progress), ``chapters`` (distinct
    chapters started), ``starts`` / ``completes`` (chapter_start / chapter_complete counts).

    Statement 1 (:func:`_exposure_counts`) counts units; statement 2 sums the metric events
    of the exposures statement 1 counted (exposure ids up to the largest it saw, so both
    describe the same units even while exposures arrive). Statement 2 reads the events of
    the relevant types in the experiment's day span through
    ``ix_events_event_type_occurred_day`` and looks each one's unit up in the
    (experiment, unit, variant) unique index of ``experiment_exposures`` (a hash join on
    PostgreSQL); it never scans events per unit. Read-only; does not commit.
    """
    counts, excluded, first, last, max_id = _exposure_counts(session, experiment.id)
    if first is None or last is None:
        return ExperimentData([], excluded)

    ee = ExperimentExposure.__table__
    ev = Event.__table__
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
    window_end = last + timedelta(days=window)
    unit = func.coalesce(ev.c.user_id, ev.c.anonymous_id)
    # The events are the outer loop (CROSS JOIN on SQLite, whose planner would otherwise
    # walk the exposures in unit order, to group without sorting, and scan the events
    # for each unit: events have no index by unit, on purpose). Only events in the unit's
    # own window join, so each analysed unit's group holds exactly its counted events;
    # units without any add 0 to every sum (their n comes from statement 1). An analysed
    # unit has exactly one exposure row (units with two are left out below), so groups
    # are keyed by that row's integer id: a cheaper sort than by the unit's text.
    joined = _OuterLoopJoin(ev, ee, true())
    conditions = [
        ee.c.experiment_id == experiment.id,
        ee.c.unit_id == unit,
        ee.c.id <= max_id,
        ev.c.event_type.in_(relevant),
        utc_day(ev.c.occurred_at) >= first.date(),  # ix_events_event_type_occurred_day
        utc_day(ev.c.occurred_at) <= window_end.date(),
        ev.c.occurred_at >= first,
        ev.c.occurred_at < window_end,
        ev.c.occurred_at >= ee.c.first_exposed_at,
        ev.c.occurred_at < plus_days(ee.c.first_exposed_at, literal(window, Integer)),
    ]
    if excluded:
        # Units seen in two variants: leave them out (one more index probe per event, only
        # when statement 1 found any).
        other = ee.alias("other_variant")
        conditions.append(
            ~exists().where(
                other.c.experiment_id == experiment.id,
                other.c.unit_id == ee.c.unit_id,
                other.c.variant_key != ee.c.variant_key,
                other.c.id <= max_id,
            )
        )
    kind = ev.c.event_type
    per_unit = (
        select(
            func.min(ee.c.variant_key).label("variant"),
            func.min(ee.c.first_exposed_at).label("t0"),
            func.max(case((kind == EventType.CHAPTER_UNLOCK.value, 1), else_=0)).label("unlocked"),
            func.coalesce(
                func.sum(case((kind.in_(revenue_types), ev.c.revenue_minor), else_=0)), 0
            ).label("revenue"),
            func.coalesce(
                func.sum(
                    case((kind == EventType.CHAPTER_PROGRESS.value, ev.c.read_seconds), else_=0)
                ),
                0,
            ).label("read_seconds"),
            func.count(
                distinct(case((kind == EventType.CHAPTER_START.value, ev.c.chapter_id)))
            ).label("chapters"),
            func.sum(case((kind == EventType.CHAPTER_START.value, 1), else_=0)).label("starts"),
            func.sum(case((kind == EventType.CHAPTER_COMPLETE.value, 1), else_=0)).label(
                "completes"
            ),
        )
        .select_from(joined)
        .where(*conditions)
        .group_by(ee.c.id)
        .subquery("per_unit")
    )
    columns = [per_unit.c.variant, utc_day(per_unit.c.t0).label("day")]
    for name in UNIT_VALUES:
        value = per_unit.c[name]
        columns.append(func.sum(value).label(name))
        columns.append(func.sum(value * value).label(f"{name}_sq"))
    columns.append(func.sum(per_unit.c.completes * per_unit.c.starts).label("completes_x_starts"))
    sums_by_cohort: dict[tuple[str, date], dict[str, float]] = {}
    for row in session.execute(
        select(*columns).group_by(per_unit.c.variant, utc_day(per_unit.c.t0))
    ).mappings():
        sums_by_cohort[(row["variant"], _as_date(row["day"]))] = {
            name: float(row[name] or 0)
            for name in row.keys()  # noqa: SIM118  (RowMapping.keys() is the API)
            if name not in ("variant", "day")
        }
    empty = dict.fromkeys((*UNIT_VALUES, *(f"{v}_sq" for v in UNIT_VALUES)), 0.0)
    empty["completes_x_starts"] = 0.0
    cohorts: list[ArmDaySums] = []
    per_variant: dict[str, int] = {}
    for (variant, day), n in sorted(counts.items(), key=lambda item: (item[0][1], item[0][0])):
        cohorts.append(
            ArmDaySums(variant, day, n, {**empty, **sums_by_cohort.get((variant, day), {})})
        )
        per_variant[variant] = per_variant.get(variant, 0) + n
    return ExperimentData(cohorts, excluded, first, last, per_variant)


# --------------------------------------------------------------------------- stored analysis

#: Without a snapshot yet, experiments with fewer exposure rows than this are analysed in
#: the request that asks (well under a second); larger ones are left to the job.
ON_DEMAND_MAX_EXPOSURES = 50_000
#: The ``experiment_analysis`` job recomputes a running experiment whose snapshot is older.
ANALYSIS_REFRESH = timedelta(minutes=10)
#: A stopped experiment is recomputed (every ``ANALYSIS_REFRESH``) until its last units'
#: conversion windows have closed and this much longer has passed (late events), once
#: more after that, and then never again unless an admin asks.
ANALYSIS_SETTLE = timedelta(days=1)
#: A requested experiment is computed at most this many times per job run (a request newer
#: than every computation, e.g. from a web server whose clock runs ahead, cannot loop).
MAX_RUNS_PER_EXPERIMENT = 2


@dataclass(frozen=True)
class StoredAnalysis:
    """An experiment's ``experiment_snapshots`` row: ``data`` as of ``computed_at`` (both
    ``None`` before the first snapshot, or when it was stored in another format), the
    ``seconds`` the computation took, and ``requested_at`` while a recompute is pending."""

    experiment_id: int
    data: ExperimentData | None
    computed_at: datetime | None
    seconds: float | None
    requested_at: datetime | None

    @property
    def pending(self) -> bool:
        """True while a requested recomputation has not been stored yet."""
        return self.requested_at is not None


def _upsert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    module = pg_dialect if dialect == "postgresql" else sqlite_dialect
    return module.insert(ExperimentSnapshot.__table__)


def store_snapshot(
    session: Session,
    experiment_id: int,
    data: ExperimentData,
    *,
    computed_at: datetime,
    seconds: float,
) -> bool:
    """Replace the experiment's snapshot with ``data`` (as of ``computed_at``, when the
    computation started) in one statement, so readers see the old snapshot or the new one.

    A snapshot never replaces a newer one (two computations racing: the later start wins,
    whichever finishes last), and it clears a pending request made before
    ``computed_at`` (a request made during the computation stays pending). Returns True
    when stored. Does not commit.
    """
    table = ExperimentSnapshot.__table__
    statement = _upsert(session).values(
        experiment_id=experiment_id,
        computed_at=computed_at,
        seconds=seconds,
        data=data.to_json(),
        requested_at=None,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.experiment_id],
        set_={
            "computed_at": statement.excluded.computed_at,
            "seconds": statement.excluded.seconds,
            "data": statement.excluded.data,
            "requested_at": case(
                (table.c.requested_at <= statement.excluded.computed_at, None),
                else_=table.c.requested_at,
            ),
        },
        where=or_(
            table.c.computed_at.is_(None),
            table.c.computed_at <= statement.excluded.computed_at,
        ),
    )
    return session.execute(statement, execution_options=_ROWCOUNT).rowcount == 1


def request_analysis(session: Session, experiment_id: int, now: datetime) -> None:
    """Ask for the experiment to be (re)computed: set its snapshot's ``requested_at`` to
    ``now`` (creating a row without data when there is none yet). The
    ``experiment_analysis`` job computes requested experiments first. Does not commit."""
    table = ExperimentSnapshot.__table__
    statement = _upsert(session).values(experiment_id=experiment_id, requested_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.experiment_id],
        set_={"requested_at": statement.excluded.requested_at},
    )
    session.execute(statement)


def load_snapshot(session: Session, experiment_id: int) -> StoredAnalysis | None:
    """The experiment's stored analysis, or ``None`` when it has never been computed nor
    requested. A snapshot stored in an unknown format reads as no data (it is recomputed)."""
    row = session.execute(
        select(
            ExperimentSnapshot.computed_at,
            ExperimentSnapshot.seconds,
            ExperimentSnapshot.data,
            ExperimentSnapshot.requested_at,
        ).where(ExperimentSnapshot.experiment_id == experiment_id)
    ).one_or_none()
    if row is None:
        return None
    computed_at, seconds, document, requested_at = row
    data = None
    if document is not None:
        try:
            data = ExperimentData.from_json(document)
        except ValueError:
            logger.warning("experiment %s: unreadable snapshot, ignored", experiment_id)
    if data is None:
        computed_at = seconds = None
    return StoredAnalysis(experiment_id, data, computed_at, seconds, requested_at)


def snapshot_state(
    session: Session, experiment_id: int
) -> tuple[datetime | None, datetime | None] | None:
    """``(computed_at, requested_at)`` of the experiment's snapshot row without reading its
    data (for polling), or ``None`` when there is no row."""
    row = session.execute(
        select(ExperimentSnapshot.computed_at, ExperimentSnapshot.requested_at).where(
            ExperimentSnapshot.experiment_id == experiment_id
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def refresh_snapshot(
    session: Session, experiment: Experiment, *, now: datetime | None = None
) -> ExperimentData:
    """Compute :func:`experiment_sums` for ``experiment`` and store it with
    :func:`store_snapshot` (``computed_at`` = ``now``, default the current time, taken
    before the computation). The reads run first and the write is one short statement, so
    a long analysis never holds SQLite's write lock. Returns the data. Does not commit."""
    started_at = now or utcnow()
    clock = time.perf_counter()
    data = experiment_sums(session, experiment)
    store_snapshot(
        session,
        experiment.id,
        data,
        computed_at=started_at,
        seconds=round(time.perf_counter() - clock, 3),
    )
    return data


def count_exposures(session: Session, experiment_id: int, *, limit: int | None = None) -> int:
    """Exposure rows of the experiment; with ``limit``, counting stops at ``limit`` + 1
    rows, so "is it small?" costs the same for any size."""
    rows = select(literal(1)).where(ExperimentExposure.experiment_id == experiment_id)
    if limit is not None:
        rows = rows.limit(limit + 1)
    return int(session.scalar(select(func.count()).select_from(rows.subquery())) or 0)


def analysis_due(
    status: str,
    stopped_at: datetime | None,
    conversion_window_days: int,
    computed_at: datetime | None,
    requested_at: datetime | None,
    now: datetime,
) -> bool:
    """Whether the ``experiment_analysis`` job should compute an experiment now: when a
    recompute was requested; a running experiment without a snapshot or with one older
    than ``ANALYSIS_REFRESH``; a stopped one likewise while its results can still change
    (until ``conversion_window_days`` + ``ANALYSIS_SETTLE`` after the stop, plus one last
    snapshot computed after that). Drafts and archived experiments only on request."""
    if requested_at is not None:
        return True
    stale = computed_at is None or computed_at <= now - ANALYSIS_REFRESH
    if status == "running":
        return stale
    if status == "stopped" and stopped_at is not None:
        settled_at = stopped_at + timedelta(days=conversion_window_days) + ANALYSIS_SETTLE
        return computed_at is None or (stale and computed_at < settled_at)
    return False


def experiments_due(session: Session, now: datetime) -> list[int]:
    """Ids of the experiments :func:`analysis_due` says to compute, requested ones first
    (oldest request first), then those never computed, then the oldest snapshots."""
    snapshot = ExperimentSnapshot
    rows = session.execute(
        select(
            Experiment.id,
            Experiment.status,
            Experiment.stopped_at,
            Experiment.conversion_window_days,
            snapshot.computed_at,
            snapshot.requested_at,
        )
        .outerjoin(snapshot, snapshot.experiment_id == Experiment.id)
        .where(
            or_(snapshot.requested_at.is_not(None), Experiment.status.in_(("running", "stopped")))
        )
    ).all()
    due = [row for row in rows if analysis_due(*row[1:], now=now)]
    oldest = datetime.min

    def order(row: Any) -> tuple[int, datetime, int]:
        if row.requested_at is not None:
            return (0, row.requested_at, row.id)
        return (1, row.computed_at or oldest, row.id)

    return [row.id for row in sorted(due, key=order)]


def _requested(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(ExperimentSnapshot.experiment_id)
            .where(ExperimentSnapshot.requested_at.is_not(None))
            .order_by(ExperimentSnapshot.requested_at, ExperimentSnapshot.experiment_id)
        )
    )


class AnalysisFailed(RuntimeError):
    """Some experiments could not be analysed (the others were stored)."""


def analyse_experiments(session: Session, *, now: Callable[[], datetime] = utcnow) -> int:
    """The ``experiment_analysis`` job: store a fresh snapshot of every experiment
    :func:`experiments_due` lists, requested ones first, and return how many were stored.

    Unlike the rest of this module it **commits**, after each experiment: one snapshot is
    one transaction (atomic on its own, visible as soon as it is stored), and a long run
    never holds SQLite's write lock for more than one small upsert. After each experiment
    it looks for new requests (an admin's "Recompute now" while the job runs) and takes
    them next. An experiment that fails is rolled back, logged and skipped for the rest of
    the run; the others continue, and :class:`AnalysisFailed` is raised at the end so the
    run is recorded as failed. Idempotent: a second run changes nothing but the times.
    """
    queue = experiments_due(session, now())
    session.commit()  # end the read transaction before the long reads
    runs: dict[int, int] = {}
    failed: list[int] = []
    stored = 0
    while queue:
        experiment_id = queue.pop(0)
        runs[experiment_id] = runs.get(experiment_id, 0) + 1
        try:
            experiment = session.get(Experiment, experiment_id)
            if experiment is not None:
                refresh_snapshot(session, experiment, now=now())
                stored += 1
            session.commit()
        except Exception:
            session.rollback()
            logger.exception("experiment %s: analysis failed", experiment_id)
            failed.append(experiment_id)
        requested = [
            i
            for i in _requested(session)
            if i not in failed and runs.get(i, 0) < MAX_RUNS_PER_EXPERIMENT
        ]
        session.commit()
        queue = requested + [i for i in queue if i not in requested]
    if failed:
        raise AnalysisFailed(
            f"analysis failed for experiment ids {sorted(failed)} ({stored} stored); see the log"
        )
    return stored


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
