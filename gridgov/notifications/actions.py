"""Telling people: notifications in the site, text messages, marking as read.

Other apps call :func:`notify` (staff) and :func:`send_sms` (a resident's contact
number) inside the transaction of the change they report, e.g. in a case action::

    from gridgov.notifications.actions import notify, send_sms
    from gridgov.notifications.choices import NotificationKind

    notify([handler], kind=NotificationKind.NEW_WORK, title=f"新待办：{case.number}",
           link=f"/cases/{case.number}/", target=case, sms=True)
    send_sms(case.contact_phone, "您反映的问题已办结，感谢您的监督。",
             dedupe_key=f"case:{case.number}:result")

Rows are written in the caller's transaction: if it rolls back, nobody is told. Text
messages leave only after the commit (``transaction.on_commit``), through the worker
(:mod:`gridgov.notifications.delivery`). A ``dedupe_key`` makes a repeated call (two
deadline sweepers, a retried job) a no-op for whoever already has it.

Wrong use by the calling code (an unknown kind, a link to another site) raises
``ValueError``: it is a bug to fix, not a user's input. A resident ID number in a title,
body or text is masked before it is stored or sent.
"""

import logging
import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gridgov.core.fields import normalise_phone
from gridgov.core.masking import mask_id_number
from gridgov.notifications.choices import NotificationKind, SmsStatus
from gridgov.notifications.models import Notification, SmsMessage

log = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_DEDUPE_KEY = 200
# Longer texts are split by the carrier into many paid parts (70 characters each).
MAX_SMS_LENGTH = 300
MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Mainland resident ID numbers (GB 11643): never in a notification or a text message.
ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)


# Checks --------------------------------------------------------------------------------


def is_site_path(link: str) -> bool:
    """A path of this site ("/cases/QZ1/"), not another host ("//x", "/\\x", "https://")."""
    return (
        link.startswith("/")
        and not link.startswith(("//", "/\\"))
        and not any(ord(ch) < 33 or ch == "\\" for ch in link)
    )


def mask_id_numbers(text: str) -> str:
    """Free text typed by staff (an urging note, a reply) may hold an ID number by
    mistake: it is masked (``450***********123X``) rather than refused, so that a slip
    never fails the case action that sends the notification."""
    return ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)


def _target(target) -> tuple[str, str]:
    """``(type, id)`` of what a notification is about: a model object or a pair."""
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        target_type, target_id = target
        return str(target_type)[:100], str(target_id)[:100]
    ident = getattr(target, "audit_target_id", None)
    if callable(ident):  # a method on the models (Case.audit_target_id())
        ident = ident()
    ident = ident or getattr(target, "number", None) or getattr(target, "code", None) or target.pk
    return target._meta.label, str(ident)[:100]


def mobile_number(phone) -> str | None:
    """The normalised mobile number, or None when ``phone`` cannot receive a text."""
    number = normalise_phone(phone or "")
    return number if MOBILE.match(number) else None


# Notifications -------------------------------------------------------------------------


