"""The admission flow in a browser: a department applies, the agency approves, and the
matter is on the public list (no login) from its effective date (today)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.accounts import totp
from gridgov.core.testing import make_territory
from gridgov.matters.models import Matter, MatterApplication
from gridgov.matters.testing import matter_people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Matters-test-2025!"


@pytest.fixture
def people(transactional_db):
    people = matter_people(make_territory())
    for key in ("handler", "agency"):
        people[key].set_password(PASSWORD)
        people[key].save()
    return people


def _login_with_totp(page, username, full_name):
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("h1")).to_have_text("启用动态口令")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.fill("#id_code", totp.code_at(secret, totp.current_step()))
    page.get_by_role("button", name="启用并登录").click()
    expect(page.get_by_test_id("user-name")).to_have_text(full_name)


def test_department_applies_agency_approves_public_list_shows_it(live_server, page, people):
    today = timezone.localdate().isoformat()

    # The public list has nothing yet, and needs no login.
    page.goto(f"{live_server.url}/public/matters/")
    expect(page.get_by_test_id("empty")).to_be_visible()

    # The department handler applies for admission, effective today.
    page.goto(f"{live_server.url}/matters/applications/new/")
    _login_with_totp(page, "minzheng", "民政经办人")
    expect(page.locator("h1")).to_have_text("申请纳入、调整或退出")
    page.select_option("#id_kind", "admission")
    page.fill("#id_name", "独居老人定期探访")
    page.select_option("#id_work_kind", "livelihood")
    page.fill("#id_description", "每月走访独居老人，了解生活和健康状况。")
    page.check("input[name=duties][value=serve]")
    page.check("input[name=duties][value=report]")
    page.fill("#id_deadline_workdays", "5")
    page.fill("#id_reason", "民政服务下沉网格")
    page.fill("#id_staff_provided", "每网格配 1 名兼职")
    page.fill("#id_funds_provided", "每网格每年 2000 元")
    page.fill("#id_training_provided", "每季度培训一次")
    page.fill("#id_effective_date", today)
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_test_id("application-status")).to_have_text("待审核")
    number = MatterApplication.objects.get().number
    page.get_by_role("button", name="退出").click()

    # The city agency operator approves.
    page.goto(f"{live_server.url}/matters/applications/{number}/")
    _login_with_totp(page, "city-agency", "市中心操作员")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已同意")
    code = Matter.objects.get().code
    expect(page.get_by_test_id("matter-code")).to_have_text(code)
    page.get_by_role("button", name="退出").click()

    # Logged out, the public list shows the matter and its notice.
    page.goto(f"{live_server.url}/public/matters/")
    table = page.get_by_test_id("matters")
    expect(table).to_contain_text(code)
    expect(table).to_contain_text("独居老人定期探访")
    expect(table).to_contain_text("测试市民政局")
    expect(page.get_by_test_id("notices")).to_contain_text("纳入网格服务管理事项清单的公告")
    page.get_by_role("link", name=code).first.click()
    expect(page.get_by_test_id("status")).to_have_text("现行")
    assert page.errors == []
