"""Flask CLI commands: ``flask --app app <group> <command>``.

- ``db upgrade`` / ``db current``: Alembic migrations.
- ``users create`` / ``users list``: dashboard accounts.
- ``keys create`` / ``keys list`` / ``keys revoke``: API keys (a new key is printed alone on
  the last line of stdout, so scripts can capture it with ``tail -n 1``).
- ``demo seed``: the deterministic demo platform and demo accounts.
- ``jobs list`` / ``jobs run NAME`` / ``jobs worker``: background jobs (``worker``: a Celery
  worker with beat when ``CELERY_BROKER_URL`` is set, else the in-process scheduler).

Bad input ends with a one-line error on stderr and a non-zero exit status.
"""

from __future__ import annotations

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.auth.accounts import AccountError, create_user
from app.auth.api_keys import ApiKeyError, create_api_key, revoke_api_key
from app.database import get_database
from app.demo_accounts import write_demo_hint
from data.migrate import current_revision, upgrade
from data.models import ApiKey, User

db_group = AppGroup("db", help="Create or upgrade the database schema.")
users_group = AppGroup("users", help="Manage dashboard accounts.")
keys_group = AppGroup("keys", help="Manage API keys.")
demo_group = AppGroup("demo", help="The demo platform.")
jobs_group = AppGroup("jobs", help="Background jobs.")

SCHEMA_MISSING = "the database has no schema yet; run 'flask --app app db upgrade' first"


def _session():
    return get_database().session()


def _fail_on_missing_schema(error: Exception) -> None:
    raise click.ClickException(f"{SCHEMA_MISSING} ({type(error).__name__})") from error


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create the database or upgrade it to the newest schema."""
    url = current_app.config["DATABASE_URL"]
    upgrade(url)
    click.echo(f"database at revision {current_revision(url)}")


@db_group.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    click.echo(current_revision(current_app.config["DATABASE_URL"]) or "unversioned (empty)")


@users_group.command("create")
@click.option("--email", required=True, help="Sign-in email.")
@click.option("--role", type=click.Choice(["admin", "writer"]), required=True)
@click.option("--writer-id", type=int, default=None, help="Writer id (writer accounts).")
@click.option("--display-name", default="", help="Name shown in the app.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password (prompted when omitted; at least 10 characters).",
)
def users_create(
    email: str, role: str, writer_id: int | None, display_name: str, password: str
) -> None:
    """Create a dashboard account."""
    try:
        with _session() as session:
            user = create_user(
                session,
                email=email,
                password=password,
                role=role,
                writer_id=writer_id,
                display_name=display_name,
            )
            session.commit()
            click.echo(f"created {user.role} account {user.email} (id {user.id})")
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    except (OperationalError, ProgrammingError) as error:
        _fail_on_missing_schema(error)


@users_group.command("list")
def users_list() -> None:
    """List dashboard accounts."""
    try:
        with _session() as session:
            users = session.scalars(select(User).order_by(User.id)).all()
    except (OperationalError, ProgrammingError) as error:
        _fail_on_missing_schema(error)
    for user in users:
        state = "active" if user.is_active else "disabled"
        writer = f" writer={user.writer_id}" if user.writer_id else ""
        click.echo(f"{user.id}\t{user.email}\t{user.role}{writer}\t{state}")


@keys_group.command("create")
@click.option("--name", required=True, help="What the key is for.")
@click.option("--kind", type=click.Choice(["write", "read"]), default="write", show_default=True)
@click.option("--source", default=None, help="Write keys: the event source they send as.")
@click.option("--writer-id", type=int, default=None, help="Read keys: limit to one writer.")
def keys_create(name: str, kind: str, source: str | None, writer_id: int | None) -> None:
    """Create an API key and print it once (alone on the last line)."""
    try:
        with _session() as session:
            key, plaintext = create_api_key(
                session, name=name, kind=kind, source=source, writer_id=writer_id
            )
            session.commit()
            scope = (
                f"source={key.source}"
                if kind == "write"
                else (f"writer={key.writer_id}" if key.writer_id else "platform")
            )
            click.echo(f"created {kind} key {key.id} '{key.name}' ({scope}); store it now:")
            click.echo(plaintext)
    except ApiKeyError as error:
        raise click.ClickException(str(error)) from error
    except (OperationalError, ProgrammingError) as error:
        _fail_on_missing_schema(error)


@keys_group.command("list")
def keys_list() -> None:
    """List API keys (prefixes only; keys are never shown again)."""
    try:
        with _session() as session:
            keys = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
    except (OperationalError, ProgrammingError) as error:
        _fail_on_missing_schema(error)
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        scope = key.source if key.kind == "write" else (key.writer_id or "platform")
        click.echo(f"{key.id}\t{key.kind}\t{key.prefix}…\t{key.name}\t{scope}\t{state}")


@keys_group.command("revoke")
@click.argument("key_id", type=int)
def keys_revoke(key_id: int) -> None:
    """Revoke an API key by id."""
    try:
        with _session() as session:
            key = revoke_api_key(session, key_id)
            session.commit()
            click.echo(f"revoked key {key.id} '{key.name}'")
    except ApiKeyError as error:
        raise click.ClickException(str(error)) from error
    except (OperationalError, ProgrammingError) as error:
        _fail_on_missing_schema(error)


@demo_group.command("seed")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
@click.option(
    "--scale",
    type=click.FloatRange(0.001, 20.0),
    default=1.0,
    show_default=True,
    help="1.0 ≈ 1M events; 10 ≈ 10M.",
)
@click.option("--days", type=click.IntRange(7, 730), default=180, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data is already there.")
def demo_seed(seed: int, scale: float, days: int, if_empty: bool) -> None:
    """Generate the demo platform and the demo accounts."""
    from data.demo import demo_platform_present, generate_demo_platform

    database = get_database()
    try:
        with database.session() as session:
            present = demo_platform_present(session)
    except (OperationalError, ProgrammingError) as error:
        _fail_on_missing_schema(error)
    if present:
        if if_empty:
            click.echo("demo platform already present; nothing to do")
            _print_demo_accounts(current_app, database)
            return
        raise click.ClickException(
            "demo data is already present; use a fresh database (or --if-empty to skip)"
        )
    started = time.perf_counter()
    with database.session() as session:
        summary = generate_demo_platform(session, seed=seed, scale=scale, days=days)
        session.commit()
    click.echo(
        f"demo platform: {summary.writers} writers, {summary.stories} stories, "
        f"{summary.chapters:,} chapters, {summary.readers:,} readers, "
        f"{summary.events:,} events in {time.perf_counter() - started:.1f}s "
        f"({summary.events_per_second:,.0f} events/s)"
    )
    _print_demo_accounts(current_app, database)


def _print_demo_accounts(app: Flask, database) -> None:
    from data.demo import create_demo_accounts

    with database.session() as session:
        accounts = create_demo_accounts(session)
        session.commit()
    if app.config["APP_ENV"] != "development":
        click.echo("demo accounts exist; their passwords are shown in development only")
        return
    hint = [
        {
            "email": email,
            "password": password,
            "label": f"{role}" + (f" (writer {wid})" if wid else ""),
        }
        for email, password, role, wid in accounts
    ]
    write_demo_hint(app.config["INSTANCE_PATH"], hint)
    app.config["DEMO_ACCOUNTS_HINT"] = hint
    click.echo("demo accounts (development only):")
    for account in hint:
        click.echo(f"  {account['email']:<24} {account['password']:<20} {account['label']}")


@jobs_group.command("list")
def jobs_list() -> None:
    """List the jobs and their schedules."""
    from app.jobs.registry import JOBS

    for spec in JOBS.values():
        click.echo(f"{spec.name}\tevery {spec.interval_seconds}s\t{spec.description}")


@jobs_group.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run one job now and wait for it."""
    from app.jobs.registry import JOBS, JobSettings
    from app.jobs.runner import JobLocked, run_job

    if name not in JOBS:
        raise click.ClickException(f"unknown job '{name}'; known jobs: {', '.join(JOBS)}")
    try:
        result = run_job(
            get_database().sessions,
            name,
            trigger="cli",
            settings=JobSettings.from_config(current_app.config),
        )
    except JobLocked as error:
        raise click.ClickException(str(error)) from error
    except (OperationalError, ProgrammingError) as error:
        _fail_on_missing_schema(error)
    click.echo(
        f"job {name} {result.status}: {result.rows_written:,} rows in {result.seconds:.2f}s"
        + (f" — {result.error}" if result.error else "")
    )
    if result.status != "succeeded":
        sys.exit(1)


