"""Staff accounts and what login security keeps about them.

Residents use the public site without an account. Personal data of staff (phone, ID
number, the TOTP secret) is encrypted at rest; the phone and ID number can be found by
exact value through their blind indexes.
"""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from gridgov.core.fields import (
    BlindIndexField,
    EncryptedTextField,
    normalise_id_number,
    normalise_phone,
)
from gridgov.core.masking import mask_id_number, mask_phone
from gridgov.core.querysets import RestrictedQuerySet


class UserManager(DjangoUserManager.from_queryset(RestrictedQuerySet)):
    pass


class User(AbstractUser):
    """A staff account: agency, department and grid staff, and the administrators."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = EncryptedTextField(
        _("手机号码"),
        blank=True,
        blind_index="phone_index",
        normalise=normalise_phone,
        mask=mask_phone,
    )
    phone_index = BlindIndexField()
    id_number = EncryptedTextField(
        _("身份证号"),
        blank=True,
        blind_index="id_number_index",
        normalise=normalise_id_number,
        mask=mask_id_number,
    )
    id_number_index = BlindIndexField()
    # Bumped to end every session of the account (disabled, posts or password changed).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    totp_secret = EncryptedTextField(_("动态口令密钥"), blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(_("动态口令启用时间"), null=True, blank=True)
    # The last accepted TOTP time step: a code is accepted once only.
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("停用原因"), max_length=200, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=models.Q(id_number_index__isnull=False),
                name="user_unique_id_number",
                violation_error_message=_("已有账户使用此身份证号"),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def audit_repr(self) -> str:
        return f"{self.username}（{self.full_name}）" if self.full_name else self.username

    def _get_session_auth_hash(self, secret=None):
        # Django ties sessions to the password hash; adding the epoch lets us end all of
        # an account's sessions without changing its password.
        key_salt = "gridgov.accounts.User.session"
        return salted_hmac(
            key_salt,
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class PasswordHistory(models.Model):
    """Earlier password hashes, so a new password cannot repeat one of the last few."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class LoginThrottle(models.Model):
    """Failed logins by user name — also for names that have no account, so that the
    answer never tells whether an account exists."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"


class ApiToken(models.Model):
    """A token for a program acting as a user (``Authorization: Bearer …``).

    Only a hash is kept; the token is shown once when it is made.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
