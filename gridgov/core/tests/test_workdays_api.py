"""The working-day API: calendar and deadlines for anyone signed in; settings changed by
the system administrator only (404 for anybody else), Chinese field errors (422)."""

from datetime import date

import pytest
import time_machine

from gridgov.areas.choices import AreaKind, AreaLevel
from gridgov.areas.models import Area
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
    Area.objects.create(code="4507", name="钦州市", level=AreaLevel.CITY, kind=AreaKind.CITY)
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


def test_the_calendar_tells_each_day_and_its_source(client, people):
    body = as_(client, people.worker).get("/api/workdays/calendar", {"year": "2026"}).json()
    assert body["year"] == 2026 and body["library_has_year"] is True
    days = {d["date"]: d for d in body["days"]}
    assert len(days) == 365
    assert days["2026-10-01"] == {
        "date": "2026-10-01",
        "workday": False,
        "source": "national",
        "source_label": "国家日历",
        "name": "国庆节",
        "override_region": None,
    }
    assert days["2026-10-10"]["workday"] is True

    body = client.get("/api/workdays/calendar", {"year": "2027", "region": "450702"}).json()
    assert body["library_has_year"] is False and body["confirmed"] is False
    assert body["days"][0]["source"] == "weekday" and body["days"][0]["workday"] is True


def test_a_regional_holiday_shows_in_the_calendar_of_that_region_only(client, people):
    do_set_override(date(2026, 4, 20), "45", "holiday", "壮族三月三", "", actor=people.sysadmin)
    as_(client, people.worker)
    guangxi = client.get("/api/workdays/calendar", {"year": "2026", "region": "450702"}).json()
    day = next(d for d in guangxi["days"] if d["date"] == "2026-04-20")
    assert (day["workday"], day["source"], day["override_region"]) == (False, "override", "45")
    national = client.get("/api/workdays/calendar", {"year": "2026"}).json()
    assert next(d for d in national["days"] if d["date"] == "2026-04-20")["workday"] is True


def test_anyone_signed_in_gets_a_deadline(client, people):
    response = as_(client, people.worker).get(
        "/api/workdays/add", {"start": "2026-09-30T18:00:00+08:00", "days": "5"}
    )
    assert response.status_code == 200
    assert response.json()["deadline"] == "2026-10-13T23:59:59.999+08:00"
    # A time without an offset is local time.
    body = client.get("/api/workdays/add", {"start": "2026-09-30T18:00", "days": "1"}).json()
    assert body["deadline"] == "2026-10-08T23:59:59.999+08:00"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "昨天", "days": "5"}, "start", "请填写有效的开始时间"),
        ({"start": "2026-09-30T18:00", "days": "0"}, "days", "工作日数应为 1 至 1000 的整数"),
        ({"start": "2026-09-30T18:00", "days": "五"}, "days", "工作日数应为"),
        ({"start": "2026-09-30T18:00", "region": "钦州"}, "region", "地区应为区划或网格代码"),
    ],
)
def test_a_bad_deadline_question_gets_a_chinese_field_error(client, people, query, field, message):
    response = as_(client, people.worker).get("/api/workdays/add", query)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "输入有误"
    assert message in body["errors"][field][0]


def test_the_calendar_refuses_a_bad_year(client, people):
    response = as_(client, people.worker).get("/api/workdays/calendar", {"year": "二〇二七"})
    assert response.status_code == 422
    assert response.json()["errors"]["year"] == ["请填写年度，如 2027"]


def test_the_api_needs_a_login(client, db):
    assert client.get("/api/workdays/add", {"start": "2026-09-30", "days": "5"}).status_code == 401