@jobs_group.command("worker")
@click.option(
    "--beat/--no-beat",
    default=None,
    help="Celery: also run the beat scheduler in this worker (default: on). Run one beat "
    "per deployment; start further workers with --no-beat.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=None,
    help="Celery: worker processes or threads (default: the number of CPUs).",
)
@click.option(
    "--pool",
    type=click.Choice(["prefork", "threads", "solo"]),
    default=None,
    help="Celery: the execution pool (default: prefork).",
)
def jobs_worker(beat: bool | None, concurrency: int | None, pool: str | None) -> None:
    """Run the jobs in the foreground (the Procfile's worker): a Celery worker (with beat)
    when CELERY_BROKER_URL is set, else the in-process scheduler."""
    from app.background import CELERY_EXTENSION_KEY

    server = current_app._get_current_object()
    celery_app = server.extensions.get(CELERY_EXTENSION_KEY)
    if celery_app is None:
        if beat is not None or concurrency is not None or pool is not None:
            raise click.ClickException(
                "--beat, --concurrency and --pool are Celery worker options; set "
                "CELERY_BROKER_URL to run jobs on Celery (without it the in-process "
                "scheduler runs every job)"
            )
        from app.jobs.scheduler import run_worker

        run_worker(server)
        return
    from app.celery_app import run_celery_worker

    run_celery_worker(
        celery_app,
        beat=beat is not False,
        concurrency=concurrency,
        pool=pool,
        loglevel=server.config["LOG_LEVEL"],
    )


def register_cli(app: Flask) -> None:
    """Add the command groups to ``app``."""
    for group in (db_group, users_group, keys_group, demo_group, jobs_group):
        app.cli.add_command(group)


__all__ = ["register_cli"]
