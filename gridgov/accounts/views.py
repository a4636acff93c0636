"""Login in two steps (password, then a one-time code where the posts require it),
logout, password change, and the account page."""

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    get_user_model,
    login,
    logout,
    update_session_auth_hash,
)
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gridgov.accounts import actions, totp
from gridgov.accounts.forms import CodeForm, LoginForm, PasswordChangeForm
from gridgov.accounts.middleware import mark_login
from gridgov.core import audit
from gridgov.core.audit import AuditKind

PENDING = "gridgov_pending_login"
# How long the one-time-code step may take after the password was accepted.
PENDING_SECONDS = 300


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def _finish_login(request, user, next_url: str):
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    mark_login(request)
    actions.do_record_login(user)
    if actions.password_expired(user):
        return redirect("password_change")  # the page says why
    return HttpResponseRedirect(next_url if next_url.startswith("/") else "/")


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending.get("next") or "/"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_next_url(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        next_url = _next_url(request)
        if actions.needs_second_factor(user):
            request.session.cycle_key()
            request.session[PENDING] = {"user": user.pk, "at": time.time(), "next": next_url}
            request.session.pop(BACKEND_SESSION_KEY, None)
            if user.totp_confirmed_at is None:
                return redirect("totp_enrol")
            return redirect("totp_verify")
        return _finish_login(request, user, next_url)
    return render(request, "registration/login.html", {"form": form, "next": _next_url(request)})


@csrf_protect
@never_cache
def totp_verify(request):
    user, next_url = _pending_user(request)
    if user is None:
        messages.info(request, _("请重新输入用户名和密码"))
        return redirect("login")
    if user.totp_confirmed_at is None:
        return redirect("totp_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if actions.do_verify_totp(user, form.cleaned_data["code"]):
            request.session.pop(PENDING, None)
            return _finish_login(request, user, next_url)
        locked = actions.do_record_login_failure(user.get_username(), user=user)
        if locked:
            request.session.pop(PENDING, None)
            messages.error(request, _("登录失败次数过多，账户已锁定"))
            return redirect("login")
        form.add_error("code", _("动态口令不正确或已使用，请输入验证器上的最新口令"))
    return render(request, "accounts/totp_verify.html", {"form": form, "pending_user": user})


@csrf_protect
@never_cache
def totp_enrol(request):
    """First login of an account whose posts need a second factor: set up the app."""
    user, next_url = _pending_user(request)
    if user is None:
        messages.info(request, _("请重新输入用户名和密码"))
        return redirect("login")
    if user.totp_confirmed_at is not None:
        return redirect("totp_verify")
    if not user.totp_secret:
        actions.do_start_totp_enrolment(user)
    uri = totp.provisioning_uri(
        user.totp_secret, account=user.get_username(), issuer=settings.TOTP_ISSUER
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if actions.do_verify_totp(user, form.cleaned_data["code"]):
            request.session.pop(PENDING, None)
            return _finish_login(request, user, next_url)
        form.add_error("code", _("动态口令不正确，请核对手机时间后输入最新口令"))
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return render(
        request,
        "accounts/totp_enrol.html",
        {"form": form, "secret": user.totp_secret, "qr_svg": qr_svg, "pending_user": user},
    )


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(AuditKind.LOGOUT, actor=request.user, target=request.user)
    logout(request)
    messages.info(request, _("已退出登录"))
    return redirect("login")


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@csrf_protect
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_change_password(
            request.user, form.cleaned_data["new_password1"], actor=request.user
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("密码已修改"))
        return redirect("home")
    expired = actions.password_expired(request.user)
    context = {"form": form, "expired": expired, "max_age": settings.PASSWORD_MAX_AGE_DAYS}
    return render(request, "accounts/password_change.html", context)