def test_the_system_administrator_adds_lists_and_removes_an_override(client, people):
    as_(client, people.sysadmin)
    payload = {"day": "2027-01-01", "region": "", "kind": "holiday", "name": "元旦"}
    response = client.post("/api/workdays/overrides", payload, content_type="application/json")
    assert response.status_code == 201
    created = response.json()
    assert (created["day"], created["region_label"], created["kind_label"]) == (
        "2027-01-01",
        "全国",
        "休息日",
    )

    listed = as_(client, people.worker).get("/api/workdays/overrides", {"year": "2027"}).json()
    assert [o["id"] for o in listed] == [created["id"]]
    deadline = client.get("/api/workdays/add", {"start": "2026-12-30T09:00", "days": "5"}).json()
    assert deadline["deadline"].startswith("2027-01-07")

    response = as_(client, people.sysadmin).delete(f"/api/workdays/overrides/{created['id']}")
    assert response.status_code == 204
    assert not WorkdayOverride.objects.exists()
    assert client.delete(f"/api/workdays/overrides/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"region": "44"}, "region", "系统中没有属于代码 44 的区划"),
        ({"region": "450799"}, "region", "区划代码 450799 不存在"),
        ({"day": "2027-13-01"}, "day", "请填写有效日期"),
        ({"day": "1999-01-01"}, "day", "日期应在 2004-01-01 至 2031-11-28 之间"),
        ({"kind": "rest"}, "kind", "请选择休息日或工作日"),
        ({"name": ""}, "name", "请填写名称"),
        ({"day": "2027-01-01"}, "day", "全国 在 2027-01-01 已有设置（元旦，休息日）"),
    ],
)
def test_a_bad_override_through_the_api_is_refused_and_changes_nothing(
    client, people, payload, field, message
):
    do_set_override(date(2027, 1, 1), "", "holiday", "元旦", "", actor=people.sysadmin)
    before = changes()
    data = {"day": "2027-02-01", "region": "", "kind": "holiday", "name": "节日", **payload}
    response = as_(client, people.sysadmin).post(
        "/api/workdays/overrides", data, content_type="application/json"
    )
    assert response.status_code == 422
    assert message in response.json()["errors"][field][0]
    assert changes() == before


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_else_may_change_the_calendar_through_the_api(client, people, who):
    override = do_set_override(date(2027, 1, 1), "", "holiday", "元旦", "", actor=people.sysadmin)
    before = changes()
    as_(client, getattr(people, who))
    payload = {"day": "2027-01-02", "region": "", "kind": "holiday", "name": "元旦"}
    response = client.post("/api/workdays/overrides", payload, content_type="application/json")
    assert response.status_code == 404
    assert client.delete(f"/api/workdays/overrides/{override.pk}").status_code == 404
    response = client.post(
        "/api/workdays/years", {"year": 2027, "region": ""}, content_type="application/json"
    )
    assert response.status_code == 404
    assert changes() == before


def test_confirming_a_year_through_the_api_silences_its_warning(client, people):
    as_(client, people.sysadmin)
    warnings = client.get("/api/workdays/warnings").json()
    assert warnings["years"] == [2027]
    assert warnings["warnings"][0].startswith("2027 年的法定节假日和调休尚未配置")

    response = client.post(
        "/api/workdays/years",
        {"year": 2027, "region": "", "note": "已录入"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["region_label"] == "全国"
    assert client.get("/api/workdays/warnings").json() == {"years": [], "warnings": []}

    response = client.post(
        "/api/workdays/years", {"year": 2027, "region": ""}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"]["year"] == ["全国 2027 年已确认"]
    response = client.post(
        "/api/workdays/years", {"year": "明年", "region": ""}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"]["year"] == ["请填写年度，如 2027"]
    assert CalendarYear.objects.count() == 1


def test_warnings_for_one_region(client, people):
    as_(client, people.sysadmin)
    client.post(
        "/api/workdays/years", {"year": 2027, "region": "45"}, content_type="application/json"
    )
    assert client.get("/api/workdays/warnings", {"region": "450702"}).json()["years"] == []
    assert client.get("/api/workdays/warnings", {"region": "9901"}).json()["years"] == [2027]
