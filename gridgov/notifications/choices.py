from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Why a staff member is told something (the badge on the notification list)."""

    NEW_WORK = "new_work", _("待办")
    URGE = "urge", _("催办")
    DUE_SOON = "due_soon", _("临期")
    OVERDUE = "overdue", _("超期")
    SUPERVISION = "supervision", _("督办")
    RESULT = "result", _("结果")
    SYSTEM = "system", _("系统")


class SmsStatus(models.TextChoices):
    """Where a text message is in the outbox.

    queued → sending → sent; a failed attempt goes back to ``failed`` with a later
    ``next_attempt_at`` until ``SMS_MAX_ATTEMPTS``, then ``given_up``.
    """

    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败，待重试")
    GIVEN_UP = "given_up", _("已放弃")


# Messages a worker may claim for an attempt.
SMS_PENDING = (SmsStatus.QUEUED, SmsStatus.FAILED)
