"""Admin experiments pages: the list and create form (``/admin/experiments``) and one
experiment's results, lifecycle actions and settings (``/admin/experiments/<key>``).

Results come from the experiment's stored snapshot (``data.experiments.load_snapshot``,
kept fresh by the ``experiment_analysis`` job); the statistics are computed from those sums
per request (milliseconds). An experiment without a snapshot is analysed in the request
when it is small, else a recomputation is requested and the page polls until it lands;
"Recompute now" requests one and starts the job in the background (through the launcher
the app installs, see ``ANALYSIS_LAUNCHER``), so no request waits for a long analysis.

Every callback touches ``admin-`` components, so the request guard refuses them to
non-admins (403); each plain function below checks the role again (``AccessDenied``).
Writes go through ``data.experiments`` (validated, audited); the callbacks commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session, sessionmaker

from app.analytics.experiment_report import (
    CohortSums,
    ExperimentReport,
    MetricSpec,
    PowerStatus,
    VariantSpec,
    build_report,
)
from app.analytics.stats import srm_check
from callbacks.common import AccessDenied, Viewer, current_viewer, logger
from components import ids
from components.experiments import (
    analysis_pending_view,
    analysis_status,
    corrections_note,
    cumulative_figure,
    empty_figure,
    experiments_table,
    forest_figure,
    format_age,
    health_badge,
    power_card,
    results_table,
    srm_banner,
    status_badge,
)
from components.feedback import error_alert
from components.formatting import format_int, format_percent
from data.db import utcnow
from data.experiments import (
    METRICS,
    ON_DEMAND_MAX_EXPOSURES,
    Actor,
    ExperimentData,
    ExperimentError,
    ExperimentForm,
    StoredAnalysis,
    VariantInput,
    archive_experiment,
    count_exposures,
    create_experiment,
    experiment_settings,
    experiment_summaries,
    get_experiment,
    load_snapshot,
    refresh_snapshot,
    request_analysis,
    snapshot_state,
    start_experiment,
    stop_experiment,
    update_experiment,
)
from data.models import Experiment

#: Service field name -> form field suffix (the message is shown under that field).
FIELD_OF_ERROR = {
    "key": "key",
    "name": "name",
    "hypothesis": "hypothesis",
    "variants": "variants",
    "weights": "weights",
    "goal_metrics": "goal",
    "guardrail_metrics": "guardrail",
    "engine": "engine",
    "traffic_percent": "traffic",
    "conversion_window_days": "window",
    "correction": "correction",
    **{f"variant-{i}": f"variant-{i}" for i in range(ids.EXP_FORM_VARIANT_ROWS)},
}
FEEDBACK_FIELDS = tuple(dict.fromkeys(FIELD_OF_ERROR.values()))
INVALID_INPUTS = ("key", "name", "traffic", "window")
VALUE_FIELDS = (
    "key",
    "name",
    "hypothesis",
    "goal",
    "guardrail",
    "engine",
    "sequential",
    "traffic",
    "window",
    "correction",
)
VARIANT_FIELDS = tuple(
    f"variant-{part}-{i}"
    for i in range(ids.EXP_FORM_VARIANT_ROWS)
    for part in ("key", "name", "weight")
)
ACTIONS = {
    "start": (start_experiment, "Start this experiment? Assignment starts answering at once."),
    "stop": (stop_experiment, "Stop this experiment? Assignment stops and results freeze."),
    "archive": (archive_experiment, "Archive this experiment? It leaves the list (results stay)."),
}


def _admin(viewer: Viewer) -> Actor:
    if not viewer.is_admin:
        raise AccessDenied("administrators only")
    return Actor(user_id=viewer.user_id, label=viewer.display_name or f"user {viewer.user_id}")


# --------------------------------------------------------------------------- list


def days_running(
    experiment_started: datetime | None, stopped: datetime | None, now: datetime
) -> float | None:
    """Days between start and stop (or now); ``None`` before the start."""
    if experiment_started is None:
        return None
    return max(((stopped or now) - experiment_started).total_seconds() / 86400, 0.0)


def list_rows(
    session: Session, viewer: Viewer, show_archived: bool, now: datetime
) -> list[dict[str, Any]]:
    """Rows of the experiments table (newest first); archived ones only on request."""
    _admin(viewer)
    statuses = (
        ("draft", "running", "stopped", "archived")
        if show_archived
        else ("draft", "running", "stopped")
    )
    rows = []
    for summary in experiment_summaries(session, statuses):
        counts = [summary.exposed.get(key, 0) for key, _ in summary.variants]
        srm = srm_check(counts, [weight for _, weight in summary.variants])
        if summary.status == "draft":
            health = "draft"
        elif sum(counts) == 0:
            health = "no data"
        else:
            health = {"alert": "srm", "warning": "srm warning"}.get(srm.level, "ok")
        rows.append(
            {
                "key": summary.key,
                "name": summary.name,
                "status": summary.status,
                "traffic_percent": summary.traffic_percent,
                "variants": " / ".join(f"{key} {weight:g}%" for key, weight in summary.variants),
                "days_running": days_running(summary.started_at, summary.stopped_at, now),
                "units": sum(counts),
                "health": health,
            }
        )
    return rows


# --------------------------------------------------------------------------- form


def form_from_values(values: Mapping[str, Any]) -> ExperimentForm:
    """An ``ExperimentForm`` from the raw form values (keyed by field suffix, variants as
    ``variant-key-<i>`` …); empty variant rows are dropped."""
    variants = []
    for index in range(ids.EXP_FORM_VARIANT_ROWS):
        key = str(values.get(f"variant-key-{index}") or "").strip()
        name = str(values.get(f"variant-name-{index}") or "").strip()
        weight = values.get(f"variant-weight-{index}")
        if not key and not name and weight in (None, ""):
            continue
        variants.append(VariantInput(key, name or key, weight if weight != "" else None))
    return ExperimentForm(
        key=str(values.get("key") or ""),
        name=str(values.get("name") or ""),
        hypothesis=str(values.get("hypothesis") or ""),
        variants=tuple(variants),
        goal_metrics=tuple(values.get("goal") or ()),
        guardrail_metrics=tuple(values.get("guardrail") or ()),
        engine=str(values.get("engine") or ""),
        sequential=bool(values.get("sequential")),
        traffic_percent=values.get("traffic"),
        conversion_window_days=values.get("window"),
        correction=str(values.get("correction") or "holm"),
    )


@dataclass(frozen=True)
class FormOutcome:
    """Field messages (by form field suffix), an overall message and, on success, the
    experiment key."""

    field_messages: dict[str, str]
    message: str
    ok: bool
    key: str | None = None


def _outcome(error: ExperimentError) -> FormOutcome:
    messages = {
        FIELD_OF_ERROR.get(name, "variants"): text for name, text in error.field_errors.items()
    }
    return FormOutcome(messages, str(error), False)


def submit_new(session: Session, viewer: Viewer, values: Mapping[str, Any]) -> FormOutcome:
    """Create a draft from the new-experiment form; commits on success only."""
    actor = _admin(viewer)
    try:
        experiment = create_experiment(session, form_from_values(values), actor)
    except ExperimentError as error:
        session.rollback()
        return _outcome(error)
    session.commit()
    return FormOutcome({}, f"Draft '{experiment.key}' created.", True, experiment.key)


def submit_edit(
    session: Session, viewer: Viewer, key: str, values: Mapping[str, Any]
) -> FormOutcome:
    """Save the settings form of experiment ``key``; commits on success only."""
    actor = _admin(viewer)
    try:
        update_experiment(session, key, form_from_values({**values, "key": key}), actor)
    except ExperimentError as error:
        session.rollback()
        return _outcome(error)
    session.commit()
    return FormOutcome({}, "Changes saved.", True, key)


def edit_values(experiment: Experiment) -> dict[str, Any]:
    """The settings form's values for ``experiment``."""
    values: dict[str, Any] = {
        "key": experiment.key,
        "name": experiment.name,
        "hypothesis": experiment.hypothesis,
        "goal": list(experiment.goal_metrics),
        "guardrail": list(experiment.guardrail_metrics),
        "engine": experiment.engine,
        "sequential": experiment.sequential,
        "traffic": experiment.traffic_percent,
        "window": experiment.conversion_window_days,
        "correction": experiment_settings(experiment)["correction"],
    }
    variants = list(experiment.variants)
    for index in range(ids.EXP_FORM_VARIANT_ROWS):
        variant = variants[index] if index < len(variants) else None
        values[f"variant-key-{index}"] = variant.key if variant else ""
        values[f"variant-name-{index}"] = variant.name if variant else ""
        values[f"variant-weight-{index}"] = variant.weight if variant else None
    return values


