"""Per-request context that code deep in a call may need (logs, audit)."""

from collections.abc import Callable
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
# A callable rather than the user itself: the middleware that sets it runs before
# AuthenticationMiddleware, and login()/logout() change request.user during the request.
user_source: ContextVar[Callable[[], object] | None] = ContextVar("user_source", default=None)


def current_user():
    """The authenticated user of the current request, or None (anonymous, no request)."""
    source = user_source.get()
    user = source() if source is not None else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user
