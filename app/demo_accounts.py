"""The demo accounts hint on the sign-in page (development only).

``flask demo seed`` writes ``instance/demo_accounts.json`` in development; the sign-in page
shows it only while ``APP_ENV=development``. Nothing here runs in production.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

HINT_FILE = "demo_accounts.json"


def write_demo_hint(instance_path: str | Path, accounts: list[dict[str, str]]) -> Path:
    """Store ``[{email, password, label}]`` for the sign-in page; returns the file path."""
    path = Path(instance_path) / HINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(accounts, indent=2))
    path.chmod(0o600)
    return path


def load_demo_hint(app: Flask) -> list[dict[str, str]] | None:
    """The stored hint, or ``None`` outside development or when there is none."""
    if app.config.get("APP_ENV") != "development":
        return None
    path = Path(app.config["INSTANCE_PATH"]) / HINT_FILE
    try:
        accounts = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return accounts if isinstance(accounts, list) else None
