"""A case's whole journey through the actions, and the refusals on the way."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from gridgov.cases import actions
from gridgov.cases.choices import Status
from gridgov.cases.inbox import inbox
from gridgov.cases.models import Case, CaseAssignment
from gridgov.cases.testing import case_world, resident_case
from gridgov.core.exceptions import Conflict, IllegalTransition, NotPermitted

CST = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=CST)


@pytest.fixture
def world(territory):
    return case_world(territory)


def local_day(moment):
    return moment.astimezone(CST).date()


@time_machine.travel(TUESDAY, tick=False)
def test_a_resident_report_goes_all_the_way_to_a_rating(world):
    case = resident_case(world)
    assert case.number.startswith("SJ20261124")
    assert case.status == Status.AT_GRID and case.holder_grid == world["grid_a1"]
    assert list(inbox(world["worker"])) == [case]
    assert list(inbox(world["town_operator"])) == []

    # No village staff in the test territory: 上报 goes straight to the town.
    case = actions.do_escalate(case, "摊主不听劝阻", actor=world["worker"])
    assert case.status == Status.SUBMITTED and case.holder_area == world["town"]
    assert list(inbox(world["worker"])) == []
    assert list(inbox(world["town_operator"])) == [case]

    case = actions.do_accept(case, actor=world["town_operator"])
    case = actions.do_dispatch(
        case,
        world["lead_department"],
        "请依法处理占道经营",
        assist=[world["assist_department"]],
        actor=world["town_operator"],
    )
    assert case.status == Status.DISPATCHED
    lead = CaseAssignment.objects.get(case=case, role="lead")
    # Five working days from Tuesday 24 November: Tuesday 1 December, end of day.
    assert local_day(lead.reply_due_at) == date(2026, 12, 1)
    assert list(inbox(world["handler"])) == [case]

    case = actions.do_sign(case, actor=world["handler"])
    assert case.status == Status.HANDLING and case.due_at == lead.reply_due_at
    case = actions.do_reply(case, "已劝离摊贩三处，并设置禁止摆摊提示牌", actor=world["handler"])
    assert case.status == Status.REPLIED and case.holder_area == world["town"]

    case = actions.do_verify(case, True, actor=world["town_operator"])
    assert case.status == Status.RESOLVED
    case = actions.do_feedback(case, "已清理占道摊位，谢谢您的反映", actor=world["town_operator"])
    assert case.status == Status.FED_BACK
    assert list(inbox(world["town_operator"])) == []

    case = actions.do_rate(case, "satisfied")
    assert case.status == Status.CLOSED and case.holder_area is None
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        "submitted",
        "reported_up",
        "accepted",
        "dispatched",
        "signed",
        "replied",
        "verified",
        "feedback",
        "rated",
        "closed",
    ]


@time_machine.travel(TUESDAY, tick=False)
def test_unsatisfied_reopens_once_then_closes(world):
    case = resident_case(world)
    case = actions.do_resolve_on_site(case, "已劝离", actor=world["worker"])
    case = actions.do_feedback(case, "已处理", actor=world["worker"])
    with pytest.raises(ValidationError):
        actions.do_rate(case, "unsatisfied", "")
    case = actions.do_rate(case, "unsatisfied", "第二天又来摆摊了")
    assert case.status == Status.AT_GRID and case.reopen_count == 1
    assert case.feedback == "" and case.result == ""  # the old answer is history now
    assert case.events.filter(kind="feedback", note="已处理").exists()
    case = actions.do_resolve_on_site(case, "已联系城管长期巡查", actor=world["worker"])
    case = actions.do_feedback(case, "已安排长期巡查", actor=world["worker"])
    case = actions.do_rate(case, "unsatisfied", "还是不满意")
    assert case.status == Status.CLOSED and case.rating == "unsatisfied"


@time_machine.travel(TUESDAY, tick=False)
def test_only_the_holder_acts_and_stale_pages_get_a_conflict(world):
    case = resident_case(world)
    with pytest.raises(NotPermitted):
        actions.do_escalate(case, "不归我管", actor=world["other_worker"])
    with pytest.raises(IllegalTransition):
        actions.do_accept(case, actor=world["town_operator"])
    stale = Case.objects.get(pk=case.pk)
    actions.do_escalate(case, "摊主不听劝阻", actor=world["worker"])
    with pytest.raises(Conflict, match="刚刚被他人处理"):
        actions.do_resolve_on_site(stale, "已解决", actor=world["worker"])
    fresh = Case.objects.get(pk=case.pk)
    with pytest.raises(IllegalTransition, match="待受理"):
        actions.do_resolve_on_site(fresh, "已解决", actor=world["worker"])
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


@time_machine.travel(TUESDAY, tick=False)
def test_a_department_returns_within_its_window_only(world):
    case = resident_case(world)
    case = actions.do_escalate(case, "需要执法", actor=world["worker"])
    case = actions.do_accept(case, actor=world["town_operator"])
    case = actions.do_dispatch(
        case, world["lead_department"], "请处理", actor=world["town_operator"]
    )
    case = actions.do_return(case, "不属于本中队职责", actor=world["handler"])
    assert case.status == Status.ACCEPTED and case.holder_area == world["town"]
    assert not CaseAssignment.objects.filter(case=case, active=True).exists()
    case = actions.do_dispatch(
        case, world["lead_department"], "请处理", actor=world["town_operator"]
    )
    later = time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=CST), tick=False)
    with later, pytest.raises(IllegalTransition, match="退回期限"):
        actions.do_return(case, "不归我们", actor=world["handler"])


@time_machine.travel(TUESDAY, tick=False)
def test_dispatch_is_refused_to_a_department_of_another_level(world):
    case = resident_case(world)
    case = actions.do_escalate(case, "需要执法", actor=world["worker"])
    case = actions.do_accept(case, actor=world["town_operator"])
    with pytest.raises(ValidationError) as error:
        actions.do_dispatch(
            case, world["county_department"], "请处理", actor=world["town_operator"]
        )
    assert "联动部门" in str(error.value)
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


@time_machine.travel(TUESDAY, tick=False)
def test_extension_rework_postpone_and_park(world):
    case = resident_case(world)
    case = actions.do_escalate(case, "需要执法", actor=world["worker"])
    case = actions.do_accept(case, actor=world["town_operator"])
    case = actions.do_dispatch(
        case, world["lead_department"], "请处理", actor=world["town_operator"]
    )
    case = actions.do_sign(case, actor=world["handler"])
    case = actions.do_request_extension(
        case, date(2026, 12, 4), "需要联合市场监管所执法", actor=world["handler"]
    )
    with pytest.raises(NotPermitted):
        actions.do_decide_extension(case, True, actor=world["handler"])
    case = actions.do_decide_extension(case, True, actor=world["town_operator"])
    assert local_day(case.due_at) == date(2026, 12, 4)
    case = actions.do_reply(case, "已处理", actor=world["handler"])
    case = actions.do_verify(case, False, "现场仍有摊位，请返工", actor=world["town_operator"])
    assert case.status == Status.HANDLING and case.holder_department == world["lead_department"]
    case = actions.do_reply(case, "已全部清理", actor=world["handler"])
    case = actions.do_verify(case, True, actor=world["town_operator"])
    assert case.status == Status.RESOLVED

    other = resident_case(world, description="路灯不亮，晚上很黑")
    other = actions.do_escalate(other, "需协调", actor=world["worker"])
    other = actions.do_accept(other, actor=world["town_operator"])
    with pytest.raises(NotPermitted, match="负责人"):
        actions.do_park(other, "需纳入明年预算", actor=world["town_operator"])
    other = actions.do_park(other, "需纳入明年预算", actor=world["town_leader"])
    assert other.status == Status.PARKED and other.due_at is None
    other = actions.do_resume(other, "预算已落实", actor=world["town_operator"])
    assert other.status == Status.ACCEPTED and other.due_at is not None


@time_machine.travel(TUESDAY, tick=False)
def test_intake_refuses_bad_input_and_changes_nothing(world):
    before = Case.objects.count()
    bad = [
        ({"matter_code": "9999999"}, "matter"),
        ({"description": "  "}, "description"),
        ({"lon": 100.0, "lat": 30.0}, "location"),
        ({"lon": None, "lat": None}, "location"),
        ({"reporter_phone": ""}, "reporter_phone"),
        ({"reporter_phone": "abc"}, "reporter_phone"),
        ({"urgency": "panic"}, "urgency"),
        ({"attributes": {"stalls": "many"}}, "attributes"),
        ({"attributes": {"colour": "red"}}, "attributes"),
    ]
    for overrides, field in bad:
        with pytest.raises(ValidationError) as error:
            resident_case(world, **overrides)
        assert field in error.value.message_dict, overrides
    assert Case.objects.count() == before


@time_machine.travel(TUESDAY, tick=False)
def test_the_same_idempotency_key_gives_the_same_case(world):
    first = resident_case(world, idempotency_key="k-1")
    again = resident_case(world, idempotency_key="k-1")
    assert again.pk == first.pk
    with pytest.raises(ValidationError):
        resident_case(world, idempotency_key="k-1", description="另一件事")
    assert Case.objects.count() == 1


@time_machine.travel(TUESDAY, tick=False)
def test_anonymous_reports_keep_no_contact_and_close_after_feedback(world):
    case = resident_case(world, anonymous=True)
    assert case.reporter_phone == "" and case.reporter_name == ""
    case = actions.do_resolve_on_site(case, "已劝离", actor=world["worker"])
    case = actions.do_feedback(case, "已处理", actor=world["worker"])
    assert case.status == Status.CLOSED
    assert list(case.events.values_list("kind", flat=True))[-2:] == ["feedback", "closed"]


@time_machine.travel(TUESDAY, tick=False)
def test_a_duplicate_is_merged_into_the_first_report(world):
    first = resident_case(world)
    second = resident_case(world, description="同一处占道经营")
    for case in (first, second):
        actions.do_escalate(case, "需执法", actor=world["worker"])
    second.refresh_from_db()
    first.refresh_from_db()
    merged = actions.do_reject(
        second, "duplicate", "同一处", duplicate_of=first, actor=world["town_operator"]
    )
    assert merged.status == Status.MERGED and merged.duplicate_of == first
    assert first.events.filter(kind="note").exists()


@time_machine.travel(TUESDAY, tick=False)
def test_an_empty_report_names_every_missing_field_at_once(world):
    with pytest.raises(ValidationError) as error:
        actions.submit_case(
            channel="resident",
            matter_code="",
            description="",
            lon=None,
            lat=None,
            reporter_name="",
            reporter_phone="",
        )
    assert set(error.value.message_dict) >= {
        "matter",
        "description",
        "location",
        "reporter_name",
        "reporter_phone",
    }
    assert not Case.objects.exists()


@pytest.mark.parametrize("phone", ["1390777", "12345678901", "0777123", "139077700011"])
@time_machine.travel(TUESDAY, tick=False)
def test_a_contact_number_nobody_can_call_back_is_refused(world, phone):
    with pytest.raises(ValidationError) as error:
        resident_case(world, reporter_phone=phone)
    assert "reporter_phone" in error.value.message_dict


@time_machine.travel(TUESDAY, tick=False)
def test_a_fixed_line_with_its_area_code_and_whole_numbers_are_kept(world):
    case = resident_case(world, reporter_phone="0777-3688123", attributes={"stalls": "3"})
    assert case.reporter_phone == "07773688123"
    assert case.attributes == {"stalls": 3}


@time_machine.travel(TUESDAY, tick=False)
def test_one_open_supervision_order_per_agency_and_case(world):
    case = resident_case(world)
    order = actions.do_supervise(case, "请今日内处理", 1, actor=world["town_operator"])
    with pytest.raises(IllegalTransition, match=order.number):
        actions.do_supervise(case, "再次督办", 1, actor=world["town_operator"])
    # The county may still supervise; once answered, the town may issue another.
    actions.do_supervise(case, "区中心督办", 2, actor=world["county_operator"])
    actions.do_answer_supervision(order, "已安排网格员处理", actor=world["worker"])
    actions.do_supervise(case, "仍未处理，再次督办", 1, actor=world["town_operator"])


@time_machine.travel(TUESDAY, tick=False)
def test_an_extension_is_approved_only_up_to_the_policy_limit(world):
    case = resident_case(world)
    case = actions.do_escalate(case, "需要执法", actor=world["worker"])
    case = actions.do_accept(case, actor=world["town_operator"])
    case = actions.do_dispatch(
        case, world["lead_department"], "请处理", actor=world["town_operator"]
    )
    case = actions.do_sign(case, actor=world["handler"])
    case = actions.do_request_extension(
        case, date(2026, 12, 4), "需要联合执法", actor=world["handler"]
    )
    with pytest.raises(ValidationError) as error:
        actions.do_decide_extension(
            case, True, actor=world["town_operator"], until=date(2027, 6, 1)
        )
    assert "until" in error.value.message_dict
    assert local_day(Case.objects.get(pk=case.pk).due_at) == date(2026, 12, 1)