def form_feedback_outputs(outcome: FormOutcome | None) -> list[Any]:
    """Messages for ``FEEDBACK_FIELDS``, then ``invalid`` flags for ``INVALID_INPUTS``, then
    the overall alert."""
    messages = outcome.field_messages if outcome else {}
    feedback = [messages.get(name, "") for name in FEEDBACK_FIELDS]
    invalid = [name in messages for name in INVALID_INPUTS]
    if outcome is None:
        alert = None
    else:
        alert = dbc.Alert(
            outcome.message, color="success" if outcome.ok else "danger", className="mt-3 py-2"
        )
    return [*feedback, *invalid, alert]


# --------------------------------------------------------------------------- actions


def perform_action(session: Session, viewer: Viewer, key: str, action: str) -> tuple[bool, str]:
    """Run ``start`` / ``stop`` / ``archive`` on ``key``; commits on success. Returns
    (ok, message)."""
    actor = _admin(viewer)
    if action not in ACTIONS:
        return False, "Unknown action."
    try:
        experiment = ACTIONS[action][0](session, key, actor)
    except ExperimentError as error:
        session.rollback()
        return False, str(error)
    session.commit()
    return True, f"Experiment is now {experiment.status}."


# --------------------------------------------------------------------------- results

#: ``app.server.extensions`` slot of the analysis launcher the app installs
#: (``app.experiments_api.start_analysis``): ``launch(requested_by)`` starts the
#: ``experiment_analysis`` job in the background and returns at once (True when it started
#: a run). Without one, a requested recomputation waits for the scheduled job.
ANALYSIS_LAUNCHER = "legato.experiments.analysis_launcher"
Launcher = Callable[[str], bool]


