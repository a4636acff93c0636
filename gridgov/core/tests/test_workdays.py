"""Working days: deadlines across national holidays, 调休 weekends, regional holidays and
years the built-in calendar lacks; the settings actions and the in-process cache."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from gridgov.areas.choices import AreaKind, AreaLevel
from gridgov.areas.models import Area
from gridgov.core import workdays
from gridgov.core.actions_workdays import do_confirm_year, do_remove_override, do_set_override
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import NotPermitted
from gridgov.core.models import AuditEvent, CalendarYear, WorkdayOverride
from gridgov.orgs.tests.people import cast

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = "2026-11-28 10:00 +0800"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def due(*args) -> datetime:
    """The end of a local day, as a deadline is stated."""
    return datetime(*args, 23, 59, 59, 999999, tzinfo=SHANGHAI)


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield date(2026, 11, 28)


@pytest.fixture
def people(territory):
    return cast(territory)


@pytest.fixture
def qinzhou(db):
    """钦州市 with two of its counties (real codes)."""
    city = Area.objects.create(code="4507", name="钦州市", level=AreaLevel.CITY, kind=AreaKind.CITY)
    for code, name in (("450702", "钦南区"), ("450722", "浦北县")):
        Area.objects.create(
            code=code, name=name, level=AreaLevel.COUNTY, kind=AreaKind.COUNTY, parent=city
        )
    return city


def changes() -> tuple[int, int, int]:
    return (
        WorkdayOverride.objects.count(),
        CalendarYear.objects.count(),
        AuditEvent.objects.filter(kind=AuditKind.CONFIG_CHANGED).count(),
    )


# The national calendar ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_matter_dispatched_the_day_before_national_day_is_due_after_the_holiday():
    # 2026: 国庆节 and 中秋 off 1–7 October; Saturday 10 October is a 调休 working day.
    start = local(2026, 9, 30, 16, 0)
    assert workdays.add_workdays(start, 5) == due(2026, 10, 13)
    assert [workdays.is_workday(date(2026, 10, d)) for d in (7, 8, 9, 10, 11, 12, 13)] == [
        False,
        True,
        True,
        True,  # Saturday, 调休
        False,
        True,
        True,
    ]


@pytest.mark.django_db
def test_the_local_date_of_the_start_counts_not_the_utc_date():
    # 01:00 on 30 September in Qinzhou is still 29 September in UTC.
    start = datetime(2026, 9, 29, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert workdays.add_workdays(start, 5) == due(2026, 10, 13)
    assert workdays.add_workdays(start, 1) == due(2026, 10, 8)


@pytest.mark.django_db
def test_a_working_saturday_of_the_spring_festival_counts_as_a_working_day():
    # Saturday 28 February 2026 is a 调休 working day after the Spring Festival.
    assert workdays.is_workday(date(2026, 2, 28))
    # Dispatched Thursday 26 February: Fri 27, Sat 28 (调休), Mon 2, Tue 3, Wed 4.
    assert workdays.add_workdays(local(2026, 2, 26, 9), 5) == due(2026, 3, 4)
    assert workdays.workdays_between(date(2026, 2, 26), date(2026, 3, 4)) == 5


@pytest.mark.django_db
def test_a_matter_dispatched_on_a_friday_evening_counts_from_the_next_working_day():
    # Thursday 30 April 2026, evening: 劳动节 1–5 May, Saturday 9 May is worked.
    assert workdays.add_workdays(local(2026, 4, 30, 20, 30), 1) == due(2026, 5, 6)
    assert workdays.add_workdays(local(2026, 4, 30, 20, 30), 4) == due(2026, 5, 9)
    # Friday evening: Monday is the first working day.
    assert workdays.add_workdays(local(2026, 11, 27, 21), 1) == due(2026, 11, 30)


@pytest.mark.django_db
def test_the_deadline_is_aware_and_in_the_system_time_zone():
    deadline = workdays.add_workdays(local(2026, 11, 24, 9), 5)
    assert deadline.utcoffset() == timedelta(hours=8)
    assert deadline == due(2026, 12, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, -1, True, 5.0, "5", 1001])
def test_a_deadline_needs_a_whole_number_of_working_days(days):
    with pytest.raises(ValueError):
        workdays.add_workdays(local(2026, 9, 30, 9), days)


@pytest.mark.django_db
def test_working_days_between_count_the_end_but_not_the_start():
    assert workdays.workdays_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert workdays.workdays_between(date(2026, 10, 8), date(2026, 10, 8)) == 0
    assert workdays.workdays_between(date(2026, 10, 13), date(2026, 9, 30)) == 0


@pytest.mark.django_db
def test_the_source_of_each_day_is_told():
    national = workdays.day_info(date(2026, 10, 1))
    assert (national.workday, national.source, national.name) == (False, "national", "国庆节")
    assert national.source_label == "国家日历"
    assert workdays.day_info(date(2027, 3, 1)).source_label == "按周末推定"


# Regional overrides ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_guangxi_sanyuesan_delays_a_case_in_qinzhou_but_not_in_guangdong(people, qinzhou):
    do_set_override(date(2026, 4, 20), "45", "holiday", "壮族三月三", "", actor=people.sysadmin)
    start = local(2026, 4, 16, 10)  # Thursday
    # Fri 17, Mon 20 (三月三 in Guangxi), Tue 21, Wed 22, Thu 23, Fri 24.
    assert workdays.add_workdays(start, 5, "450702") == due(2026, 4, 24)
    assert workdays.add_workdays(start, 5, "450702101201003") == due(2026, 4, 24)
    assert workdays.add_workdays(start, 5, "44") == due(2026, 4, 23)
    assert workdays.add_workdays(start, 5) == due(2026, 4, 23)
    info = workdays.day_info(date(2026, 4, 20), "450702")
    assert (info.workday, info.source, info.name, info.region) == (
        False,
        "override",
        "壮族三月三",
        "45",
    )


@pytest.mark.django_db
def test_the_most_specific_region_wins(people, qinzhou):
    day = date(2026, 4, 20)
    do_set_override(day, "45", "holiday", "壮族三月三", "", actor=people.sysadmin)
    do_set_override(day, "450722", "workday", "浦北县值班", "", actor=people.sysadmin)
    do_set_override(date(2026, 4, 25), "", "workday", "全国调休", "", actor=people.sysadmin)
    assert not workdays.is_workday(day, "450702")
    assert workdays.is_workday(day, "450722001")
    # A national override counts everywhere below it.
    assert workdays.is_workday(date(2026, 4, 25), "450702")
    assert workdays.is_workday(date(2026, 4, 25))


# Years the built-in calendar lacks ------------------------------------------------------------


@pytest.mark.django_db
def test_a_year_the_calendar_lacks_is_counted_monday_to_friday_and_warned(people, today):
    assert not workdays.library_has(2027)
    # Wednesday 30 December 2026: Thu 31, Fri 1 January (no holiday known), Mon 4, Tue 5, Wed 6.
    assert workdays.add_workdays(local(2026, 12, 30, 9), 5) == due(2027, 1, 6)
    assert workdays.is_workday(date(2027, 1, 1))
    assert not workdays.is_workday(date(2027, 1, 2))
    assert workdays.missing_years() == [2027]
    [warning] = workdays.calendar_warnings()
    assert warning.startswith("2027 年的法定节假日和调休尚未配置")
    assert "周一至周五" in warning


@pytest.mark.django_db
def test_after_entering_and_confirming_2027_the_override_counts_and_the_warning_goes(people, today):
    admin = people.sysadmin
    do_set_override(date(2027, 1, 1), "", "holiday", "元旦", "国办发明电", actor=admin)
    assert workdays.add_workdays(local(2026, 12, 30, 9), 5) == due(2027, 1, 7)
    assert workdays.calendar_warnings() == [workdays.warning_text(2027)]

    do_confirm_year(2027, "", "已按国务院办公厅通知录入", actor=admin)
    assert workdays.calendar_warnings() == []
    assert workdays.missing_years("450702") == []


@pytest.mark.django_db
def test_a_confirmation_for_one_province_does_not_silence_another(people, qinzhou, today):
    do_confirm_year(2027, "45", "", actor=people.sysadmin)
    assert workdays.missing_years("4507") == []
    assert workdays.missing_years("44") == [2027]
    # The test territory (city 9901) is served too and still lacks 2027.
    assert workdays.warning_years() == [2027]
    assert workdays.warning_years(region="450702") == []


@pytest.mark.django_db
def test_a_deadline_that_reaches_a_later_lacking_year_warns_about_it(today):
    assert 2028 not in workdays.missing_years()
    workdays.add_workdays(local(2027, 12, 28, 9), 5)
    assert workdays.missing_years() == [2027, 2028]
    assert len(workdays.calendar_warnings()) == 2


@pytest.mark.django_db
def test_years_the_calendar_has_need_no_warning():
    with time_machine.travel("2025-03-01 10:00 +0800", tick=False):
        assert workdays.missing_years() == []
        assert workdays.calendar_warnings() == []


# The cache -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_action_clears_the_cache_at_once(people, qinzhou):
    day = date(2026, 4, 20)
    assert workdays.is_workday(day, "450702")  # loads the cache
    override = do_set_override(day, "45", "holiday", "壮族三月三", "", actor=people.sysadmin)
    assert not workdays.is_workday(day, "450702")
    do_remove_override(override, actor=people.sysadmin)
    assert workdays.is_workday(day, "450702")


@pytest.mark.django_db
def test_the_cache_clears_again_when_the_change_commits(
    people, qinzhou, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        do_set_override(date(2026, 4, 20), "45", "holiday", "三月三", "", actor=people.sysadmin)
    assert workdays.clear_cache in callbacks


@pytest.mark.django_db
def test_other_changes_are_read_within_the_cache_period(monkeypatch, people, qinzhou):
    day = date(2026, 4, 20)
    assert workdays.is_workday(day, "450702")
    # Another process's change (not through this process's actions).
    WorkdayOverride.objects.create(day=day, region="45", kind="holiday", name="三月三")
    assert workdays.is_workday(day, "450702")
    now = workdays.clock.monotonic()
    monkeypatch.setattr(workdays.clock, "monotonic", lambda: now + workdays.CACHE_SECONDS + 1)
    assert not workdays.is_workday(day, "450702")


@pytest.mark.django_db
def test_deadlines_ask_the_database_nothing_after_the_first_call(django_assert_num_queries):
    workdays.add_workdays(local(2026, 9, 30, 9), 5)
    with django_assert_num_queries(0):
        for hour in range(100):
            workdays.add_workdays(local(2026, 9, 30, 9) + timedelta(hours=hour), 5, "450702")
            workdays.is_workday(date(2026, 10, 10), "450702")


@pytest.mark.django_db
def test_a_calendar_that_cannot_be_read_falls_back_to_the_national_calendar(monkeypatch):
    def broken():
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(workdays, "_load", broken)
    assert workdays.add_workdays(local(2026, 9, 30, 16), 5) == due(2026, 10, 13)
    assert workdays.is_workday(date(2027, 1, 4))


# The actions refuse bad input ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_actions_are_audited(people, today):
    override = do_set_override(date(2027, 1, 1), "", "holiday", "元旦", "", actor=people.sysadmin)
    do_remove_override(override, actor=people.sysadmin)
    do_confirm_year(2027, "", "", actor=people.sysadmin)
    events = list(AuditEvent.objects.filter(kind=AuditKind.CONFIG_CHANGED).order_by("sequence"))
    assert [e.actor_username for e in events] == ["sysadmin"] * 3
    assert events[0].after["name"] == "元旦" and events[0].after["day"] == "2027-01-01"
    assert events[1].before["name"] == "元旦"
    assert events[2].after["year"] == 2027


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes_", "field", "message"),
    [
        ({"region": "46"}, "region", "系统中没有属于代码 46 的区划"),
        ({"region": "450799"}, "region", "区划代码 450799 不存在"),
        ({"region": "广西"}, "region", "适用地区应为"),
        ({"day": date(2003, 12, 31)}, "day", "日期应在 2004-01-01 至 2031-11-28 之间"),
        ({"day": date(2031, 11, 29)}, "day", "日期应在"),
        ({"day": "2027-01-01"}, "day", "请填写日期"),
        ({"kind": "vacation"}, "kind", "请选择休息日或工作日"),
        ({"name": "  "}, "name", "请填写名称"),
        ({"name": "节" * 51}, "name", "名称不超过 50 字"),
        ({"note": "注" * 201}, "note", "备注不超过 200 字"),
    ],
)
def test_a_bad_override_is_refused_with_a_chinese_field_error(
    people, qinzhou, today, changes_, field, message
):
    values = {"day": date(2027, 4, 9), "region": "45", "kind": "holiday", "name": "壮族三月三"}
    values["note"] = ""
    values.update(changes_)
    before = changes()
    with pytest.raises(ValidationError) as refused:
        do_set_override(**values, actor=people.sysadmin)
    assert message in refused.value.message_dict[field][0]
    assert changes() == before


@pytest.mark.django_db
def test_a_second_setting_for_the_same_day_and_region_is_refused(people, qinzhou, today):
    do_set_override(date(2027, 4, 9), "45", "holiday", "壮族三月三", "", actor=people.sysadmin)
    before = changes()
    with pytest.raises(ValidationError) as refused:
        do_set_override(date(2027, 4, 9), "45", "workday", "调休", "", actor=people.sysadmin)
    assert refused.value.message_dict["day"] == [
        "广西壮族自治区 在 2027-04-09 已有设置（壮族三月三，休息日），如需修改请先删除原设置"
    ]
    assert changes() == before
    # The same day for another region is another setting.
    do_set_override(date(2027, 4, 9), "4507", "holiday", "钦州", "", actor=people.sysadmin)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["secadmin", "auditor", "town", "worker", "nobody"])
def test_only_the_system_administrator_changes_the_calendar(people, today, who):
    actor = getattr(people, who)
    override = do_set_override(date(2027, 1, 1), "", "holiday", "元旦", "", actor=people.sysadmin)
    before = changes()
    with pytest.raises(NotPermitted):
        do_set_override(date(2027, 1, 2), "", "holiday", "元旦", "", actor=actor)
    with pytest.raises(NotPermitted):
        do_remove_override(override, actor=actor)
    with pytest.raises(NotPermitted):
        do_confirm_year(2027, "", "", actor=actor)
    assert changes() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("year", "region", "field", "message"),
    [
        (2026, "", "year", "2026 年的国家法定节假日和调休已内置，无需确认"),
        (2003, "", "year", "年度应在 2004 至 2031 之间"),
        (2032, "", "year", "年度应在 2004 至 2031 之间"),
        ("2027", "", "year", "请填写年度"),
        (2027, "99999", "region", "适用地区应为"),
    ],
)
def test_a_bad_year_confirmation_is_refused(people, today, year, region, field, message):
    before = changes()
    with pytest.raises(ValidationError) as refused:
        do_confirm_year(year, region, "", actor=people.sysadmin)
    assert message in refused.value.message_dict[field][0]
    assert changes() == before


@pytest.mark.django_db
def test_a_year_is_confirmed_once_per_region(people, today):
    do_confirm_year(2027, "", "", actor=people.sysadmin)
    before = changes()
    with pytest.raises(ValidationError) as refused:
        do_confirm_year(2027, "", "", actor=people.sysadmin)
    assert refused.value.message_dict["year"] == ["全国 2027 年已确认"]
    assert changes() == before
