"""The notification pages and the bell: a user's own notifications only, newest first,
opened notifications marked read, links that never leave the site."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridgov.notifications.actions import notify
from gridgov.notifications.choices import NotificationKind
from gridgov.notifications.models import Notification

LIST = reverse("notifications:list")


def _notice(user, title, *, link="", minutes_ago=0, kind=NotificationKind.NEW_WORK):
    notify([user], kind=kind, title=title, link=link)
    n = Notification.objects.filter(recipient=user).latest("id")
    if minutes_ago:
        n.created_at = timezone.now() - timedelta(minutes=minutes_ago)
        n.save(update_fields=["created_at"])
    return n


def _bell(response) -> str | None:
    match = re.search(r'data-testid="notification-count">([^<]*)<', response.content.decode())
    return match.group(1) if match else None


def test_the_list_shows_my_notifications_newest_first(client, alice, bob):
    _notice(alice, "较早的待办", minutes_ago=30)
    _notice(alice, "最新的催办", kind=NotificationKind.URGE)
    _notice(bob, "别人的待办")
    client.force_login(alice)
    response = client.get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.index("最新的催办") < text.index("较早的待办")
    assert "别人的待办" not in text
    assert text.count('data-unread="true"') == 2
    assert "催办" in text and "全部标为已读" in text
    assert _bell(response) == "2"


def test_only_unread_and_pages_of_fifty(client, alice):
    for i in range(51):
        _notice(alice, f"通知{i:02d}", minutes_ago=100 - i)
    old = Notification.objects.get(title="通知00")
    old.read_at = timezone.now()
    old.save()
    client.force_login(alice)
    first = client.get(LIST).content.decode()
    assert first.count('data-testid="notification"') == 50
    assert "通知50" in first and "通知00" not in first
    second = client.get(LIST, {"page": 2}).content.decode()
    assert second.count('data-testid="notification"') == 1 and "通知00" in second
    assert 'data-unread="false"' in second
    unread = client.get(LIST, {"unread": "1"}).content.decode()
    assert unread.count('data-testid="notification"') == 50  # 通知00 is read
    assert "通知00" not in unread


def test_an_empty_list_says_so(client, alice):
    client.force_login(alice)
    response = client.get(LIST)
    assert "没有通知。" in response.content.decode()
    assert _bell(response) is None  # no badge at zero
    assert "没有未读通知。" in client.get(LIST, {"unread": "1"}).content.decode()


def test_opening_marks_read_and_goes_to_the_link(client, alice):
    n = _notice(alice, "新待办：QZ20250001", link="/cases/QZ20250001/")
    client.force_login(alice)
    response = client.get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/cases/QZ20250001/"
    n.refresh_from_db()
    assert n.read_at is not None
    assert _bell(client.get(LIST)) is None


def test_a_notification_without_a_link_opens_in_the_list(client, alice):
    n = _notice(alice, "系统将于今晚维护", kind=NotificationKind.SYSTEM)
    client.force_login(alice)
    response = client.get(reverse("notifications:open", args=[n.pk]))
    assert response["Location"] == f"{LIST}#n{n.pk}"


def test_a_link_to_another_site_is_never_followed(client, alice):
    # Passes the database check (it starts with one "/"), yet a browser strips the tab
    # and reads "//evil.example": the page refuses it.
    n = Notification.objects.create(
        recipient=alice, kind=NotificationKind.SYSTEM, title="x", link="/\t/evil.example/"
    )
    client.force_login(alice)
    response = client.get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == f"{LIST}#n{n.pk}"


def test_another_users_notification_is_not_found(client, alice, bob):
    theirs = _notice(bob, "别人的待办", link="/cases/QZ1/")
    client.force_login(alice)
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_one_and_all_read(client, alice, bob):
    one = _notice(alice, "待办一")
    _notice(alice, "待办二")
    _notice(bob, "别人的待办")
    client.force_login(alice)
    assert client.get(reverse("notifications:read", args=[one.pk])).status_code == 405
    response = client.post(reverse("notifications:read", args=[one.pk]), {"unread": "1"})
    assert response["Location"] == f"{LIST}?unread=1"
    one.refresh_from_db()
    assert one.read_at is not None
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "已将 1 条通知标为已读" in response.content.decode()
    assert not Notification.objects.for_user(alice).unread().exists()
    assert Notification.objects.for_user(bob).unread().count() == 1
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "没有未读通知" in response.content.decode()


def test_pages_need_a_login(client, alice):
    n = _notice(alice, "待办")
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("notifications:open", args=[n.pk])).status_code == 302
    n.refresh_from_db()
    assert n.read_at is None


def test_the_bell_is_on_every_page_with_one_count_query(client, alice):
    for i in range(3):
        _notice(alice, f"待办{i}")
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("account"))
    assert response.status_code == 200
    assert _bell(response) == "3"
    counts = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()


def test_the_bell_shows_99_plus(client, alice):
    Notification.objects.bulk_create(
        Notification(recipient=alice, kind=NotificationKind.NEW_WORK, title=f"待办{i}")
        for i in range(100)
    )
    client.force_login(alice)
    response = client.get(LIST)
    assert _bell(response) == "99+"
    assert "100</span>" in response.content.decode()  # the list itself gives the number
