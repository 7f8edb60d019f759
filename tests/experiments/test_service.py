"""The experiment service: validation, lifecycle and the audit trail (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.db import utcnow
from data.experiments import (
    ExperimentError,
    VariantInput,
    archive_experiment,
    create_experiment,
    experiment_summaries,
    get_experiment,
    record_exposure,
    start_experiment,
    sticky_variant,
    stop_experiment,
    update_experiment,
    validate_form,
)
from data.models import AuditLog, Experiment
from tests.experiments.helpers import ACTOR, form


def test_create_stores_a_draft_with_control_first_and_audits(session: Session) -> None:
    experiment = create_experiment(session, form(), ACTOR)
    session.commit()
    stored = get_experiment(session, "cover-test")
    assert stored is not None
    assert stored.status == "draft"
    assert [(v.key, v.weight, v.is_control) for v in stored.variants] == [
        ("control", 50.0, True),
        ("bright", 50.0, False),
    ]
    assert len(stored.salt) == 16
    audit = session.scalars(select(AuditLog)).one()
    assert (audit.action, audit.target_id, audit.actor_label) == (
        "experiment.create",
        experiment.key,
        "tests",
    )
    assert audit.details["new"]["goal_metrics"] == ["unlock_conversion"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key": "Bad Key!"}, "key"),
        ({"name": "  "}, "name"),
        ({"variants": (VariantInput("control", "C", 100),)}, "variants"),
        (
            {"variants": (VariantInput("a", "A", 60), VariantInput("b", "B", 30))},
            "weights",
        ),
        (
            {"variants": (VariantInput("a", "A", 50), VariantInput("a", "B", 50))},
            "variant-1",
        ),
        ({"variants": (VariantInput("a", "A", None), VariantInput("b", "B", 50))}, "weights"),
        ({"goal_metrics": ()}, "goal_metrics"),
        ({"goal_metrics": ("nope",)}, "goal_metrics"),
        ({"guardrail_metrics": ("unlock_conversion",)}, "guardrail_metrics"),
        ({"engine": "magic"}, "engine"),
        ({"traffic_percent": 0}, "traffic_percent"),
        ({"traffic_percent": 120}, "traffic_percent"),
        ({"conversion_window_days": 0}, "conversion_window_days"),
        ({"conversion_window_days": 2.5}, "conversion_window_days"),
    ],
)
def test_invalid_forms_name_the_field_and_store_nothing(
    session: Session, changes: dict, field: str
) -> None:
    with pytest.raises(ExperimentError) as raised:
        create_experiment(session, form(**changes), ACTOR)
    assert field in raised.value.field_errors
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Experiment)) == 0
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_duplicate_key_is_refused(session: Session) -> None:
    create_experiment(session, form(), ACTOR)
    session.commit()
    errors = validate_form(session, form())
    assert "already exists" in errors["key"]


def test_lifecycle_and_transitions_are_audited(session: Session) -> None:
    create_experiment(session, form(), ACTOR)
    with pytest.raises(ExperimentError, match="running"):
        stop_experiment(session, "cover-test", ACTOR)
    started = start_experiment(session, "cover-test", ACTOR)
    assert started.status == "running"
    assert started.started_at is not None
    with pytest.raises(ExperimentError):
        archive_experiment(session, "cover-test", ACTOR)
    stop_experiment(session, "cover-test", ACTOR)
    archive_experiment(session, "cover-test", ACTOR)
    session.commit()
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == [
        "experiment.create",
        "experiment.start",
        "experiment.stop",
        "experiment.archive",
    ]
    with pytest.raises(ExperimentError, match="cannot be edited"):
        update_experiment(session, "cover-test", form(), ACTOR)
    with pytest.raises(ExperimentError, match="no experiment"):
        start_experiment(session, "missing", ACTOR)


def test_update_records_old_and_new_values(session: Session) -> None:
    create_experiment(session, form(), ACTOR)
    update_experiment(session, "cover-test", form(traffic_percent=40, name="Cover v2"), ACTOR)
    session.commit()
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "experiment.update")).one()
    assert audit.details["changes"] == {
        "name": ["New cover", "Cover v2"],
        "traffic_percent": [100.0, 40.0],
    }


def test_running_experiment_may_reweight_but_not_change_variant_keys(session: Session) -> None:
    create_experiment(session, form(), ACTOR)
    start_experiment(session, "cover-test", ACTOR)
    renamed = (VariantInput("control", "C", 50), VariantInput("dark", "D", 50))
    with pytest.raises(ExperimentError) as raised:
        update_experiment(session, "cover-test", form(variants=renamed), ACTOR)
    assert "variants" in raised.value.field_errors
    reweighted = (VariantInput("control", "C", 80), VariantInput("bright", "B", 20))
    experiment = update_experiment(session, "cover-test", form(variants=reweighted), ACTOR)
    assert [v.weight for v in experiment.variants] == [80.0, 20.0]


def test_exposures_are_first_wins_and_counted_in_the_list(session: Session) -> None:
    experiment = create_experiment(session, form(), ACTOR)
    start_experiment(session, "cover-test", ACTOR)
    now = utcnow()
    assert record_exposure(session, experiment.id, "u1", "bright", now) is True
    assert record_exposure(session, experiment.id, "u1", "bright", now) is False
    record_exposure(session, experiment.id, "u2", "control", now)
    session.commit()
    assert sticky_variant(session, experiment.id, "u1") == "bright"
    assert sticky_variant(session, experiment.id, "nobody") is None
    (summary,) = experiment_summaries(session)
    assert summary.exposed == {"bright": 1, "control": 1}
    assert summary.variants == [("control", 50.0), ("bright", 50.0)]
