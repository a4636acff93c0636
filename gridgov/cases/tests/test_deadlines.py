"""Deadlines of a case in working days, through the actions: the department's reply is due
five working days after the dispatch (or in the matter's legal time), counted on the
national calendar with its 调休, the regional overrides, and the weekday rule for a year
the calendar lacks (第十七条; docs/workdays.md)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.cases import actions
from gridgov.cases.models import CaseAssignment
from gridgov.cases.testing import POINT_B1, case_world, resident_case
from gridgov.core import workdays
from gridgov.core.actions_workdays import do_set_override
from gridgov.core.models import WorkdayKind
from gridgov.matters.models import Matter

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(territory):
    return case_world(territory)


def end_of(*args) -> datetime:
    """A deadline as the system states it: the end of that local day."""
    return datetime(*args, 23, 59, 59, 999999, tzinfo=CST)


def dispatch_at(world, moment: datetime, *, worker="worker", **overrides):
    """Report, report up, accept and dispatch at ``moment``; returns (case, lead)."""
    with time_machine.travel(moment, tick=False):
        case = resident_case(world, **overrides)
        case = actions.do_escalate(case, "需要执法", actor=world[worker])
        case = actions.do_accept(case, actor=world["town_operator"])
        case = actions.do_dispatch(
            case, world["lead_department"], "请依法处理", actor=world["town_operator"]
        )
        lead = CaseAssignment.objects.get(case=case, role="lead", active=True)
    return case, lead


def test_the_calendar_data_these_tests_rely_on():
    """chinesecalendar's 2026: 国庆 and 中秋 1–7 October, 调休 working days on Sunday
    20 September and Saturday 10 October; the package has no 2027."""
    assert [workdays.is_workday(date(2026, 10, d)) for d in range(1, 11)] == [
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert workdays.day_info(date(2026, 10, 10)).name == "国庆节"
    assert workdays.is_workday(date(2026, 9, 20)) and date(2026, 9, 20).weekday() == 6
    assert not workdays.is_workday(date(2026, 9, 25))  # 中秋节, a Friday
    assert not workdays.library_has(2027)


def test_dispatch_on_the_day_before_national_day(world):
    # Wednesday 30 September 2026, the last working day before 国庆: the five working
    # days are 8, 9, 10 (a Saturday worked for 调休), 12 and 13 October.
    case, lead = dispatch_at(world, datetime(2026, 9, 30, 16, 0, tzinfo=CST))
    assert lead.reply_due_at == end_of(2026, 10, 13)
    # Signing (one working day) is due the first day back.
    assert lead.sign_due_at == end_of(2026, 10, 8)
    assert case.due_at == lead.sign_due_at
    assert case.events.get(kind="dispatched").data["reply_due"].startswith("2026-10-13")

    with time_machine.travel(datetime(2026, 10, 8, 9, 0, tzinfo=CST), tick=False):
        case = actions.do_sign(case, actor=world["handler"])
    assert case.due_at == end_of(2026, 10, 13)


def test_a_working_sunday_counts(world):
    # Friday 18 September 2026: Sunday 20 September is a 调休 working day, so the five
    # working days are 20, 21, 22, 23 and 24 September (the 中秋 Friday, 25th, is not
    # reached). Without the 调休 the deadline would be Monday 28th.
    _case, lead = dispatch_at(world, datetime(2026, 9, 18, 10, 0, tzinfo=CST))
    assert lead.reply_due_at == end_of(2026, 9, 24)
    assert lead.sign_due_at == end_of(2026, 9, 20)


def test_across_the_spring_festival_and_its_working_saturday(world):
    # Thursday 12 February 2026: Friday 13th (1), Saturday 14th worked for 调休 (2), the
    # 春节 holidays 15–23 February, then 24, 25 and 26 February.
    _case, lead = dispatch_at(world, datetime(2026, 2, 12, 10, 0, tzinfo=CST))
    assert lead.reply_due_at == end_of(2026, 2, 26)


def test_a_regional_holiday_moves_the_deadline_by_a_day(world):
    # Thursday 16 April 2026, no national holiday in the following week: due Thursday 23.
    moment = datetime(2026, 4, 16, 10, 0, tzinfo=CST)
    _case, before = dispatch_at(world, moment)
    assert before.reply_due_at == end_of(2026, 4, 23)

    # The administrator enters a Guangxi-style holiday for the province "99" (the test
    # territory's codes start with 9901): Monday 20 April is a day off there.
    with time_machine.travel(moment, tick=False):
        do_set_override(date(2026, 4, 20), "99", WorkdayKind.HOLIDAY, "壮族三月三", actor=None)
    _case, after = dispatch_at(world, moment)
    assert after.reply_due_at == end_of(2026, 4, 24)
    # Elsewhere (钦州, 4507…) the same dispatch is still due on the 23rd.
    assert workdays.add_workdays(moment, 5, "450702112") == end_of(2026, 4, 23)


def test_an_override_for_one_village_leaves_the_next_village_alone(world):
    moment = datetime(2026, 4, 16, 10, 0, tzinfo=CST)
    with time_machine.travel(moment, tick=False):
        do_set_override(
            date(2026, 4, 20), world["village_a"].code, WorkdayKind.HOLIDAY, "村节", actor=None
        )
    in_a, lead_a = dispatch_at(world, moment)
    in_b, lead_b = dispatch_at(
        world, moment, worker="other_worker", lon=POINT_B1[0], lat=POINT_B1[1]
    )
    assert in_a.place_code.startswith(world["village_a"].code)
    assert in_b.place_code.startswith(world["village_b"].code)
    assert lead_a.reply_due_at == end_of(2026, 4, 24)
    assert lead_b.reply_due_at == end_of(2026, 4, 23)


def test_into_a_year_the_calendar_lacks(world):
    # Monday 28 December 2026 → 29, 30, 31 December, then 2027, which chinesecalendar
    # does not know: Friday 1 January counts as a working day by the weekday rule
    # (no crash), and the fifth day is Monday 4 January.
    case, lead = dispatch_at(world, datetime(2026, 12, 28, 10, 0, tzinfo=CST))
    assert lead.reply_due_at == end_of(2027, 1, 4)
    with time_machine.travel(datetime(2026, 12, 28, 11, 0, tzinfo=CST), tick=False):
        case = actions.do_sign(case, actor=world["handler"])
        warnings = workdays.calendar_warnings()
    assert case.due_at == end_of(2027, 1, 4)
    assert any("2027" in text for text in warnings)
    # The warning comes from the calculation as well, not only from the date: seen from
    # a year earlier, 2027 is reported because a deadline was counted into it.
    assert any("2027" in text for text in workdays.calendar_warnings(today=date(2025, 12, 1)))


def test_a_matter_with_a_legal_time_uses_it(world):
    food = Matter.objects.create(
        code="0304001",
        name="食品安全隐患报告",
        work_kind="hazard",
        description="无证经营、售卖过期变质食品等食品安全问题线索",
        level="city",
        area=world["city"],
        department=world["lead_department"],
        duties=["report"],
        deadline_workdays=5,
        legal_deadline_workdays=15,
        legal_basis="《市场监督管理行政处罚程序规定》第十八条",
        resident_reportable=True,
        valid_from=date(2024, 1, 1),
    )
    assert food.handling_workdays == 15
    moment = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
    _case, lead = dispatch_at(world, moment, matter_code="0304001", attributes={})
    # Fifteen working days from Tuesday 24 November: Tuesday 15 December.
    assert lead.reply_due_at == end_of(2026, 12, 15)
    _case, ordinary = dispatch_at(world, moment)
    assert ordinary.reply_due_at == end_of(2026, 12, 1)