def metric_specs(experiment: Experiment) -> list[MetricSpec]:
    """Goal metrics, then guardrails, as the report needs them."""
    specs = []
    for role, keys in (
        ("goal", experiment.goal_metrics),
        ("guardrail", experiment.guardrail_metrics),
    ):
        for key in keys:
            metric = METRICS.get(key)
            if metric is not None:
                specs.append(
                    MetricSpec(
                        metric.key,
                        metric.label,
                        metric.kind,
                        metric.unit,
                        metric.column,
                        role,
                        metric.denominator,
                        metric.higher_is_better,
                    )
                )
    return specs


def report_from(experiment: Experiment, data: ExperimentData, as_of: datetime) -> ExperimentReport:
    """The results of ``experiment`` from stored sums computed at ``as_of`` (statistics in
    ``app.analytics``; milliseconds). Traffic per day, for days remaining, is measured
    over the time the sums cover: from the start to the stop or to ``as_of``."""
    settings = experiment_settings(experiment)
    covered = days_running(
        experiment.started_at,
        min(experiment.stopped_at, as_of) if experiment.stopped_at else as_of,
        as_of,
    )
    return build_report(
        [VariantSpec(v.key, v.name, v.weight, v.is_control) for v in experiment.variants],
        metric_specs(experiment),
        [CohortSums(c.variant, c.day, c.n, c.sums) for c in data.cohorts],
        excluded_units=data.excluded_units,
        engine=experiment.engine,
        sequential=experiment.sequential,
        days_running=covered or 0.0,
        status=experiment.status,
        alpha=float(settings["alpha"]),
        mde=float(settings["mde"]),
        correction=str(settings["correction"]),
    )


@dataclass(frozen=True)
class Results:
    """What the results page shows: the experiment, its stored analysis (``None`` only
    when nothing was ever computed or requested) and the report built from it (``None``
    while the first analysis of a large experiment is pending); ``exposures`` is the
    exposure count when it was checked (capped at ``ON_DEMAND_MAX_EXPOSURES``)."""

    experiment: Experiment
    stored: StoredAnalysis | None
    report: ExperimentReport | None
    exposures: int | None = None


