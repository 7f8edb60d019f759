"""Domain errors of the ingest API and the two JSON error envelopes.

Every refusal is an :class:`IngestError` carrying the HTTP status, a stable machine
``code``, a human ``message`` that names the rule (and the limit, when there is one), and,
for validation failures, the exact field errors. The views render it as the native
envelope ``{"error": {"status", "code", "message", "errors"?}}`` (the same shape as the
app's other JSON errors) or, on the Segment-compatible routes, as Segment's flat
``{"code", "message", "errors"?}`` that its SDKs read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field; ``field`` is its path, e.g. ``batch[3].properties.percent``."""

    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(eq=False)
class IngestError(Exception):
    """A request the API refuses: HTTP ``status``, machine ``code``, human ``message``.

    ``retry_after`` (seconds) is sent as the ``Retry-After`` header (429 and 503)."""

    status: int
    code: str
    message: str
    errors: list[FieldError] = field(default_factory=list)
    retry_after: int | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def native_body(self) -> dict[str, Any]:
        """The native API envelope."""
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = [error.as_json() for error in self.errors]
        return {"error": body}

    def segment_body(self) -> dict[str, Any]:
        """Segment's envelope (its SDKs read ``code`` and ``message``)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = [error.as_json() for error in self.errors]
        return body


def unauthorized(message: str) -> IngestError:
    return IngestError(401, "unauthorized", message)


def unavailable(message: str, retry_after: int = 1) -> IngestError:
    return IngestError(503, "unavailable", message, retry_after=retry_after)
