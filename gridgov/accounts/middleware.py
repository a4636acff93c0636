"""Session rules: idle timeout, absolute lifetime, expired passwords, second factor."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

LOGIN_AT = "gridgov_login_at"
SEEN_AT = "gridgov_seen_at"
# Refresh the "last seen" time at most this often (a session write per request is waste).
SEEN_RESOLUTION = 60

# Pages a user with an expired password may still reach.
OPEN_PATHS = ("/account/password/", "/logout/", "/static/", "/i18n/", "/healthz")


def mark_login(request) -> None:
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and LOGIN_AT in request.session:
            refused = self.check(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def check(self, request):
        now = int(time.time())
        session = request.session
        login_at = session.get(LOGIN_AT, now)
        seen_at = session.get(SEEN_AT, now)
        if now - login_at > settings.SESSION_COOKIE_AGE:
            return self.end(
                request,
                _("登录已超过 %(h)d 小时，请重新登录") % {"h": settings.SESSION_COOKIE_AGE // 3600},
            )
        if now - seen_at > settings.SESSION_IDLE_SECONDS:
            return self.end(request, _("长时间未操作，已自动退出，请重新登录"))
        if now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        from gridgov.accounts.actions import password_expired

        if password_expired(request.user) and not request.path.startswith(OPEN_PATHS):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("密码已过期，请先修改密码"), "code": "password_expired"},
                    status=403,
                )
            return redirect("password_change")
        return None

    @staticmethod
    def end(request, message: str):
        from gridgov.core import audit
        from gridgov.core.audit import AuditKind

        audit.record(
            AuditKind.LOGOUT, actor=request.user, target=request.user, detail={"reason": "timeout"}
        )
        logout(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "session_expired"}, status=401)
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())
