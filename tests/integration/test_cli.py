"""CLI commands: good input works, bad input gives a clear message and a non-zero exit."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.auth.api_keys import find_active_key
from app.database import get_database
from data.models import ApiKey, JobRun, User


def test_db_current_reports_head(runner, app: Flask) -> None:
    from alembic.script import ScriptDirectory

    from data.migrate import alembic_config

    head = ScriptDirectory.from_config(
        alembic_config(app.config["DATABASE_URL"])
    ).get_current_head()
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0
    assert result.output.strip() == head


def test_create_writer_account(runner, app: Flask) -> None:
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "New@Example.com",
            "--role",
            "writer",
            "--writer-id",
            "2",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    with get_database(app).session() as session:
        user = session.scalar(select(User).where(User.email == "new@example.com"))
        assert user is not None
        assert user.writer_id == 2
        assert user.password_hash.startswith("scrypt:")


def test_bad_user_input_fails_clearly(runner) -> None:
    cases = [
        (["--email", "not-an-email", "--role", "admin"], "not a valid email address"),
        (["--email", "x@example.com", "--role", "writer"], "needs --writer-id"),
        (
            ["--email", "x@example.com", "--role", "writer", "--writer-id", "99"],
            "no writer with id 99",
        ),
        (
            ["--email", "x@example.com", "--role", "admin", "--writer-id", "1"],
            "not linked to a writer",
        ),
        (["--email", "ada@example.com", "--role", "admin"], "already exists"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=["users", "create", *extra, "--password", "long-enough-pw"])
        assert result.exit_code != 0, extra
        assert message in result.output, (extra, result.output)
    short = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "y@example.com",
            "--role",
            "admin",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0
    assert "at least 10 characters" in short.output
    bad_role = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "y@example.com",
            "--role",
            "owner",
            "--password",
            "x" * 12,
        ]
    )
    assert bad_role.exit_code == 2
    assert "'owner' is not one of" in bad_role.output


def test_create_key_prints_it_alone_on_the_last_line(runner, app: Flask) -> None:
    result = runner.invoke(args=["keys", "create", "--name", "iOS app", "--source", "ios"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    assert plaintext.startswith("lgw_")
    assert " " not in plaintext
    with get_database(app).session() as session:
        key = find_active_key(session, plaintext, "write")
        assert key is not None
        assert key.source == "ios"
        stored = session.scalar(select(ApiKey).where(ApiKey.id == key.id))
        assert plaintext not in (stored.key_hash, stored.prefix)
        assert find_active_key(session, plaintext, "read") is None
    revoke = runner.invoke(args=["keys", "revoke", str(key.id)])
    assert revoke.exit_code == 0
    with get_database(app).session() as session:
        assert find_active_key(session, plaintext, "write") is None
    listing = runner.invoke(args=["keys", "list"])
    assert "revoked" in listing.output
    assert plaintext not in listing.output


def test_bad_key_input_fails_clearly(runner) -> None:
    cases = [
        (["keys", "create", "--name", "x"], "needs --source"),
        (["keys", "create", "--name", "x", "--source", "Bad Source!"], "needs --source"),
        (["keys", "create", "--name", " ", "--source", "ios"], "needs a name"),
        (
            ["keys", "create", "--name", "x", "--kind", "read", "--writer-id", "42"],
            "no writer with id 42",
        ),
        (["keys", "create", "--name", "x", "--kind", "read", "--source", "ios"], "omit --source"),
        (["keys", "revoke", "12345"], "no API key with id 12345"),
        (["keys", "revoke", "abc"], "'abc' is not a valid integer"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)


def test_run_job_once_and_unknown_job(runner, app: Flask) -> None:
    result = runner.invoke(args=["jobs", "run", "rollups"])
    assert result.exit_code == 0, result.output
    assert "job rollups succeeded" in result.output
    with get_database(app).session() as session:
        run = session.scalar(select(JobRun).order_by(JobRun.id.desc()))
        assert run.status == "succeeded"
        assert run.finished_at is not None
    unknown = runner.invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code != 0
    assert "unknown job 'nope'" in unknown.output


def test_commands_on_an_empty_database_explain_what_to_do(tmp_path) -> None:
    from app import create_app

    bare = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "k",
            "LOG_LEVEL": "WARNING",
        }
    )
    result = bare.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code != 0
    assert "db upgrade" in result.output


def test_rollup_job_reports_in_the_configured_currency(tmp_path, sqlite_url: str) -> None:
    """The rollup job counts revenue in REPORTING_CURRENCY (events in other currencies add
    nothing to revenue), whether run from the CLI or the scheduler (same settings)."""
    from datetime import datetime

    from data.models import Writer, WriterDaily
    from data.writes import insert_events
    from tests.integration.conftest import make_test_app

    def load(session) -> None:
        session.add(Writer(id=1, handle="w", display_name="W", joined_at=datetime(2026, 1, 1)))
        at = datetime(2026, 3, 2, 9)
        insert_events(
            session,
            [
                {
                    "source": "t",
                    "message_id": f"tip-{currency}",
                    "event_type": "tip",
                    "event_name": "tip",
                    "writer_id": 1,
                    "occurred_at": at,
                    "received_at": at,
                    "revenue_minor": amount,
                    "currency": currency,
                }
                for currency, amount in (("EUR", 700), ("USD", 300))
            ],
        )
        session.commit()

    flask_app = make_test_app(sqlite_url, tmp_path, load)
    flask_app.config["REPORTING_CURRENCY"] = "EUR"
    result = flask_app.test_cli_runner().invoke(args=["jobs", "run", "rollups"])
    assert result.exit_code == 0, result.output
    with get_database(flask_app).session() as session:
        daily = session.scalars(select(WriterDaily)).one()
        assert (daily.tips, daily.revenue_tip_minor) == (2, 700)
