"""What the system tells its users: notifications in the site and text messages (SMS).

A ``Notification`` is one message to one staff account (a case reached the inbox, an
operator urged, a deadline nears or passed, a result). An ``SmsMessage`` is one entry of
the SMS outbox, to a staff member or to a resident (who has no account); the worker sends
it after the transaction that queued it commits (:mod:`gridgov.notifications.delivery`).
Write both only through :mod:`gridgov.notifications.actions`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.fields import EncryptedTextField, normalise_phone
from gridgov.core.masking import mask_phone
from gridgov.core.querysets import RestrictedQuerySet
from gridgov.notifications.choices import NotificationKind, SmsStatus

# Links are paths of this site ("/cases/…"), never another host: "//host" and "/\host"
# are read by browsers as another host, so they are refused as well.
SITE_PATH = Q(link="") | (
    Q(link__startswith="/") & ~Q(link__startswith="//") & ~Q(link__startswith="/\\")
)


class NotificationQuerySet(RestrictedQuerySet):
    def for_user(self, user):
        """The user's own notifications: the one way pages and the API reach them.

        Not ``restrict()``: restrict() is the union of rules over the user's *posts*, and
        a user without a post in force (a new account, a post that ended yesterday) must
        still read what was sent to them. The registered scope rule
        (:mod:`gridgov.notifications.scope`) says the same, "recipient = me", for code
        that does go through restrict().
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    # What the notification is about ("cases.Case", the case number): groups the
    # notifications of one object, e.g. to mark them read when the case is opened.
    target_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=100, blank=True)
    # Set by senders that may say the same thing twice (two sweepers, a retried job):
    # the second row with the same key for the same recipient is not created.
    dedupe_key = models.CharField(_("去重键"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The unread count in the navigation bar of every page (recipient = me and
            # read_at IS NULL) and the user's list, newest first.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe",
                violation_error_message=_("已向该用户发送过此通知"),
            ),
            models.CheckConstraint(
                condition=SITE_PATH,
                name="notification_link_is_site_path",
                violation_error_message=_("通知链接只能是本站地址（以 / 开头）"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class SmsMessage(models.Model):
    """One text message in the outbox. Phone and text are personal data: encrypted."""

    phone = EncryptedTextField(_("手机号码"), normalise=normalise_phone, mask=mask_phone)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("群众没有账户，为空"),
    )
    text = EncryptedTextField(_("短信内容"))
    status = models.CharField(
        _("状态"), max_length=20, choices=SmsStatus.choices, default=SmsStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # When the next attempt may start (the retry job's query); for a message being sent,
    # when its sender is presumed dead. Empty once the message is sent or given up.
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True, db_index=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    gateway_id = models.CharField(_("网关消息编号"), max_length=100, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="sms_dedupe",
                violation_error_message=_("此短信已排队"),
            ),
            models.CheckConstraint(
                condition=~Q(status=SmsStatus.SENT) | Q(sent_at__isnull=False),
                name="sms_sent_has_time",
                violation_error_message=_("已发送的短信须有发送时间"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=[SmsStatus.SENT, SmsStatus.GIVEN_UP])
                | Q(next_attempt_at__isnull=False),
                name="sms_pending_has_next_attempt",
                violation_error_message=_("待发送的短信须有下次尝试时间"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.masked_phone} ({self.get_status_display()})"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)
