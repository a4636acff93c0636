"""State changes of accounts: creation, passwords, disabling, sessions, second factor,
login failures, API tokens. Each is audited in the same transaction."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts import totp
from gridgov.accounts.models import ApiToken, LoginThrottle, PasswordHistory, User
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import IllegalTransition, NotPermitted


def _require(actor, action: str, obj) -> None:
    from gridgov.accounts.scope import can

    if actor is not None and not can(actor, action, obj):
        raise NotPermitted(_("您没有权限进行此操作"))


def _throttle_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def end_sessions(user: User) -> None:
    """Every session of the account ends at its next request."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def do_create_user(
    *, username: str, full_name: str, actor, phone: str = "", id_number: str = "", password=None
) -> tuple[User, str]:
    """A new account with a one-time password the holder must change at first login."""
    from gridgov.accounts.scope import has_role
    from gridgov.orgs.choices import Role

    if actor is not None and not has_role(actor, Role.SYSTEM_ADMIN):
        raise NotPermitted(_("只有系统管理员可以创建账户"))
    username = (username or "").strip()
    errors = {}
    if not username:
        errors["username"] = [_("请填写用户名")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("用户名已被使用")]
    if not (full_name or "").strip():
        errors["full_name"] = [_("请填写姓名")]
    if errors:
        raise ValidationError(errors)
    user = User(username=username, full_name=full_name.strip(), phone=phone, id_number=id_number)
    initial = password or temporary_password()
    password_validation.validate_password(initial, user)
    user.set_password(initial)
    user.password_changed_at = None  # must change at first login
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(AuditKind.ACCOUNT_CREATED, actor=actor, target=user, after=audit.snapshot(user))
    return user, initial


def temporary_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    core = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{core}-{secrets.randbelow(90) + 10}Aa"