def load_results(
    session: Session, viewer: Viewer, key: str, now: datetime, launch: Launcher | None = None
) -> Results:
    """The results of experiment ``key`` from its stored snapshot (the
    ``experiment_analysis`` job keeps it fresh). Without a snapshot yet, an experiment
    with fewer than ``ON_DEMAND_MAX_EXPOSURES`` exposures is analysed now and its snapshot
    stored; a larger one gets a recompute request and ``launch`` is called (the results
    are then pending; a pending request is not made or launched again). Commits what it
    stores. Raises ``LookupError`` for an unknown key
    and ``AccessDenied`` for non-admins."""
    actor = _admin(viewer)
    experiment = get_experiment(session, key)
    if experiment is None:
        raise LookupError(f"There is no experiment '{key}'.")
    stored = load_snapshot(session, experiment.id)
    exposures = None
    if stored is None or stored.data is None:
        exposures = count_exposures(session, experiment.id, limit=ON_DEMAND_MAX_EXPOSURES)
        requested = False
        if exposures < ON_DEMAND_MAX_EXPOSURES:
            refresh_snapshot(session, experiment, now=now)
        elif stored is None or not stored.pending:
            request_analysis(session, experiment.id, now)
            requested = True
        session.commit()
        if requested and launch is not None:
            launch(actor.label)
        stored = load_snapshot(session, experiment.id)
    report = None
    if stored is not None and stored.data is not None and stored.computed_at is not None:
        report = report_from(experiment, stored.data, stored.computed_at)
    return Results(experiment, stored, report, exposures)


def request_recompute(
    session: Session, viewer: Viewer, key: str, now: datetime, launch: Launcher | None
) -> None:
    """Ask for experiment ``key`` to be recomputed (commits the request) and start the
    analysis job in the background with ``launch``; returns at once. Raises
    ``LookupError`` / ``AccessDenied``."""
    actor = _admin(viewer)
    experiment = get_experiment(session, key)
    if experiment is None:
        raise LookupError(f"There is no experiment '{key}'.")
    request_analysis(session, experiment.id, now)
    session.commit()
    if launch is not None:
        launch(actor.label)


def shown_state(stored: StoredAnalysis | None) -> dict[str, Any]:
    """What the page remembers of the analysis it shows (compared by :func:`analysis_moved`)."""
    computed_at = stored.computed_at if stored is not None else None
    return {
        "computed_at": computed_at.isoformat() if computed_at else None,
        "pending": bool(stored is not None and stored.pending),
    }


def analysis_moved(session: Session, viewer: Viewer, key: str, shown: Mapping[str, Any]) -> bool:
    """True when the stored analysis of ``key`` is no longer the one ``shown`` (a new
    snapshot landed, or the request was cleared): the page should re-render."""
    _admin(viewer)
    experiment = get_experiment(session, key)
    if experiment is None:
        return False
    state = snapshot_state(session, experiment.id)
    computed_at, requested_at = state if state is not None else (None, None)
    current = {
        "computed_at": computed_at.isoformat() if computed_at else None,
        "pending": requested_at is not None,
    }
    return current != {"computed_at": shown.get("computed_at"), "pending": shown.get("pending")}


def remaining_text(experiment: Experiment, power: PowerStatus | None, now: datetime) -> str | None:
    """Days remaining, in words, for a running experiment: nothing before the start or
    after the stop; "estimate after the first day" during the first day (there is no
    traffic rate to extrapolate yet); otherwise the estimate from the stored analysis."""
    if experiment.status != "running" or experiment.started_at is None:
        return None
    running = days_running(experiment.started_at, None, now) or 0.0
    if running < 1:
        return "estimate after the first day"
    if power is None or power.required_per_arm is None:
        return None
    if power.days_remaining is None:
        return "estimate with the next analysis"
    if power.days_remaining == 0:
        return "sample size reached"
    return f"~{power.days_remaining:,} days"


def timing_facts(experiment: Experiment, power: PowerStatus | None, now: datetime) -> list[str]:
    """The header's "how long" facts: not started; started N hours ago (first day) or N.N
    days running, with days remaining; or how long it ran."""
    if experiment.started_at is None:
        return ["not started"]
    running = days_running(experiment.started_at, experiment.stopped_at, now) or 0.0
    if experiment.status != "running":
        return [f"ran {running:,.1f} days"]
    if running < 1:
        facts = [f"started {format_age((now - experiment.started_at).total_seconds())}"]
    else:
        facts = [f"{running:,.1f} days running"]
    remaining = remaining_text(experiment, power, now)
    if remaining:
        facts.append(f"days remaining: {remaining}")
    return facts


