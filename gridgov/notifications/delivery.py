"""Sending the SMS outbox: one attempt per claim, retries with growing pauses.

:func:`deliver` is what the ``deliver_sms`` task runs (enqueued after the commit that
queued the message). It first *claims* the message with a conditional UPDATE — status
queued or failed, ``next_attempt_at`` reached → ``sending``, ``attempts + 1`` — which only
one process can win, so two workers never send one message twice. A failed attempt is
retried 1, 5, 25, 125 … minutes later (at most a day apart) until ``SMS_MAX_ATTEMPTS``,
then the message is given up. :func:`retry_due` (the ``retry_sms`` periodic job, every
minute) hands due retries to the workers again.

A worker that dies in the middle of an attempt leaves the message ``sending``; its claim
lapses after :data:`LEASE` and the attempt counts as failed. The gateway may have taken
the message before the worker died, so such a message can arrive twice: at least once,
never silently lost.

Logs name messages by id only: never a phone number or a text in plain form.
"""

import logging
import re
import traceback
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from gridgov.core.masking import mask_phone
from gridgov.notifications import sms
from gridgov.notifications.choices import SMS_PENDING, SmsStatus
from gridgov.notifications.models import SmsMessage

log = logging.getLogger(__name__)

# How long a claim holds: far beyond any gateway timeout.
LEASE = timedelta(minutes=10)
MAX_PAUSE_MINUTES = 24 * 60
RETRY_BATCH = 500
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_LONG_DIGITS = re.compile(r"\d{15,}[\dXx]?")


def backoff(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt: 1, 5, 25, 125 … minutes."""
    return timedelta(minutes=min(5 ** max(attempts - 1, 0), MAX_PAUSE_MINUTES))


def scrub(error: str) -> str:
    """An error text fit for the log and the outbox: numbers masked, length bounded.

    Our own backends never put the phone or the text in an error; a vendor's might.
    """
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), str(error))
    text = _LONG_DIGITS.sub("******", text)
    return text[:500]


def claim(message_id: int, now=None) -> SmsMessage | None:
    """Take the message for one attempt (None if it is not due or someone else has it)."""
    now = now or timezone.now()
    won = SmsMessage.objects.filter(
        pk=message_id, status__in=SMS_PENDING, next_attempt_at__lte=now
    ).update(status=SmsStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not won:
        return None
    return SmsMessage.objects.get(pk=message_id)


def deliver(message_id: int) -> str:
    """Make one attempt at sending the message; returns its status afterwards, or
    ``"skipped"`` when it was not ours to send (sent, not due, or claimed elsewhere)."""
    message = claim(message_id)
    if message is None:
        return "skipped"
    try:
        gateway_id = sms.get_backend().send(message.phone, message.text)
    except sms.SmsError as exc:
        return record_failure(message, scrub(exc))
    except Exception as exc:  # a broken backend: retried like a refusal, not lost
        # Where it failed, without the exception's text: that may hold the phone number.
        log.error(
            "SMS %s: the backend failed with %s\n%s",
            message.pk,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return record_failure(message, f"短信后台程序错误：{type(exc).__name__}")
    now = timezone.now()
    # ``attempts`` fences the update: a claim that lapsed and was taken again is not ours.
    SmsMessage.objects.filter(
        pk=message.pk, status=SmsStatus.SENDING, attempts=message.attempts
    ).update(
        status=SmsStatus.SENT,
        sent_at=now,
        gateway_id=str(gateway_id or "")[:100],
        next_attempt_at=None,
        last_error="",
    )
    log.info("SMS %s sent (attempt %d)", message.pk, message.attempts)
    return SmsStatus.SENT


def record_failure(message: SmsMessage, error: str, now=None) -> str:
    """Schedule the next attempt after a failed one, or give up after the last."""
    now = now or timezone.now()
    if message.attempts >= settings.SMS_MAX_ATTEMPTS:
        status, next_attempt = SmsStatus.GIVEN_UP, None
    else:
        status, next_attempt = SmsStatus.FAILED, now + backoff(message.attempts)
    SmsMessage.objects.filter(
        pk=message.pk, status=SmsStatus.SENDING, attempts=message.attempts
    ).update(status=status, next_attempt_at=next_attempt, last_error=error)
    if status == SmsStatus.GIVEN_UP:
        log.error("SMS %s given up after %d attempts: %s", message.pk, message.attempts, error)
    else:
        log.warning(
            "SMS %s failed (attempt %d of %d), next at %s: %s",
            message.pk,
            message.attempts,
            settings.SMS_MAX_ATTEMPTS,
            next_attempt.isoformat(timespec="seconds"),
            error,
        )
    return status


def retry_due(now=None) -> int:
    """Hand every due message to the workers again; returns how many.

    Messages whose sender died (the claim lapsed) count as a failed attempt first.
    """
    now = now or timezone.now()
    for message in SmsMessage.objects.filter(
        status=SmsStatus.SENDING, next_attempt_at__lte=now
    ).only("pk", "attempts"):
        record_failure(message, "发送中断（发送进程未完成，可能已送达）", now)
    due = list(
        SmsMessage.objects.filter(status__in=SMS_PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    if due:
        from gridgov.notifications.tasks import deliver_sms

        for message_id in due:
            deliver_sms.enqueue(message_id)
        log.info("SMS retry: %d message(s) handed to the workers", len(due))
    return len(due)
