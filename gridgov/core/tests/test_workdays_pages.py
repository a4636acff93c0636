"""The working-day settings page (system administrator only) and the dashboard's calendar
warning."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from gridgov.core import workdays
from gridgov.core.actions_workdays import do_set_override
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent, CalendarYear, WorkdayOverride
from gridgov.orgs.tests.people import cast

OTHERS = ["secadmin", "auditor", "town", "worker", "nobody"]


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-11-28 10:00 +0800", tick=False):
        yield date(2026, 11, 28)


@pytest.fixture
def people(territory):
    return cast(territory)


def as_(client, user):
    client.force_login(user)
    return client


def changes():
    return (
        list(WorkdayOverride.objects.values_list("day", "region", "kind", "name")),
        CalendarYear.objects.count(),
        AuditEvent.objects.filter(kind=AuditKind.CONFIG_CHANGED).count(),
    )


def test_the_system_administrator_sees_the_year_day_by_day_with_sources(client, people):
    do_set_override(date(2026, 11, 30), "9901", "holiday", "测试市节日", "", actor=people.sysadmin)
    response = as_(client, people.sysadmin).get("/workdays/", {"region": "990101"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "工作日设置" in page
    assert 'data-testid="day-2026-10-01" data-workday="0" data-source="national"' in page
    assert 'data-testid="day-2026-10-10" data-workday="1" data-source="national"' in page
    assert 'data-testid="day-2026-11-30" data-workday="0" data-source="override"' in page
    assert "10月1日" in page and "国庆节" in page and "测试市节日" in page
    # 2026 is built in: nothing to confirm; 2027 is not.
    assert "确认本年度节假日已录入" not in page
    assert page.count('data-testid="calendar-warning"') == 1


def test_a_lacking_year_is_shown_by_the_weekday_rule_and_can_be_confirmed(client, people):
    response = as_(client, people.sysadmin).get("/workdays/", {"year": "2027"})
    page = response.content.decode()
    assert 'data-testid="day-2027-01-01" data-workday="1" data-source="weekday"' in page
    assert "按周末推定" in page
    assert "确认本年度节假日已录入" in page

    response = client.post(reverse("workday_year_confirm"), {"year": "2027", "region": ""})
    assert response.status_code == 302
    assert response["Location"].startswith("/workdays/?year=2027")
    assert CalendarYear.objects.filter(year=2027, region="").exists()
    page = client.get(response["Location"]).content.decode()
    assert "calendar-warning" not in page
    assert "已确认 全国 2027 年的节假日和调休已录入" in page
    assert "全国：已由 系统管理员" in page


def test_the_system_administrator_adds_and_removes_a_holiday(client, people):
    as_(client, people.sysadmin)
    response = client.post(
        reverse("workday_override_add"),
        {"day": "2027-01-01", "region": "", "kind": "holiday", "name": "元旦", "note": ""},
    )
    assert response.status_code == 302
    override = WorkdayOverride.objects.get()
    assert (override.day, override.region, override.kind) == (date(2027, 1, 1), "", "holiday")
    assert override.created_by == people.sysadmin
    page = client.get(response["Location"]).content.decode()
    assert "已将 全国 2027-01-01 设为休息日（元旦）" in page
    assert 'data-testid="day-2027-01-01" data-workday="0" data-source="override"' in page

    response = client.post(reverse("workday_override_remove", args=[override.pk]))
    assert response.status_code == 302
    assert not WorkdayOverride.objects.exists()
    assert workdays.is_workday(date(2027, 1, 1))


def test_a_duplicate_day_is_refused_on_the_page_and_nothing_changes(client, people):
    do_set_override(date(2027, 1, 1), "", "holiday", "元旦", "", actor=people.sysadmin)
    before = changes()
    response = as_(client, people.sysadmin).post(
        reverse("workday_override_add"),
        {"day": "2027-01-01", "region": "", "kind": "workday", "name": "调休", "note": ""},
    )
    assert response.status_code == 400
    assert "全国 在 2027-01-01 已有设置（元旦，休息日），如需修改请先删除原设置" in (
        response.content.decode()
    )
    assert changes() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "", "name": "元旦"}, "请填写日期"),
        ({"day": "2027-02-30", "name": "元旦"}, "请填写有效日期"),
        ({"day": "2040-01-01", "name": "元旦"}, "日期应在 2004-01-01 至 2031-11-28 之间"),
        ({"day": "2027-01-01", "name": ""}, "请填写名称"),
        ({"day": "2027-01-01", "name": "元旦", "region": "4401"}, "请选择适用地区"),
    ],
)
def test_bad_input_on_the_page_gets_a_chinese_error_and_changes_nothing(
    client, people, data, message
):
    before = changes()
    response = as_(client, people.sysadmin).post(
        reverse("workday_override_add"), {"kind": "holiday", "region": "", **data}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert changes() == before


def test_confirming_a_built_in_year_is_refused(client, people):
    response = as_(client, people.sysadmin).post(
        reverse("workday_year_confirm"), {"year": "2026", "region": ""}
    )
    assert response.status_code == 400
    assert "2026 年的国家法定节假日和调休已内置，无需确认" in response.content.decode()
    assert not CalendarYear.objects.exists()


@pytest.mark.parametrize("who", OTHERS)
def test_the_settings_page_does_not_exist_for_anybody_else(client, people, who):
    override = do_set_override(date(2027, 1, 1), "", "holiday", "元旦", "", actor=people.sysadmin)
    before = changes()
    as_(client, getattr(people, who))
    assert client.get("/workdays/").status_code == 404
    add = {"day": "2027-01-02", "region": "", "kind": "holiday", "name": "元旦"}
    assert client.post(reverse("workday_override_add"), add).status_code == 404
    assert client.post(reverse("workday_override_remove", args=[override.pk])).status_code == 404
    confirm = {"year": "2027", "region": ""}
    assert client.post(reverse("workday_year_confirm"), confirm).status_code == 404
    assert changes() == before
    assert 'href="/workdays/"' not in client.get("/").content.decode()


def test_removing_a_missing_setting_answers_404(client, people):
    assert as_(client, people.sysadmin).post("/workdays/overrides/999/remove/").status_code == 404


def test_the_dashboard_warns_the_system_administrator_and_links_the_settings(client, people):
    response = as_(client, people.sysadmin).get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="calendar-warning"') == 1
    assert "2027 年的法定节假日和调休尚未配置" in page
    assert 'href="/workdays/?year=2027"' in page
    assert 'href="/workdays/"' in page  # the navigation link
    assert f'href="{reverse("areas:map")}"' in page


@pytest.mark.parametrize("who", OTHERS)
def test_everybody_else_sees_the_map_link_without_the_warning(client, people, who):
    page = as_(client, getattr(people, who)).get("/").content.decode()
    assert f'href="{reverse("areas:map")}"' in page
    assert "calendar-warning" not in page


def test_the_dashboard_needs_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