def header(experiment: Experiment, report: ExperimentReport | None, now: datetime) -> Component:
    facts = [
        f"{format_percent(experiment.traffic_percent / 100, 0)} of traffic",
        "Bayesian" if experiment.engine == "bayesian" else "Frequentist",
        "sequential" if experiment.sequential else "fixed horizon",
        f"{experiment.conversion_window_days}-day window",
        *timing_facts(experiment, report.power if report else None, now),
    ]
    badges: list[Component] = [status_badge(experiment.status)]
    if report is not None:
        badges.append(html.Span(health_badge(report.health), className="ms-2"))
    return html.Div(
        [
            html.Div(
                [
                    html.H1(experiment.name, className="h3 mb-0 me-2", id="admin-exp-title"),
                    *badges,
                ],
                className="d-flex align-items-center flex-wrap gap-1",
            ),
            html.Div(experiment.key, className="small font-monospace text-secondary"),
            html.P(experiment.hypothesis or "No hypothesis written.", className="mb-1 mt-2"),
            html.Div(" · ".join(facts), className="small text-secondary", id="admin-exp-facts"),
        ]
    )


def power_rows(
    report: ExperimentReport, experiment: Experiment, now: datetime
) -> list[tuple[str, str]]:
    rows = [(f"{spec.name} ({spec.key})", format_int(n)) for spec, n in report.arms]
    rows.append(("Excluded (seen in 2+ variants)", format_int(report.excluded_units)))
    power = report.power
    if power is not None:
        label = METRICS[power.metric].label if power.metric in METRICS else power.metric
        rows.append(
            (
                f"Needed per arm for {format_percent(power.mde, 0)} on {label.lower()}",
                format_int(power.required_per_arm)
                if power.required_per_arm
                else (power.note or "–"),
            )
        )
    remaining = remaining_text(experiment, power, now)
    if remaining is not None:
        rows.append(("Days remaining", remaining[0].upper() + remaining[1:]))
    return rows


def metrics_view(report: ExperimentReport) -> list[dict[str, Any]]:
    """Plain dicts for ``components.experiments.results_table``."""
    return [
        {
            "label": metric.spec.label,
            "role": metric.spec.role,
            "unit": metric.spec.unit,
            "degraded": metric.degraded,
            "arms": [{"variant": a.variant, "n": a.n, "value": a.value} for a in metric.arms],
            "comparisons": [c.__dict__ for c in metric.comparisons],
        }
        for metric in report.metrics
    ]


def forest_points(report: ExperimentReport) -> list[dict[str, Any]]:
    several = sum(1 for spec, _ in report.arms if not spec.is_control) > 1
    return [
        {
            "label": f"{metric.spec.label}" + (f" · {c.variant}" if several else ""),
            "lift": c.lift,
            "ci_lower": c.ci_lower,
            "ci_upper": c.ci_upper,
            "call": c.call,
        }
        for metric in report.metrics
        for c in metric.comparisons
    ]


def cumulative_series(report: ExperimentReport, metric: str) -> dict[str, list[dict[str, Any]]]:
    series: dict[str, list[dict[str, Any]]] = {}
    for point in report.cumulative.get(metric, []):
        series.setdefault(point.variant, []).append(point.__dict__)
    return series


def freshness(stored: StoredAnalysis | None, now: datetime) -> Component:
    """The "computed N minutes ago (took X s)" line, with the pending state."""
    computed_ago = seconds = requested_ago = None
    if stored is not None and stored.computed_at is not None:
        computed_ago = format_age((now - stored.computed_at).total_seconds())
        seconds = stored.seconds
    if stored is not None and stored.requested_at is not None:
        requested_ago = format_age(max((now - stored.requested_at).total_seconds(), 0))
    return analysis_status(
        computed_ago=computed_ago,
        seconds=seconds,
        pending=bool(stored is not None and stored.pending),
        requested_ago=requested_ago,
    )


