import ipaddress
import re
import uuid

from django.conf import settings

from gridgov.core import context

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or behind our reverse proxy the first X-Forwarded-For hop.

    X-Forwarded-For is trusted only when the deployment says it is behind a proxy
    (GRIDGOV_BEHIND_PROXY sets SECURE_PROXY_SSL_HEADER); that proxy must set the
    header, not append to one a client sent.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        first = _valid_ip(forwarded.split(",")[0]) if forwarded else None
        if first:
            return first
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


class RequestIdMiddleware:
    """Give every request an id (or keep the proxy's X-Request-ID) for logs and audit, and
    make the client address and the user available to the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        tokens = (
            (context.request_id, context.request_id.set(request.id)),
            (context.client_ip, context.client_ip.set(client_ip(request))),
            (context.user_source, context.user_source.set(lambda: getattr(request, "user", None))),
        )
        try:
            response = self.get_response(request)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)
        response["X-Request-ID"] = request.id
        return response
