"""Per-request context that code deep in a call may need (logs, audit)."""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