def results_outputs(
    session: Session,
    viewer: Viewer,
    key: str,
    metric: str | None,
    now: datetime,
    currency: str,
    launch: Launcher | None = None,
) -> list[Any]:
    """Every output of the results callback (see ``register``)."""
    results = load_results(session, viewer, key, now, launch)
    experiment, report, stored = results.experiment, results.report, results.stored
    pending = stored is not None and stored.pending
    lifecycle = [
        experiment.status != "draft",
        experiment.status != "running",
        experiment.status not in ("draft", "stopped"),
    ]
    analysis = [freshness(stored, now), pending, not pending, shown_state(stored)]
    if report is None:  # the first analysis of a large experiment is running
        waiting = empty_figure("Computing…")
        return [
            header(experiment, None, now),
            *lifecycle,
            None,
            analysis_pending_view(results.exposures or ON_DEMAND_MAX_EXPOSURES),
            None,
            None,
            waiting,
            waiting,
            no_update,
            *analysis,
        ]
    chosen = metric if metric in report.cumulative else next(iter(report.cumulative), None)
    srm = report.srm
    total = sum(n for _, n in report.arms)
    if total == 0:
        srm_view: Component = dbc.Alert(
            [
                html.I(className="bi bi-hourglass me-2"),
                "No exposures yet: results appear once units are assigned.",
            ],
            color="light",
            className="border",
        )
    else:
        srm_view = srm_banner(srm.level, srm.observed, srm.expected, srm.p_value)
    points = forest_points(report)
    forest = (
        forest_figure(points)
        if any(p["lift"] is not None for p in points)
        else empty_figure("Not enough data for a lift yet.")
    )
    series = cumulative_series(report, chosen) if chosen else {}
    label = METRICS[chosen].label if chosen in METRICS else ""
    cumulative = (
        cumulative_figure(series, label)
        if any(series.values())
        else empty_figure("Not enough data over time yet.")
    )
    alpha = float(experiment_settings(experiment)["alpha"])
    table = html.Div(
        [
            results_table(metrics_view(report), engine=experiment.engine, currency=currency),
            corrections_note([c.__dict__ for c in report.corrections], alpha),
        ]
    )
    return [
        header(experiment, report, now),
        *lifecycle,
        None,
        srm_view,
        power_card(power_rows(report, experiment, now)),
        table,
        forest,
        cumulative,
        chosen,
        *analysis,
    ]


# --------------------------------------------------------------------------- wiring


def _form_outputs(form: str) -> list[Output]:
    outputs = [
        Output(ids.exp_feedback_id(form, name), "children", allow_duplicate=form == "edit")
        for name in FEEDBACK_FIELDS
    ]
    outputs += [
        Output(ids.exp_form_id(form, name), "invalid", allow_duplicate=form == "edit")
        for name in INVALID_INPUTS
    ]
    outputs.append(
        Output(ids.exp_form_id(form, "message"), "children", allow_duplicate=form == "edit")
    )
    return outputs


def _form_states(form: str) -> list[State]:
    fields = [*VALUE_FIELDS, *VARIANT_FIELDS]
    return [State(ids.exp_form_id(form, name), "value") for name in fields]


def _values(args: Sequence[Any]) -> dict[str, Any]:
    return dict(zip([*VALUE_FIELDS, *VARIANT_FIELDS], args, strict=True))


