"""notify() and send_sms(): one notification per active recipient, repeated reminders
made once, text messages queued with the phone and text encrypted."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import QuerySet

from gridgov.core.exceptions import NotPermitted
from gridgov.core.testing import grant, make_territory
from gridgov.notifications import actions
from gridgov.notifications.actions import notify, send_sms
from gridgov.notifications.choices import NotificationKind, SmsStatus
from gridgov.notifications.models import Notification, NotificationQuerySet, SmsMessage
from gridgov.orgs.choices import Role

NEW_WORK = NotificationKind.NEW_WORK


def test_one_notification_per_active_recipient(alice, bob, make_user):
    retired = make_user("retired", active=False)
    created = notify(
        [alice, bob, retired, alice.pk],  # a user twice (object and id) is told once
        kind=NEW_WORK,
        title="新待办：QZ20250001 路灯不亮",
        body="请在 5 个工作日内办结",
        link="/cases/QZ20250001/",
        target=("cases.Case", "QZ20250001"),
    )
    assert created == 2
    rows = Notification.objects.order_by("recipient__username")
    assert [n.recipient.username for n in rows] == ["alice", "bob"]
    first = rows[0]
    assert (first.kind, first.title, first.link) == (
        NEW_WORK,
        "新待办：QZ20250001 路灯不亮",
        "/cases/QZ20250001/",
    )
    assert (first.target_type, first.target_id) == ("cases.Case", "QZ20250001")
    assert first.is_unread
    assert not SmsMessage.objects.exists()  # no text unless asked


def test_a_model_object_as_target(alice, territory):
    notify([alice], kind=NotificationKind.SYSTEM, title="网格已调整", target=territory["town"])
    n = Notification.objects.get()
    assert (n.target_type, n.target_id) == ("areas.Area", territory["town"].code)


def test_nobody_to_tell_creates_nothing(make_user):
    retired = make_user("retired", active=False)
    assert notify([retired], kind=NEW_WORK, title="x") == 0
    assert notify([], kind=NEW_WORK, title="x", sms=True) == 0
    assert not Notification.objects.exists()


def test_the_same_reminder_twice_is_one_notification(alice, bob):
    key = "case:QZ20250001:due_soon"
    assert notify([alice], kind=NotificationKind.DUE_SOON, title="即将到期", dedupe_key=key) == 1
    assert (
        notify([alice, bob], kind=NotificationKind.DUE_SOON, title="即将到期", dedupe_key=key) == 1
    )
    assert (
        notify([alice, bob], kind=NotificationKind.DUE_SOON, title="即将到期", dedupe_key=key) == 0
    )
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert Notification.objects.filter(recipient=bob).count() == 1
    # Without a key, saying it again is a new notification (an operator urges twice).
    notify([alice], kind=NotificationKind.URGE, title="请尽快办理")
    notify([alice], kind=NotificationKind.URGE, title="请尽快办理")
    assert Notification.objects.filter(recipient=alice, kind=NotificationKind.URGE).count() == 2


def test_the_database_refuses_a_second_row_with_the_same_key(alice):
    Notification.objects.create(recipient=alice, kind=NEW_WORK, title="a", dedupe_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=alice, kind=NEW_WORK, title="b", dedupe_key="k")
    # An empty key is no key: any number of rows.
    Notification.objects.create(recipient=alice, kind=NEW_WORK, title="c")
    Notification.objects.create(recipient=alice, kind=NEW_WORK, title="d")


def _when_unlocked(work):
    """Run ``work`` again while the test database reports a lock.

    The SQLite test database lives in memory with a shared cache, which answers a second
    writer with "table is locked" at once instead of waiting like a database file (WAL,
    busy timeout) does; the retry stands in for that wait. PostgreSQL never needs it.
    """
    from django.db import OperationalError

    for _ in range(500):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            threading.Event().wait(0.01)
    raise AssertionError("the test database stayed locked")


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_make_one_notification(make_user, monkeypatch):
    user = make_user("handler", phone="13700137000")
    racing = connection.vendor == "postgresql"
    start = threading.Barrier(2)
    both_checked = threading.Barrier(2)
    real_bulk_create = QuerySet.bulk_create

    def bulk_create_together(self, objs, *args, **kwargs):
        # On PostgreSQL both transactions have looked for an earlier row (and found
        # none) before either inserts: only the constraint can keep the second out.
        if racing and self.model is Notification:
            both_checked.wait(10)
        return real_bulk_create(self, objs, *args, **kwargs)

    monkeypatch.setattr(NotificationQuerySet, "bulk_create", bulk_create_together)
    results, errors = [], []

    def sweep():
        try:
            start.wait(10)

            def once():
                with transaction.atomic():
                    return notify(
                        [user.pk],
                        kind=NotificationKind.OVERDUE,
                        title="已超期：QZ20250001",
                        dedupe_key="case:QZ20250001:overdue",
                        sms=True,
                    )

            results.append(_when_unlocked(once))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(results) == [0, 1]
    assert Notification.objects.filter(recipient=user).count() == 1
    assert SmsMessage.objects.count() == 1


def test_links_lead_only_to_this_site(alice):
    for link in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "cases/1/",
        "/\t/evil.example/",
    ):
        with pytest.raises(ValueError, match="path of this site"):
            notify([alice], kind=NEW_WORK, title="x", link=link)
    assert not Notification.objects.exists()
    # And the database itself refuses a row that leads elsewhere.
    for link in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(recipient=alice, kind=NEW_WORK, title="x", link=link)


def test_calling_mistakes_are_refused(alice):
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify([alice], kind="party", title="x")
    with pytest.raises(ValueError, match="title"):
        notify([alice], kind=NEW_WORK, title="   ")
    with pytest.raises(ValueError, match="dedupe_key"):
        notify([alice], kind=NEW_WORK, title="x", dedupe_key="k" * 201)
    assert not Notification.objects.exists()


def test_id_numbers_typed_by_staff_are_masked_not_sent(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            [alice],
            kind=NotificationKind.URGE,
            title="核实 450702199001011234 的住址",
            body="当事人身份证 45070219900101123x，请尽快处理",
            sms=True,
        )
        send_sms("13900139000", "您登记的身份证 450702199001011234 已核实")
    n = Notification.objects.get()
    assert n.title == "核实 450***********1234 的住址"
    assert n.body == "当事人身份证 450***********123x，请尽快处理"
    texts = sorted(m.text for m in SmsMessage.objects.all())
    assert texts == [
        "您登记的身份证 450***********1234 已核实",
        "核实 450***********1234 的住址：当事人身份证 450***********123x，请尽快处理",
    ]
    assert all(m.status == SmsStatus.SENT for m in SmsMessage.objects.all())


def test_a_long_title_is_shortened(alice):
    notify([alice], kind=NEW_WORK, title="很长的标题" * 60)
    title = Notification.objects.get().title
    assert len(title) == 200 and title.endswith("…")


def test_sms_goes_to_each_new_recipient_with_a_mobile_number(alice, bob, make_user):
    landline = make_user("landline", phone="0777-2821234")
    nophone = make_user("nophone")
    notify(
        [alice, bob, landline, nophone],
        kind=NotificationKind.SUPERVISION,
        title="督办：QZ20250001",
        body="请于今日内反馈办理情况",
        dedupe_key="case:QZ20250001:supervision:1",
        sms=True,
    )
    assert Notification.objects.count() == 4
    messages = {m.recipient.username: m for m in SmsMessage.objects.select_related("recipient")}
    assert set(messages) == {"alice", "bob"}
    assert messages["alice"].phone == "13800138000"  # normalised
    assert messages["alice"].text == "督办：QZ20250001：请于今日内反馈办理情况"
    assert messages["alice"].status == SmsStatus.QUEUED
    assert messages["alice"].next_attempt_at is not None
    # Told again with the same key: no second text either.
    notify(
        [alice, bob],
        kind=NotificationKind.SUPERVISION,
        title="督办",
        dedupe_key="case:QZ20250001:supervision:1",
        sms=True,
    )
    assert SmsMessage.objects.count() == 2


def test_phone_and_text_are_stored_encrypted(alice):
    notify([alice], kind=NEW_WORK, title="新待办：钦南区路灯不亮", sms=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, text FROM notifications_smsmessage")
        phone, text = cursor.fetchone()
    assert "13800138000" not in phone and "路灯" not in text
    message = SmsMessage.objects.get()
    assert message.phone == "13800138000" and "路灯" in message.text
    assert message.masked_phone == "138****8000"
    assert "13800138000" not in str(message)


def test_send_sms_to_a_resident(alice):
    message = send_sms(
        "+86 139-0013-9000", "您反映的问题已办结，感谢您的监督。", dedupe_key="case:QZ1:result"
    )
    assert message.recipient is None and message.phone == "13900139000"
    again = send_sms(
        "13900139000", "您反映的问题已办结，感谢您的监督。", dedupe_key="case:QZ1:result"
    )
    assert again.pk == message.pk and SmsMessage.objects.count() == 1
    # A landline or no number: nothing to text, and the caller is told by None.
    assert send_sms("0777-2821234", "已办结") is None
    assert send_sms("", "已办结") is None
    assert SmsMessage.objects.count() == 1
    staff = send_sms(alice.phone, "请登录系统查看", recipient=alice)
    assert staff.recipient == alice


def test_send_sms_refuses_bad_texts(db):
    with pytest.raises(ValueError, match="300"):
        send_sms("13900139000", "字" * 301)
    with pytest.raises(ValueError, match="needs a text"):
        send_sms("13900139000", "  ")
    assert not SmsMessage.objects.exists()


def test_mark_read_one_all_and_by_target(alice, bob):
    notify([alice, bob], kind=NEW_WORK, title="待办 1", target=("cases.Case", "QZ1"))
    notify([alice], kind=NotificationKind.URGE, title="催办 1", target=("cases.Case", "QZ1"))
    notify([alice], kind=NEW_WORK, title="待办 2", target=("cases.Case", "QZ2"))
    mine = Notification.objects.for_user(alice)
    first = mine.get(title="待办 2")
    actions.do_mark_read(first, actor=alice)
    assert first.read_at is not None
    read_at = first.read_at
    actions.do_mark_read(first, actor=alice)  # again: the first reading time stays
    first.refresh_from_db()
    assert first.read_at == read_at
    with pytest.raises(NotPermitted):
        actions.do_mark_read(Notification.objects.get(recipient=bob), actor=alice)
    assert actions.do_mark_target_read(("cases.Case", "QZ1"), actor=alice) == 2
    assert mine.unread().count() == 0
    assert Notification.objects.for_user(bob).unread().count() == 1  # bob's untouched
    notify([alice], kind=NEW_WORK, title="待办 3")
    assert actions.do_mark_all_read(actor=alice) == 1
    assert Notification.objects.for_user(bob).unread().count() == 1


def test_a_user_sees_their_own_with_or_without_a_post(alice, bob):
    """restrict() unions rules over posts; for_user() does not need one."""
    territory = make_territory(grids_per_village=1)
    grant(alice, Role.AGENCY_OPERATOR, area=territory["town"])
    notify([alice, bob], kind=NEW_WORK, title="待办")
    own = Notification.objects.get(recipient=alice)
    assert list(Notification.objects.restrict(alice, "view")) == [own]
    assert list(Notification.objects.for_user(alice)) == [own]
    # Bob holds no post: restrict() gives him nothing, for_user() his notification.
    assert not Notification.objects.restrict(bob, "view").exists()
    assert [n.recipient for n in Notification.objects.for_user(bob)] == [bob]
    bob.is_active = False
    assert not Notification.objects.for_user(bob).exists()
