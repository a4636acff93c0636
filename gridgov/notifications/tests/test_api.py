"""The notification API: my own notifications, the unread count, marking read."""

from gridgov.notifications.actions import notify
from gridgov.notifications.choices import NotificationKind
from gridgov.notifications.models import Notification


def _tell(user, title, **kwargs):
    notify([user], kind=kwargs.pop("kind", NotificationKind.NEW_WORK), title=title, **kwargs)
    return Notification.objects.filter(recipient=user).latest("id")


def test_list_my_notifications_newest_first_and_unread_only(client, alice, bob):
    first = _tell(alice, "待办一", link="/cases/QZ1/", target=("cases.Case", "QZ1"))
    second = _tell(alice, "催办一", kind=NotificationKind.URGE)
    _tell(bob, "别人的待办")
    first.read_at = first.created_at
    first.save()
    client.force_login(alice)
    body = client.get("/api/notifications").json()
    assert body["count"] == 2
    assert [n["id"] for n in body["items"]] == [second.pk, first.pk]
    item = body["items"][1]
    assert item["title"] == "待办一" and item["link"] == "/cases/QZ1/"
    assert (item["target_type"], item["target_id"]) == ("cases.Case", "QZ1")
    assert item["unread"] is False and item["read_at"] is not None
    assert body["items"][0]["kind"] == "urge" and body["items"][0]["kind_label"] == "催办"
    unread = client.get("/api/notifications", {"unread": "true"}).json()
    assert [n["id"] for n in unread["items"]] == [second.pk]
    page = client.get("/api/notifications", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [n["id"] for n in page["items"]] == [first.pk]


def test_count(client, alice, bob):
    _tell(alice, "待办一")
    _tell(alice, "待办二")
    _tell(bob, "别人的待办")
    client.force_login(alice)
    assert client.get("/api/notifications/count").json() == {"unread": 2}


def test_mark_read_only_my_own(client, alice, bob):
    mine = _tell(alice, "待办")
    theirs = _tell(bob, "别人的待办")
    client.force_login(alice)
    response = client.post(f"/api/notifications/{mine.pk}/read")
    assert response.status_code == 200
    assert response.json()["unread"] is False and response.json()["read_at"]
    assert client.post(f"/api/notifications/{mine.pk}/read").status_code == 200  # again: fine
    response = client.post(f"/api/notifications/{theirs.pk}/read")
    assert response.status_code == 404 and response.json()["detail"] == "未找到"
    assert client.post("/api/notifications/999999/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all(client, alice, bob):
    _tell(alice, "待办一")
    _tell(alice, "待办二")
    _tell(bob, "别人的待办")
    client.force_login(alice)
    assert client.post("/api/notifications/read-all").json() == {"marked": 2}
    assert client.get("/api/notifications/count").json() == {"unread": 0}
    assert client.post("/api/notifications/read-all").json() == {"marked": 0}
    assert Notification.objects.for_user(bob).unread().count() == 1


def test_login_required(client, alice):
    mine = _tell(alice, "待办")
    assert client.get("/api/notifications").status_code == 401
    assert client.get("/api/notifications/count").status_code == 401
    assert client.post(f"/api/notifications/{mine.pk}/read").status_code == 401
    mine.refresh_from_db()
    assert mine.read_at is None
