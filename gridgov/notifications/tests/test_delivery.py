"""The SMS outbox: sent after the commit only, retried 1, 5, 25 … minutes later, given up
after SMS_MAX_ATTEMPTS, never sent twice, and never written to a log in plain form."""

import logging
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone

from gridgov.core import periodic
from gridgov.notifications import delivery
from gridgov.notifications.actions import notify, send_sms
from gridgov.notifications.choices import NotificationKind, SmsStatus
from gridgov.notifications.models import SmsMessage
from gridgov.notifications.tests.backends import FlakyBackend, GateBackend
from gridgov.notifications.tests.test_actions import _when_unlocked

pytestmark = pytest.mark.django_db

TEXT = "您反映的问题已办结，感谢您的监督。"
PHONE = "13900139000"


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "gridgov.notifications.tests.backends.FlakyBackend"
    FlakyBackend.calls = []
    FlakyBackend.failures = 0
    yield FlakyBackend
    FlakyBackend.failures = 0


@pytest.mark.django_db(transaction=True)
def test_sent_after_commit_and_never_after_a_rollback(alice, outbox):
    with transaction.atomic():
        notify([alice], kind=NotificationKind.NEW_WORK, title="新待办：QZ20250001", sms=True)
        assert list(outbox) == []  # nothing leaves before the commit
        assert SmsMessage.objects.get().status == SmsStatus.QUEUED
    assert [(m.phone, m.text) for m in outbox] == [("13800138000", "新待办：QZ20250001")]
    message = SmsMessage.objects.get()
    assert message.status == SmsStatus.SENT and message.attempts == 1
    assert message.sent_at is not None and message.gateway_id.startswith("log-")
    assert message.next_attempt_at is None

    with pytest.raises(RuntimeError), transaction.atomic():
        send_sms(PHONE, TEXT)
        raise RuntimeError("the case action failed")
    assert len(outbox) == 1 and SmsMessage.objects.count() == 1


def test_delivery_waits_for_the_commit(alice, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = send_sms(PHONE, TEXT, recipient=alice)
    assert list(outbox) == [] and len(callbacks) == 1
    callbacks[0]()  # the commit
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and [m.phone for m in outbox] == [PHONE]


def _queue(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return send_sms(PHONE, TEXT, **kwargs)


def test_a_refused_message_is_retried_with_growing_pauses(
    flaky, django_capture_on_commit_callbacks, caplog
):
    flaky.failures = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = _queue(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED and message.attempts == 1
    assert message.next_attempt_at == start + timedelta(minutes=1)
    # The vendor's error echoed the number; the outbox and the log keep it masked.
    assert message.last_error == "网关繁忙（拒收 139****9000）"
    assert PHONE not in caplog.text and TEXT not in caplog.text

    # Not due yet: neither a direct call nor the retry job sends it.
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert delivery.deliver(message.pk) == "skipped"
        assert delivery.retry_due() == 0
    assert len(flaky.calls) == 1

    at = start + timedelta(minutes=1)
    for attempt, pause in ((2, 5), (3, 25)):
        with time_machine.travel(at, tick=False):
            assert delivery.retry_due() == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == (SmsStatus.FAILED, attempt)
        assert message.next_attempt_at == at + timedelta(minutes=pause)
        at += timedelta(minutes=pause)
    with time_machine.travel(at, tick=False):
        assert delivery.retry_due() == 1
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.attempts == 4
    assert message.last_error == "" and message.gateway_id == "gw-1"
    assert len(flaky.calls) == 4
    with time_machine.travel(at + timedelta(days=1), tick=False):
        assert delivery.retry_due() == 0  # sent is done


def test_given_up_after_the_last_attempt(flaky, settings, django_capture_on_commit_callbacks):
    settings.SMS_MAX_ATTEMPTS = 3
    flaky.failures = 99
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = _queue(django_capture_on_commit_callbacks)
    for minutes in (1, 1 + 5):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            delivery.retry_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.GIVEN_UP, 3)
    assert message.next_attempt_at is None and message.last_error.startswith("网关繁忙")
    with time_machine.travel(start + timedelta(days=30), tick=False):
        assert delivery.retry_due() == 0
        assert delivery.deliver(message.pk) == "skipped"
    assert len(flaky.calls) == 3


def test_backoff_grows_fivefold_up_to_a_day():
    assert [delivery.backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=25),
        timedelta(minutes=125),
    ]
    assert delivery.backoff(20) == timedelta(days=1)


def test_a_broken_backend_counts_as_a_failed_attempt(
    settings, django_capture_on_commit_callbacks, caplog
):
    settings.SMS_BACKEND = "gridgov.notifications.tests.backends.BrokenBackend"
    message = _queue(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED
    assert message.last_error == "短信后台程序错误：KeyError"
    assert PHONE not in caplog.text


def test_a_sender_that_died_mid_attempt_is_retried(outbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = send_sms(PHONE, TEXT)  # not committed here: nothing enqueued
        assert delivery.claim(message.pk) is not None  # a worker takes it … and dies
        assert delivery.retry_due() == 0
    with time_machine.travel(start + delivery.LEASE + timedelta(seconds=1), tick=False):
        assert delivery.retry_due() == 0  # counted as a failed attempt, due in a minute
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED and message.attempts == 1
    assert "发送中断" in message.last_error
    with time_machine.travel(start + delivery.LEASE + timedelta(minutes=2), tick=False):
        assert delivery.retry_due() == 1
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.attempts == 2
    assert [m.phone for m in outbox] == [PHONE]


def test_a_second_claim_of_the_same_message_loses(outbox):
    message = send_sms(PHONE, TEXT)
    assert delivery.claim(message.pk) is not None
    assert delivery.claim(message.pk) is None
    assert delivery.deliver(message.pk) == "skipped"
    assert list(outbox) == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_a_message_once(settings):
    settings.SMS_BACKEND = "gridgov.notifications.tests.backends.GateBackend"
    GateBackend.calls = []
    GateBackend.entered.clear()
    GateBackend.gate.clear()
    message = SmsMessage.objects.create(phone=PHONE, text=TEXT, next_attempt_at=timezone.now())
    start = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            start.wait(10)
            result = _when_unlocked(lambda: delivery.deliver(message.pk))
            results.append(result)
            if result == "skipped":
                # The other worker is inside send() with the message claimed: let it finish.
                GateBackend.gate.set()
        except Exception as exc:  # reported below
            errors.append(exc)
            GateBackend.gate.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(results) == [SmsStatus.SENT, "skipped"]
    assert GateBackend.calls == [PHONE]
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT and message.attempts == 1


def test_the_log_backend_logs_a_masked_phone_and_the_length(
    caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.INFO):
        _queue(django_capture_on_commit_callbacks)
    assert "139****9000" in caplog.text and f"{len(TEXT)} characters" in caplog.text
    assert PHONE not in caplog.text and TEXT not in caplog.text


def test_the_retry_job_runs_every_minute(settings, flaky, django_capture_on_commit_callbacks):
    job = settings.PERIODIC_JOBS["retry_sms"]
    assert job == {"task": "gridgov.notifications.tasks.retry_sms", "every": 60}
    flaky.failures = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = _queue(django_capture_on_commit_callbacks)
    settings.PERIODIC_JOBS = {"retry_sms": job}
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        # The worker's scheduler enqueues the job; the job hands the message over again.
        assert periodic.run_due() == ["retry_sms"]
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
