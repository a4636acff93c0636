"""A town operator signs in with password and TOTP and sees only that town's grids."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.accounts import totp
from gridgov.areas.models import Grid
from gridgov.core.testing import XINIUJIAO, build_persona_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Xiniujiao-2025!"


@pytest.fixture
def town_operator(transactional_db):
    users = build_persona_world()
    user = users["xiniujiao"]
    user.set_password(PASSWORD)
    user.full_name = "犀牛脚镇操作员"
    user.password_changed_at = timezone.now()
    user.save()
    return user


def test_town_operator_logs_in_with_totp_and_sees_only_its_town(live_server, page, town_operator):
    page.goto(f"{live_server.url}/areas/grids/?status=")
    page.fill("#id_username", "xiniujiao")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()

    # First login of an agency account: enrol the authenticator, then use a wrong code.
    expect(page.locator("h1")).to_have_text("启用动态口令")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.fill(
        "#id_code", "123456" if totp.code_at(secret, totp.current_step()) != "123456" else "654321"
    )
    page.get_by_role("button", name="启用并登录").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("动态口令不正确")
    page.fill("#id_code", totp.code_at(secret, totp.current_step()))
    page.get_by_role("button", name="启用并登录").click()
    expect(page.get_by_test_id("user-name")).to_have_text("犀牛脚镇操作员")

    expect(page).to_have_url(f"{live_server.url}/areas/grids/?status=")
    rows = page.locator("table tbody tr")
    visible = {
        code for code in Grid.objects.values_list("code", flat=True) if code.startswith(XINIUJIAO)
    }
    expect(rows).to_have_count(len(visible))
    text = page.locator("table").inner_text()
    for code in Grid.objects.values_list("code", flat=True):
        assert (code in text) == code.startswith(XINIUJIAO), code

    # Another town's grid answers like a page that does not exist.
    other = Grid.objects.exclude(code__startswith=XINIUJIAO).first()
    response = page.goto(f"{live_server.url}/areas/grids/{other.code}/")
    assert response.status == 404
    expect(page.locator("body")).to_contain_text("页面不存在")

    # Logging out and in again asks for the code only.
    page.goto(f"{live_server.url}/areas/grids/")
    page.get_by_role("button", name="退出").click()
    page.fill("#id_username", "xiniujiao")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("h1")).to_have_text("动态口令")
