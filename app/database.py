"""The database handle a Flask app carries: one Engine and one session factory.

``init_database(app)`` creates them from ``DATABASE_URL`` and stores a ``Database`` in
``app.extensions``; ``get_database()`` returns the current app's. Request code opens a
session with ``with get_database().session() as session:`` and commits explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_session_factory

EXTENSION_KEY = "legato.database"


@dataclass(frozen=True)
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        """A new session; use it as a context manager so it is always closed."""
        return self.sessions()


def init_database(app: Flask) -> Database:
    """Create the engine for ``app.config['DATABASE_URL']`` and attach it to ``app``."""
    engine = make_engine(app.config["DATABASE_URL"])
    database = Database(engine=engine, sessions=make_session_factory(engine))
    app.extensions[EXTENSION_KEY] = database
    return database


def get_database(app: Flask | None = None) -> Database:
    """The ``Database`` of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION_KEY]
