"""The shared test infrastructure works: migrated databases on both backends, the throwaway
PostgreSQL server, and browser tests in headless Chromium (see tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.orm import Session

from tests import postgres

if TYPE_CHECKING:
    from dash.testing.composite import DashComposite


def test_schema_at_head(db_url: str, engine: Engine, session: Session) -> None:
    """``db_url`` is a fresh database holding every model's table, empty, at the head revision."""
    from alembic.script import ScriptDirectory

    import data.models  # noqa: F401  (registers every table on Base.metadata)
    from data.db import Base
    from data.migrate import alembic_config, current_revision

    expected_backend = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    assert engine.dialect.name == expected_backend
    assert session.get_bind() is engine

    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables

    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert current_revision(db_url) == head

    for name in sorted(Base.metadata.tables):
        count = session.execute(select(func.count()).select_from(table(name))).scalar_one()
        assert count == 0, f"table {name} is not empty"


def test_postgres_fixture(postgres_server: str) -> None:
    """The throwaway server answers on 127.0.0.1 as superuser, tuned for speed."""
    engine = create_engine(postgres_server)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar() == "postgres"
            assert connection.execute(text("SELECT inet_server_addr()")).scalar() is not None
            assert int(connection.execute(text("SHOW server_version_num")).scalar_one()) >= 130000
            assert connection.execute(text("SHOW fsync")).scalar() == "off"
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "off"
            assert connection.execute(text("SELECT 6 * 7")).scalar() == 42
    finally:
        engine.dispose()


def test_drop_database_disconnects_sessions(postgres_cluster: postgres.PostgresCluster) -> None:
    """``drop_database`` succeeds while a session is still connected (tests may leak one)."""
    postgres.create_database(postgres_cluster, "legato_drop_check")
    leaked = psycopg.connect(postgres_cluster.conninfo("legato_drop_check"))
    try:
        leaked.execute("SELECT 1")
        postgres.drop_database(postgres_cluster, "legato_drop_check")
    finally:
        leaked.close()
    with psycopg.connect(postgres_cluster.conninfo()) as admin:
        names = [row[0] for row in admin.execute("SELECT datname FROM pg_database")]
    assert "legato_drop_check" not in names


def test_start_cluster_explains_missing_binaries(tmp_path: Path) -> None:
    """A directory without PostgreSQL's programs gives a clear, typed error and leaves nothing."""
    with pytest.raises(postgres.PostgresUnavailable, match="initdb and pg_ctl not found"):
        postgres.start_cluster(bin_dir=tmp_path)


def test_tests_are_isolated_from_the_shell(tmp_path: Path) -> None:
    """No test sees the developer's database or instance folder."""
    assert os.environ["APP_ENV"] == "test"
    assert "DATABASE_URL" not in os.environ
    assert Path(os.environ["INSTANCE_PATH"]).parent == tmp_path


def test_browser_runs(dash_duo: DashComposite) -> None:
    """A Dash callback round-trips through a real headless Chromium."""
    from dash import Dash, Input, Output, html

    app = Dash(__name__)
    app.layout = html.Div([html.Button("Add one", id="add", n_clicks=0), html.Div(id="count")])

    @app.callback(Output("count", "children"), Input("add", "n_clicks"))
    def show_count(clicks: int) -> str:
        return f"clicked {clicks} times"

    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal("#count", "clicked 0 times")
    button = dash_duo.find_element("#add")
    button.click()
    button.click()
    dash_duo.wait_for_text_to_equal("#count", "clicked 2 times")

    user_agent = dash_duo.driver.execute_script("return navigator.userAgent")
    headed = os.environ.get("LEGATO_BROWSER_HEADED", "").lower() in ("1", "true", "yes", "on")
    if not headed:
        assert "HeadlessChrome" in user_agent
    assert dash_duo.get_logs() == []
