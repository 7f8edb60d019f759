"""Settings read from the environment.

``load_config(environ, overrides)`` is the only place that reads environment variables.
It returns a plain dict that ``create_app`` puts into ``Flask.config``. Every setting is
documented in the README's configuration table; keep the two in step.

Contract:
- ``APP_ENV`` is ``development`` (default), ``test`` or ``production``.
- In production a missing ``SECRET_KEY`` raises :class:`ConfigError`; in development and
  test a key is generated once and kept in ``instance/secret_key`` (mode 0600) so sessions
  survive restarts.
- ``DATABASE_URL`` defaults to a SQLite file ``instance/legato.db``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"
VALID_ENVS = ("development", "test", "production")
VALID_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names the variable."""


def _as_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _as_int(name: str, raw: str, minimum: int, maximum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _rate_limit(raw: str) -> str:
    """A limits-syntax rate limit such as ``100/second;3000/minute`` (empty: no limit)."""
    value = raw.strip()
    if value:
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f"INGEST_RATE_LIMIT must look like '100/second;3000/minute', got {raw!r}"
            ) from None
    return value


def _webhook_url(raw: str) -> str | None:
    """``ALERTS_WEBHOOK_URL``: an absolute ``http://`` or ``https://`` URL with a host, or
    empty (``None``: no webhook)."""
    value = raw.strip()
    if not value:
        return None
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        # The value is not echoed: webhook URLs often carry a token.
        raise ConfigError(
            "ALERTS_WEBHOOK_URL must be an http:// or https:// URL with a host, such as "
            "https://hooks.example.com/legato"
        )
    return value


def _development_secret(instance_path: Path) -> str:
    """Return the secret kept under ``instance/``, creating it on first use."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Build the settings dict from ``environ`` (default ``os.environ``) and ``overrides``.

    ``overrides`` win over the environment (tests pass their own database URL this way).
    Raises :class:`ConfigError` for an invalid value or a missing production secret.
    """
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})

    app_env = overrides.get("APP_ENV", env.get("APP_ENV", "development"))
    if app_env not in VALID_ENVS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(VALID_ENVS)}, got {app_env!r}")
    instance_path = Path(
        overrides.get("INSTANCE_PATH", env.get("INSTANCE_PATH", DEFAULT_INSTANCE_PATH))
    )

    secret = overrides.get("SECRET_KEY", env.get("SECRET_KEY", ""))
    if not secret:
        if app_env == "production":
            raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
        secret = _development_secret(instance_path)

    log_level = str(overrides.get("LOG_LEVEL", env.get("LOG_LEVEL", "INFO"))).upper()
    if log_level not in VALID_LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(VALID_LOG_LEVELS)}")

    production = app_env == "production"
    webhook_url = _webhook_url(env.get("ALERTS_WEBHOOK_URL", ""))
    webhook_secret = env.get("ALERTS_WEBHOOK_SECRET", "").strip() or None
    if webhook_secret and webhook_url is None:
        raise ConfigError("ALERTS_WEBHOOK_SECRET is set but ALERTS_WEBHOOK_URL is not")
    config: dict[str, Any] = {
        "APP_ENV": app_env,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": secret,
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'legato.db'}",
        "PORT": _as_int("PORT", env.get("PORT", "8050"), 1, 65535),
        "LOG_LEVEL": log_level,
        "JOBS_IN_PROCESS": _as_bool("JOBS_IN_PROCESS", env.get("JOBS_IN_PROCESS", "false")),
        "LOGIN_MAX_FAILURES": _as_int(
            "LOGIN_MAX_FAILURES", env.get("LOGIN_MAX_FAILURES", "5"), 1, 1000
        ),
        "LOGIN_FAILURE_WINDOW_SECONDS": _as_int(
            "LOGIN_FAILURE_WINDOW_SECONDS",
            env.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"),
            10,
            86400,
        ),
        "REPORTING_CURRENCY": env.get("REPORTING_CURRENCY", "USD").upper(),
        # Ingest API: per-write-key request limits (Flask-Limiter/limits syntax, ";"-separated),
        # their storage (memory:// per process; redis://… shared), and how far in the future
        # an event's corrected timestamp may be.
        "INGEST_RATE_LIMIT": _rate_limit(env.get("INGEST_RATE_LIMIT", "100/second")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI")
        or env.get("REDIS_URL")
        or "memory://",
        "INGEST_MAX_FUTURE_SECONDS": _as_int(
            "INGEST_MAX_FUTURE_SECONDS", env.get("INGEST_MAX_FUTURE_SECONDS", "3600"), 0, 7 * 86400
        ),
        # Scale-out: empty = jobs in-process (APScheduler, console threads) and Dash background
        # callbacks (exports) in local processes + diskcache. A broker URL (redis://…) sends
        # both to Celery workers, with beat for the job schedule (app/background.py,
        # app/celery_app.py); the result backend defaults to the broker. REDIS_URL is not
        # used as a fallback: setting it for shared rate limits must not move the jobs.
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL", "").strip(),
        "CELERY_RESULT_BACKEND": env.get("CELERY_RESULT_BACKEND", "").strip(),
        # Alerts job: POST new alerts to this URL (empty: no webhook), signed with
        # HMAC-SHA256 when a secret is set (app/jobs/alerts.py).
        "ALERTS_WEBHOOK_URL": webhook_url,
        "ALERTS_WEBHOOK_SECRET": webhook_secret,
        # Cookies: HttpOnly + SameSite=Lax always, Secure in production (HTTPS only).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        # CSRF: flask-wtf checks the form field on /login and the X-CSRFToken header that
        # the Dash renderer copies from the _csrf_token cookie on every callback request.
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SHOW_DEMO_CREDENTIALS": app_env == "development",
    }
    config.update(overrides)
    return config