def notify(
    recipients,
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    target=None,
    dedupe_key: str = "",
    sms: bool = False,
) -> int:
    """Notify each active user of ``recipients`` (users or user ids); return how many
    notifications were created.

    ``link`` is a path of this site; ``target`` a model object (or a ``(type, id)`` pair)
    the notification is about; a recipient who already has a notification with the same
    ``dedupe_key`` gets no second one (nor a second text). With ``sms=True`` each new
    recipient with a mobile number also gets the title (and the start of the body) as a
    text message after the commit.
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    body = mask_id_numbers(str(body or "").strip())
    title = _shorten(mask_id_numbers(str(title)), MAX_TITLE)
    if not title:
        raise ValueError("a notification needs a title")
    if link and not is_site_path(link):
        raise ValueError(f"a notification links to a path of this site, not {link!r}")
    if len(dedupe_key) > MAX_DEDUPE_KEY:
        raise ValueError(f"dedupe_key is longer than {MAX_DEDUPE_KEY} characters")
    target_type, target_id = _target(target)

    ids = {getattr(r, "pk", r) for r in recipients}
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk")
    if dedupe_key:
        users = users.exclude(notifications__dedupe_key=dedupe_key)
    users = list(users.only("pk", "phone")) if sms else list(users.only("pk"))
    if not users:
        return 0

    now = timezone.now()
    rows = [
        Notification(
            recipient_id=user.pk,
            kind=kind,
            title=title,
            body=body,
            link=link,
            target_type=target_type,
            target_id=target_id,
            dedupe_key=dedupe_key,
            created_at=now,
        )
        for user in users
    ]
    # Another transaction may insert the same (recipient, key) between the exclude above
    # and this insert; the conditional unique constraint turns that into a no-op.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if dedupe_key:
        # Ours are the rows stamped with this call's time (a concurrent caller's differ).
        created = Notification.objects.filter(
            dedupe_key=dedupe_key, recipient__in=[u.pk for u in users], created_at=now
        ).count()
    else:
        created = len(rows)

    if sms:
        text = _sms_text(title, body)
        _queue_sms(
            [
                SmsMessage(
                    phone=number,
                    recipient_id=user.pk,
                    text=text,
                    dedupe_key=f"notify:{user.pk}:{dedupe_key}" if dedupe_key else "",
                    next_attempt_at=now,
                    created_at=now,
                )
                for user in users
                if (number := mobile_number(user.phone))
            ]
        )
    return created


def notify_many(messages) -> int:
    """:func:`notify` for many messages at once — the deadline sweeper's reminders for
    hundreds of cases — with the same checks and the same outcome as calling it for each
    (a recipient who has a message's ``dedupe_key`` gets no second one, nor a second
    text), in a handful of queries for the lot. Each message is a dict of :func:`notify`'s
    arguments (``recipients``, ``kind``, ``title``, and optionally ``body``, ``link``,
    ``target``, ``dedupe_key``, ``sms``). Returns how many notifications were written."""
    prepared = []
    for message in messages:
        kind, dedupe_key = message["kind"], message.get("dedupe_key", "")
        if kind not in NotificationKind.values:
            raise ValueError(f"unknown notification kind {kind!r}")
        body = mask_id_numbers(str(message.get("body") or "").strip())
        title = _shorten(mask_id_numbers(str(message["title"])), MAX_TITLE)
        link = message.get("link", "")
        if not title:
            raise ValueError("a notification needs a title")
        if link and not is_site_path(link):
            raise ValueError(f"a notification links to a path of this site, not {link!r}")
        if len(dedupe_key) > MAX_DEDUPE_KEY:
            raise ValueError(f"dedupe_key is longer than {MAX_DEDUPE_KEY} characters")
        ids = sorted({getattr(r, "pk", r) for r in message["recipients"]})
        target_type, target_id = _target(message.get("target"))
        sms = bool(message.get("sms"))
        prepared.append((ids, kind, title, body, link, target_type, target_id, dedupe_key, sms))
    all_ids = {i for item in prepared for i in item[0]}
    if not all_ids:
        return 0
    fields = ("pk", "phone") if any(item[8] for item in prepared) else ("pk",)
    users = get_user_model().objects.filter(pk__in=all_ids, is_active=True).only(*fields)
    users = {user.pk: user for user in users}
    keys = {item[7] for item in prepared if item[7]}
    had = (
        set(
            Notification.objects.filter(dedupe_key__in=keys, recipient__in=all_ids).values_list(
                "recipient_id", "dedupe_key"
            )
        )
        if keys
        else set()
    )
    now = timezone.now()
    rows, texts = [], []
    for ids, kind, title, body, link, target_type, target_id, dedupe_key, sms in prepared:
        for user_id in ids:
            if user_id not in users or (dedupe_key and (user_id, dedupe_key) in had):
                continue
            if dedupe_key:
                had.add((user_id, dedupe_key))
            rows.append(
                Notification(
                    recipient_id=user_id,
                    kind=kind,
                    title=title,
                    body=body,
                    link=link,
                    target_type=target_type,
                    target_id=target_id,
                    dedupe_key=dedupe_key,
                    created_at=now,
                )
            )
            number = mobile_number(users[user_id].phone) if sms else None
            if number:
                texts.append(
                    SmsMessage(
                        phone=number,
                        recipient_id=user_id,
                        text=_sms_text(title, body),
                        dedupe_key=f"notify:{user_id}:{dedupe_key}" if dedupe_key else "",
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    # As in notify(): a concurrent sender's row with the same key makes ours a no-op.
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    _queue_sms(texts)
    return len(rows)


def _shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, "…" where it was cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sms_text(title: str, body: str) -> str:
    return _shorten(f"{title}：{body}" if body else title, MAX_SMS_LENGTH)


# Text messages -------------------------------------------------------------------------


def send_sms(phone: str, text: str, *, recipient=None, dedupe_key: str = "") -> SmsMessage | None:
    """Queue one text message to ``phone``; it is sent after the current transaction
    commits. Returns the queued message (the earlier one for a repeated ``dedupe_key``),
    or None when ``phone`` is not a mobile number (a landline or nothing: no text).
    """
    text = mask_id_numbers(" ".join(str(text or "").split()))
    if not text:
        raise ValueError("a text message needs a text")
    if len(text) > MAX_SMS_LENGTH:
        raise ValueError(f"a text message has at most {MAX_SMS_LENGTH} characters")
    if len(dedupe_key) > MAX_DEDUPE_KEY:
        raise ValueError(f"dedupe_key is longer than {MAX_DEDUPE_KEY} characters")
    number = mobile_number(phone)
    if number is None:
        log.info("SMS not queued: no mobile number")
        return None
    now = timezone.now()
    message = SmsMessage(
        phone=number,
        recipient=recipient,
        text=text,
        dedupe_key=dedupe_key,
        next_attempt_at=now,
        created_at=now,
    )
    ids = _queue_sms([message])
    if dedupe_key:
        return SmsMessage.objects.get(dedupe_key=dedupe_key)
    return SmsMessage.objects.get(pk=ids[0])


def _queue_sms(messages: list[SmsMessage]) -> list[int]:
    """Insert the messages (a repeated dedupe key is skipped) and have the worker send
    them once the transaction commits. Returns the ids to deliver."""
    if not messages:
        return []
    plain = [m for m in messages if not m.dedupe_key]
    keyed = [m for m in messages if m.dedupe_key]
    ids = [m.pk for m in SmsMessage.objects.bulk_create(plain)]
    if keyed:
        SmsMessage.objects.bulk_create(keyed, ignore_conflicts=True)
        ids += SmsMessage.objects.filter(
            dedupe_key__in=[m.dedupe_key for m in keyed], status=SmsStatus.QUEUED
        ).values_list("pk", flat=True)
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return ids


def _enqueue(ids: list[int]) -> None:
    from gridgov.notifications.tasks import deliver_sms

    for message_id in ids:
        try:
            deliver_sms.enqueue(message_id)
        except Exception:  # the retry job sends it within a minute
            log.exception("SMS %s could not be handed to the worker", message_id)


# Reading -------------------------------------------------------------------------------


def do_mark_read(notification: Notification, *, actor) -> Notification:
    """Mark one of the actor's notifications read (reading it again changes nothing)."""
    if notification.recipient_id != getattr(actor, "pk", None):
        from django.utils.translation import gettext as _

        from gridgov.core.exceptions import NotPermitted

        raise NotPermitted(_("只能处理发给自己的通知"))
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def do_mark_all_read(*, actor) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    return Notification.objects.for_user(actor).unread().update(read_at=timezone.now())


def do_mark_target_read(target, *, actor) -> int:
    """Mark the actor's unread notifications about ``target`` read (e.g. when the case
    page is opened, its 待办 and 催办 are done with); returns how many."""
    target_type, target_id = _target(target)
    return (
        Notification.objects.for_user(actor)
        .unread()
        .filter(target_type=target_type, target_id=target_id)
        .update(read_at=timezone.now())
    )