@transaction.atomic
def do_change_password(user: User, new_password: str, *, actor) -> None:
    """Set a new password (checked against the rules and the last ones used)."""
    password_validation.validate_password(new_password, user)
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
        keep = settings.PASSWORD_HISTORY
        stale = user.password_history.values_list("pk", flat=True)[keep:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    user.set_password(new_password)
    # A reset by an administrator must be changed by the holder at next login.
    user.password_changed_at = timezone.now() if actor == user else None
    user.save(update_fields=["password", "password_changed_at"])
    kind = AuditKind.PASSWORD_CHANGED if actor == user else AuditKind.PASSWORD_RESET
    audit.record(kind, actor=actor, target=user)


@transaction.atomic
def do_reset_password(user: User, *, actor) -> str:
    """An administrator gives the account a one-time password (returned once), which the
    holder must change at next login. Nobody resets their own: they change it."""
    if actor is not None and actor.pk == user.pk:
        raise NotPermitted(_("不能重置自己的密码，请使用“修改密码”"))
    _require(actor, "change", user)
    temporary = temporary_password()
    do_change_password(user, temporary, actor=actor)
    return temporary


def password_expired(user: User, now=None) -> bool:
    if user.password_changed_at is None:
        return True
    age = (now or timezone.now()) - user.password_changed_at
    return age > timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


@transaction.atomic
def do_disable_user(user: User, *, actor, reason: str) -> User:
    if actor is not None and actor.pk == user.pk:
        raise NotPermitted(_("不能停用自己的账户"))
    _require(actor, "change", user)
    if not user.is_active:
        raise IllegalTransition(_("账户已停用"))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写停用原因")]})
    user.is_active = False
    user.disabled_reason = reason.strip()[:200]
    user.save(update_fields=["is_active", "disabled_reason"])
    end_sessions(user)
    audit.record(AuditKind.ACCOUNT_DISABLED, actor=actor, target=user, detail={"reason": reason})
    return user


@transaction.atomic
def do_enable_user(user: User, *, actor) -> User:
    _require(actor, "change", user)
    if user.is_active:
        raise IllegalTransition(_("账户已是启用状态"))
    user.is_active = True
    user.disabled_reason = ""
    # Counting inactivity from now, or the worker would disable it again tonight.
    user.last_login = timezone.now()
    user.save(update_fields=["is_active", "disabled_reason", "last_login"])
    audit.record(AuditKind.ACCOUNT_ENABLED, actor=actor, target=user)
    return user


def disable_inactive_accounts(now=None) -> int:
    """Accounts unused for ACCOUNT_INACTIVE_DAYS are disabled (run daily by the worker)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ACCOUNT_INACTIVE_DAYS)
    # Records of staff who never sign in (no usable password) are not logins to close.
    stale = (
        User.objects.filter(is_active=True)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
    )
    count = 0
    for user in stale.iterator():
        with transaction.atomic():
            changed = User.objects.filter(pk=user.pk, is_active=True).update(
                is_active=False,
                disabled_reason=_("%(days)d 天未登录，自动停用")
                % {"days": settings.ACCOUNT_INACTIVE_DAYS},
                session_epoch=F("session_epoch") + 1,
            )
            if changed:
                audit.record(
                    AuditKind.ACCOUNT_DISABLED,
                    target=user,
                    detail={"reason": "inactive", "days": settings.ACCOUNT_INACTIVE_DAYS},
                )
                count += 1
    return count


# Login failures -------------------------------------------------------------------


def locked_until(username: str, now=None):
    """When the lock on this user name ends, or None if it is not locked."""
    row = LoginThrottle.objects.filter(username=_throttle_key(username)).first()
    now = now or timezone.now()
    if row and row.locked_until and row.locked_until > now:
        return row.locked_until
    return None


@transaction.atomic
def do_record_login_failure(username: str, *, user: User | None) -> bool:
    """Count a failure; lock the name after LOGIN_MAX_FAILURES. True if now locked."""
    now = timezone.now()
    key = _throttle_key(username)
    row, _created = LoginThrottle.objects.select_for_update().get_or_create(username=key)
    if row.locked_until and row.locked_until <= now:
        row.failures = 0  # the last lock expired: start counting again
        row.locked_until = None
    row.failures += 1
    row.last_failure_at = now
    locked = row.failures >= settings.LOGIN_MAX_FAILURES
    if locked:
        row.locked_until = now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    row.save()
    target = user if user is not None else audit.Target("accounts.user", key, key)
    audit.record(AuditKind.LOGIN_FAILED, target=target, detail={"failures": row.failures})
    if locked:
        audit.record(
            AuditKind.LOCKOUT,
            target=target,
            detail={"minutes": settings.LOGIN_LOCK_MINUTES},
        )
    return locked


@transaction.atomic
def do_record_login(user: User) -> None:
    LoginThrottle.objects.filter(username=_throttle_key(user.get_username())).delete()
    audit.record(AuditKind.LOGIN, actor=user, target=user)


# Second factor ----------------------------------------------------------------------


def needs_second_factor(user: User) -> bool:
    from gridgov.accounts.scope import has_role
    from gridgov.orgs.choices import SECOND_FACTOR_ROLES

    return settings.TOTP_REQUIRED and has_role(user, *SECOND_FACTOR_ROLES)


@transaction.atomic
def do_start_totp_enrolment(user: User) -> str:
    """A fresh secret, kept unconfirmed until the holder enters a code from it."""
    if user.totp_confirmed_at:
        raise IllegalTransition(_("已启用动态口令"))
    user.totp_secret = totp.new_secret()
    user.save(update_fields=["totp_secret"])
    return user.totp_secret


@transaction.atomic
def do_verify_totp(user: User, code: str) -> bool:
    """Check a code (confirming the enrolment on first success); a code works once."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.totp_secret:
        return False
    step = totp.match(locked.totp_secret, code, after_step=locked.totp_last_step)
    if step is None:
        return False
    locked.totp_last_step = step
    fields = ["totp_last_step"]
    if locked.totp_confirmed_at is None:
        locked.totp_confirmed_at = timezone.now()
        fields.append("totp_confirmed_at")
        audit.record(
            AuditKind.ACCOUNT_CHANGED, actor=user, target=user, detail={"totp": "enrolled"}
        )
    locked.save(update_fields=fields)
    user.totp_last_step, user.totp_confirmed_at = locked.totp_last_step, locked.totp_confirmed_at
    return True


@transaction.atomic
def do_reset_totp(user: User, *, actor) -> None:
    """An administrator clears a lost authenticator; the holder enrols again."""
    if actor is not None and actor.pk == user.pk:
        # Else a stolen session could swap the second factor of its own account.
        raise NotPermitted(_("不能重置自己的动态口令，请联系其他系统管理员"))
    _require(actor, "change", user)
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    end_sessions(user)
    audit.record(AuditKind.ACCOUNT_CHANGED, actor=actor, target=user, detail={"totp": "reset"})


# API tokens -------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def do_issue_token(user: User, *, name: str, actor) -> tuple[ApiToken, str]:
    """A new token; the plaintext is returned once and never stored."""
    if actor is not None and actor.pk != user.pk:
        raise NotPermitted(_("只能为自己的账户创建接口令牌"))
    if not (name or "").strip():
        raise ValidationError({"name": [_("请说明令牌用途")]})
    token = "gg_" + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=token[3:11],
        token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    audit.record(AuditKind.ACCOUNT_CHANGED, actor=actor, target=user, detail={"token": row.prefix})
    return row, token


@transaction.atomic
def do_revoke_token(row: ApiToken, *, actor) -> None:
    if actor is not None and actor.pk != row.user_id:
        raise NotPermitted(_("只能吊销自己的接口令牌"))
    ApiToken.objects.filter(pk=row.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(
        AuditKind.ACCOUNT_CHANGED,
        actor=actor,
        target=row.user,
        detail={"token_revoked": row.prefix},
    )


def user_for_token(token: str) -> User | None:
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    # Write at most once a minute per token.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
