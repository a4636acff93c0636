"""The system administrator sees that 2027's holidays are missing, enters one, confirms the
year, and the dashboard's warning is gone."""

import pytest
import time_machine
from playwright.sync_api import expect

from gridgov.accounts import totp
from gridgov.core.models import CalendarYear, WorkdayOverride
from gridgov.core.testing import grant
from gridgov.orgs.choices import Role
from gridgov.orgs.tests.people import PASSWORD, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def today():
    # The built-in calendar has 2026 but not 2027.
    with time_machine.travel("2026-11-28 10:00 +0800"):
        yield


@pytest.fixture
def sysadmin(transactional_db, today):
    user = person("sysadmin", full_name="系统管理员")
    grant(user, Role.SYSTEM_ADMIN)
    return user


def _login_with_totp(page):
    page.fill("#id_username", "sysadmin")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("h1")).to_have_text("启用动态口令")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.fill("#id_code", totp.code_at(secret, totp.current_step()))
    page.get_by_role("button", name="启用并登录").click()
    expect(page.get_by_test_id("user-name")).to_have_text("系统管理员")


def test_the_administrator_enters_2027_and_the_warning_goes(live_server, page, sysadmin):
    page.goto(f"{live_server.url}/")
    _login_with_totp(page)

    # The dashboard warns that 2027 is counted Monday to Friday.
    expect(page.locator("h1")).to_have_text("工作台")
    warning = page.get_by_test_id("calendar-warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("2027 年的法定节假日和调休尚未配置")
    expect(page.get_by_test_id("map-link")).to_be_visible()
    page.get_by_role("link", name="前往工作日设置").click()

    expect(page.locator("h1")).to_have_text("工作日设置")
    expect(page.get_by_test_id("day-2027-01-01")).to_have_attribute("data-source", "weekday")
    page.fill("#id_day", "2027-01-01")
    page.select_option("#id_kind", "holiday")
    page.select_option("#id_region", "")
    page.fill("#id_name", "元旦")
    page.get_by_role("button", name="保存设置").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "已将 全国 2027-01-01 设为休息日（元旦）"
    )
    expect(page.get_by_test_id("overrides")).to_contain_text("元旦")
    day = page.get_by_test_id("day-2027-01-01")
    expect(day).to_have_attribute("data-workday", "0")
    expect(day).to_have_attribute("data-source", "override")

    page.get_by_role("button", name="确认本年度节假日已录入").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "已确认 全国 2027 年的节假日和调休已录入"
    )
    expect(page.get_by_test_id("confirmations")).to_contain_text("系统管理员")

    page.get_by_role("link", name=sysadmin.full_name).wait_for()
    page.locator(".navbar-brand").click()
    expect(page.locator("h1")).to_have_text("工作台")
    expect(page.get_by_test_id("calendar-warning")).to_have_count(0)
    expect(page.get_by_test_id("map-link")).to_be_visible()

    assert WorkdayOverride.objects.filter(day="2027-01-01", region="", kind="holiday").exists()
    assert CalendarYear.objects.filter(year=2027, region="").exists()
    assert page.errors == []
