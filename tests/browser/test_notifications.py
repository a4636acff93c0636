"""A grid worker with two notifications sees the count on the bell, opens the list,
clicks one, lands where it points, and the count drops; on a phone the bell shows
without opening the menu."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.notifications.actions import notify
from gridgov.notifications.choices import NotificationKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Notice-test-2025!"


@pytest.fixture
def worker(django_user_model):
    user = django_user_model.objects.create_user(
        username="wanggeyuan",
        password=PASSWORD,
        full_name="网格员小王",
        password_changed_at=timezone.now(),
    )
    notify(
        [user],
        kind=NotificationKind.SYSTEM,
        title="请核对您的账户信息",
        body="手机号码用于接收催办短信。",
        link="/account/",
    )
    notify([user], kind=NotificationKind.URGE, title="催办：请尽快上报巡查记录")
    return user


def _login(page, url):
    page.goto(url)
    page.fill("#id_username", "wanggeyuan")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("user-name")).to_have_text("网格员小王")


def test_bell_count_open_a_notification_and_the_count_drops(live_server, page, worker):
    _login(page, f"{live_server.url}/account/")
    count = page.get_by_test_id("notification-count")
    expect(count).to_have_text("2")

    page.get_by_test_id("notification-bell").click()
    expect(page).to_have_url(f"{live_server.url}/notifications/")
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("催办：请尽快上报巡查记录")  # newest first
    expect(page.locator('[data-unread="true"]')).to_have_count(2)

    page.get_by_role("link", name="请核对您的账户信息").click()
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(count).to_have_text("1")

    page.get_by_test_id("notification-bell").click()
    expect(page.locator('[data-unread="true"]')).to_have_count(1)
    page.get_by_test_id("read-all").click()
    expect(page.locator(".alert")).to_contain_text("已将 1 条通知标为已读")
    expect(count).to_have_count(0)
    expect(page.locator('[data-unread="true"]')).to_have_count(0)
    assert page.errors == []


def test_the_bell_shows_on_a_phone_without_opening_the_menu(live_server, browser, worker):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _login_on_phone(page, f"{live_server.url}/notifications/")
        expect(page.get_by_test_id("notification-count")).to_be_visible()
        expect(page.get_by_test_id("notification-count")).to_have_text("2")
        expect(page.get_by_test_id("user-name")).to_be_hidden()  # inside the closed menu
        box = page.get_by_test_id("notification").first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375  # no sideways scrolling
    finally:
        context.close()


def _login_on_phone(page, url):
    page.goto(url)
    page.fill("#id_username", "wanggeyuan")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("notification-bell")).to_be_visible()