def register(app: Dash, sessions: sessionmaker[Session]) -> None:
    """Wire the experiments pages' callbacks onto ``app``. "Recompute now" and a large
    experiment's first visit start the analysis job through the launcher the app put in
    ``app.server.extensions[ANALYSIS_LAUNCHER]`` (looked up per call)."""
    currency = app.server.config.get("REPORTING_CURRENCY", "USD")

    def launcher() -> Launcher | None:
        return app.server.extensions.get(ANALYSIS_LAUNCHER)

    @app.callback(
        Output(ids.ADMIN_EXP_LIST, "children"),
        Output(ids.ADMIN_EXP_LIST_STATUS, "children"),
        Input(ids.ADMIN_EXP_SHOW_ARCHIVED, "value"),
    )
    def update_list(show_archived: object):
        try:
            viewer = current_viewer()
            with sessions() as session:
                rows = list_rows(session, viewer, bool(show_archived), utcnow())
        except AccessDenied:
            return None, error_alert("This page is for administrators only.")
        except Exception:
            logger.exception("experiments list failed")
            return None, error_alert("We couldn't load the experiments. Please try again.")
        return experiments_table(rows), None

    @app.callback(
        *_form_outputs("new"),
        Output(ids.ADMIN_EXP_NEW_REDIRECT, "href"),
        Input(ids.exp_form_id("new", "submit"), "n_clicks"),
        *_form_states("new"),
        prevent_initial_call=True,
    )
    def create(n_clicks: int, *args: Any):
        if not n_clicks:
            raise PreventUpdate
        try:
            viewer = current_viewer()
            with sessions() as session:
                outcome = submit_new(session, viewer, _values(args))
        except AccessDenied:
            outcome = FormOutcome({}, "Administrators only.", False)
        except Exception:
            logger.exception("experiment create failed")
            outcome = FormOutcome({}, "We couldn't save the experiment. Please try again.", False)
        redirect = f"/admin/experiments/{outcome.key}" if outcome.ok else no_update
        return [*form_feedback_outputs(outcome), redirect]

    @app.callback(
        *[
            Output(ids.exp_form_id("edit", name), "value")
            for name in (*VALUE_FIELDS, *VARIANT_FIELDS)
        ],
        Output(ids.exp_form_id("edit", "submit"), "disabled"),
        Input(ids.ADMIN_EXP_KEY, "data"),
        Input(ids.ADMIN_EXP_VERSION, "data"),
    )
    def fill_edit_form(key: str, _version: int):
        try:
            viewer = current_viewer()
            _admin(viewer)
            with sessions() as session:
                experiment = get_experiment(session, key or "")
                if experiment is None:
                    raise PreventUpdate
                values = edit_values(experiment)
                locked = experiment.status not in ("draft", "running")
        except AccessDenied:
            raise PreventUpdate from None
        return [*(values[name] for name in (*VALUE_FIELDS, *VARIANT_FIELDS)), locked]

    @app.callback(
        *_form_outputs("edit"),
        Output(ids.ADMIN_EXP_VERSION, "data", allow_duplicate=True),
        Input(ids.exp_form_id("edit", "submit"), "n_clicks"),
        State(ids.ADMIN_EXP_KEY, "data"),
        State(ids.ADMIN_EXP_VERSION, "data"),
        *_form_states("edit"),
        prevent_initial_call=True,
    )
    def save(n_clicks: int, key: str, version: int, *args: Any):
        if not n_clicks:
            raise PreventUpdate
        try:
            viewer = current_viewer()
            with sessions() as session:
                outcome = submit_edit(session, viewer, key or "", _values(args))
        except AccessDenied:
            outcome = FormOutcome({}, "Administrators only.", False)
        except Exception:
            logger.exception("experiment update failed")
            outcome = FormOutcome({}, "We couldn't save the changes. Please try again.", False)
        return [*form_feedback_outputs(outcome), (version or 0) + 1 if outcome.ok else no_update]

    @app.callback(
        Output(ids.ADMIN_EXP_CONFIRM, "message"),
        Output(ids.ADMIN_EXP_CONFIRM, "displayed"),
        Output(ids.ADMIN_EXP_PENDING, "data"),
        Input(ids.ADMIN_EXP_START, "n_clicks"),
        Input(ids.ADMIN_EXP_STOP, "n_clicks"),
        Input(ids.ADMIN_EXP_ARCHIVE, "n_clicks"),
        prevent_initial_call=True,
    )
    def ask(_start: int, _stop: int, _archive: int):
        action = {
            ids.ADMIN_EXP_START: "start",
            ids.ADMIN_EXP_STOP: "stop",
            ids.ADMIN_EXP_ARCHIVE: "archive",
        }.get(ctx.triggered_id or "")
        if action is None or not (ctx.triggered and ctx.triggered[0].get("value")):
            raise PreventUpdate
        return ACTIONS[action][1], True, action

    @app.callback(
        Output(ids.ADMIN_EXP_ACTION_MESSAGE, "children"),
        Output(ids.ADMIN_EXP_VERSION, "data"),
        Input(ids.ADMIN_EXP_CONFIRM, "submit_n_clicks"),
        State(ids.ADMIN_EXP_PENDING, "data"),
        State(ids.ADMIN_EXP_KEY, "data"),
        State(ids.ADMIN_EXP_VERSION, "data"),
        prevent_initial_call=True,
    )
    def act(submitted: int, action: str, key: str, version: int):
        if not submitted or not action:
            raise PreventUpdate
        try:
            viewer = current_viewer()
            with sessions() as session:
                ok, message = perform_action(session, viewer, key or "", action)
        except AccessDenied:
            ok, message = False, "Administrators only."
        except Exception:
            logger.exception("experiment action failed")
            ok, message = False, "The action failed. Please try again."
        alert = dbc.Alert(
            message, color="success" if ok else "danger", dismissable=True, className="py-2"
        )
        return alert, (version or 0) + 1

    @app.callback(
        Output(ids.ADMIN_EXP_ACTION_MESSAGE, "children", allow_duplicate=True),
        Output(ids.ADMIN_EXP_REFRESH, "data", allow_duplicate=True),
        Input(ids.ADMIN_EXP_RECOMPUTE, "n_clicks"),
        State(ids.ADMIN_EXP_KEY, "data"),
        State(ids.ADMIN_EXP_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def recompute(n_clicks: int, key: str, refresh: int):
        if not n_clicks:
            raise PreventUpdate
        try:
            viewer = current_viewer()
            with sessions() as session:
                request_recompute(session, viewer, key or "", utcnow(), launcher())
        except AccessDenied:
            return error_alert("Administrators only."), no_update
        except LookupError as error:
            return error_alert(str(error)), no_update
        except Exception:
            logger.exception("experiment recompute request failed")
            return error_alert("We couldn't start the analysis. Please try again."), no_update
        return None, (refresh or 0) + 1

    @app.callback(
        Output(ids.ADMIN_EXP_REFRESH, "data", allow_duplicate=True),
        Input(ids.ADMIN_EXP_POLL, "n_intervals"),
        State(ids.ADMIN_EXP_KEY, "data"),
        State(ids.ADMIN_EXP_SHOWN, "data"),
        State(ids.ADMIN_EXP_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def poll(_ticks: int, key: str, shown: dict | None, refresh: int):
        try:
            viewer = current_viewer()
            with sessions() as session:
                moved = analysis_moved(session, viewer, key or "", shown or {})
        except AccessDenied:
            raise PreventUpdate from None
        if not moved:
            raise PreventUpdate
        return (refresh or 0) + 1

    @app.callback(
        Output(ids.ADMIN_EXP_HEADER, "children"),
        Output(ids.ADMIN_EXP_START, "disabled"),
        Output(ids.ADMIN_EXP_STOP, "disabled"),
        Output(ids.ADMIN_EXP_ARCHIVE, "disabled"),
        Output(ids.ADMIN_EXP_STATUS, "children"),
        Output(ids.ADMIN_EXP_SRM, "children"),
        Output(ids.ADMIN_EXP_POWER, "children"),
        Output(ids.ADMIN_EXP_METRICS, "children"),
        Output(ids.ADMIN_EXP_FOREST, "figure"),
        Output(ids.ADMIN_EXP_CUMULATIVE, "figure"),
        Output(ids.ADMIN_EXP_CUMULATIVE_METRIC, "value"),
        Output(ids.ADMIN_EXP_FRESHNESS, "children"),
        Output(ids.ADMIN_EXP_RECOMPUTE, "disabled"),
        Output(ids.ADMIN_EXP_POLL, "disabled"),
        Output(ids.ADMIN_EXP_SHOWN, "data"),
        Input(ids.ADMIN_EXP_KEY, "data"),
        Input(ids.ADMIN_EXP_VERSION, "data"),
        Input(ids.ADMIN_EXP_REFRESH, "data"),
        Input(ids.ADMIN_EXP_CUMULATIVE_METRIC, "value"),
    )
    def update_results(key: str, _version: int, _refresh: int, metric: str | None):
        blank: go.Figure = empty_figure("")
        failure = [None, True, True, True]
        try:
            viewer = current_viewer()
            with sessions() as session:
                return results_outputs(
                    session, viewer, key or "", metric, utcnow(), currency, launcher()
                )
        except AccessDenied:
            message = "This page is for administrators only."
        except LookupError as error:
            message = str(error)
        except Exception:
            logger.exception("experiment results failed")
            message = "We couldn't compute the results. Please try again."
        return [
            *failure,
            error_alert(message),
            None,
            None,
            None,
            blank,
            blank,
            no_update,
            None,
            True,
            True,
            no_update,
        ]
