"""The matter list's rules (第七至九、十四条) through the actions, with dates under control."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.core import periodic
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.core.testing import PUBEI, QINNAN, XIAOJIANG, XINIUJIAO, build_persona_world, grant
from gridgov.matters import actions
from gridgov.matters.choices import (
    ApplicationStatus,
    NoticeKind,
    RectificationStatus,
    RefusalGround,
    TaskStatus,
)
from gridgov.matters.models import Matter, MatterApplication, MatterNotice, TaskEvent
from gridgov.matters.testing import matter_people, proposed
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Department, DepartmentLevel

pytestmark = pytest.mark.django_db

D0 = date(2027, 3, 1)  # a Monday
GRID_1, GRID_2 = "990101001001001", "990101001001002"
RESOURCES = {
    "staff_provided": "每网格配 1 名兼职网格员",
    "funds_provided": "每网格每年 2000 元",
    "training_provided": "每季度培训一次",
}


def at(day: date):
    """Freeze the clock at 10:00 Beijing time on ``day``."""
    return time_machine.travel(f"{day.isoformat()} 10:00 +0800", tick=False)


@pytest.fixture
def people(territory):
    with at(D0):
        yield matter_people(territory)


def apply(people, kind="admission", **overrides):
    data = {
        "kind": kind,
        "department": people["department"],
        "actor": people["handler"],
        "reason": "民政服务下沉网格",
        "effective_date": timezone.localdate() + timedelta(days=1),
    }
    if kind in ("admission", "temporary"):
        data.update(RESOURCES)
    if kind in ("admission", "temporary", "adjustment"):
        data["proposed"] = proposed()
    data.update(overrides)
    return actions.do_apply(**data)


def admitted(people, start=None, **overrides) -> Matter:
    application = apply(people, effective_date=start or D0 + timedelta(days=1), **overrides)
    return actions.do_approve_application(application, actor=people["agency"], note="同意")


def assign(people, code, grids=(GRID_1,), actor="agency", **overrides):
    data = {
        "matter_code": code,
        "title": "独居老人走访",
        "instructions": "本月走访一次",
        "due_date": timezone.localdate() + timedelta(days=10),
        "actor": people[actor] if isinstance(actor, str) else actor,
        "grid_codes": list(grids),
    }
    data.update(overrides)
    return actions.do_assign_task(**data)


def codes_on(day: date) -> set[str]:
    return set(Matter.objects.in_force(day).values_list("code", flat=True))


# Admission (纳入, 第七、八条) ------------------------------------------------------------


def test_admission_needs_the_staff_funds_and_training_of_article_8(people):
    with pytest.raises(ValidationError) as caught:
        apply(people, staff_provided="", funds_provided=" ", training_provided="")
    errors = caught.value.message_dict
    assert {"staff_provided", "funds_provided", "training_provided"} <= set(errors)
    assert all("第八条" in errors[f][0] for f in RESOURCES)
    assert not MatterApplication.objects.exists()


def test_admission_checks_reason_content_and_date(people):
    with pytest.raises(ValidationError) as caught:
        apply(
            people,
            reason=" ",
            effective_date=D0 - timedelta(days=1),
            proposed=proposed(name="", duties=[]),
        )
    assert {"reason", "effective_date", "name", "duties"} <= set(caught.value.message_dict)
    # Today is allowed for an admission.
    assert apply(people, effective_date=D0).status == ApplicationStatus.SUBMITTED


def test_admission_is_on_the_list_from_its_effective_date_announced_at_approval(people):
    start = D0 + timedelta(days=7)
    application = apply(people, effective_date=start)
    assert not Matter.objects.exists()  # nothing before the decision
    with at(D0 + timedelta(days=2)):
        matter = actions.do_approve_application(application, actor=people["agency"])
        approved_at = timezone.now()
    assert (matter.version, matter.valid_from, matter.valid_to) == (1, start, None)
    assert matter.code == "0601001" and not matter.is_temporary
    assert matter.code not in codes_on(start - timedelta(days=1))
    assert matter.code in codes_on(start)
    assert actions.current_version(matter.code, matter.area, start - timedelta(days=1)) is None
    notice = MatterNotice.objects.get(matter_code=matter.code)
    assert notice.kind == NoticeKind.ADMISSION
    assert notice.published_at == approved_at  # published at approval …
    assert notice.effective_date == start  # … before it takes effect
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.matter_code == matter.code
    assert application.decided_by == people["agency"]


def test_codes_follow_work_kind_and_subcategory(people):
    first = admitted(people)
    second = admitted(people, proposed=proposed(name="第二项"))
    other = admitted(people, proposed=proposed(name="巡查", work_kind="hazard", subcategory="07"))
    assert (first.code, second.code, other.code) == ("0601001", "0601002", "0307001")


def test_an_application_whose_date_has_passed_cannot_be_approved(people):
    application = apply(people, effective_date=D0 + timedelta(days=1))
    with at(D0 + timedelta(days=3)), pytest.raises(ValidationError, match="重新申请"):
        actions.do_approve_application(application, actor=people["agency"])
    assert not Matter.objects.exists()


# Temporary admission (临时纳入, 第七条) --------------------------------------------------


def test_temporary_admission_needs_an_end_date(people):
    with pytest.raises(ValidationError) as caught:
        apply(people, kind="temporary")
    assert "第七条" in caught.value.message_dict["end_date"][0]
    with pytest.raises(ValidationError, match="纳入期限不能早于施行日期"):
        apply(people, kind="temporary", end_date=D0)
    with pytest.raises(ValidationError, match="只有临时纳入"):
        apply(people, end_date=D0 + timedelta(days=30))


def temporary(people, end) -> Matter:
    application = apply(
        people,
        kind="temporary",
        end_date=end,
        proposed=proposed(name="台风期间转移群众", work_kind="hazard"),
    )
    return actions.do_approve_application(application, actor=people["agency"])


def test_temporary_matter_leaves_the_list_the_day_after_its_end(people):
    end = D0 + timedelta(days=30)
    matter = temporary(people, end)
    assert matter.is_temporary and matter.valid_to == end
    assert MatterNotice.objects.get(matter_code=matter.code).kind == NoticeKind.TEMPORARY
    assert matter.code in codes_on(end)
    assert matter.code not in codes_on(end + timedelta(days=1))


def test_expired_temporary_matters_are_announced_once(people):
    end = D0 + timedelta(days=30)
    matter = temporary(people, end)
    with at(end):
        assert actions.retire_expired_temporary() == 0  # still in force on its last day
    with at(end + timedelta(days=1)):
        assert actions.retire_expired_temporary() == 1
        assert actions.retire_expired_temporary() == 0  # twice-run safe
    expiry = MatterNotice.objects.get(kind=NoticeKind.EXPIRY)
    assert expiry.matter_code == matter.code
    assert expiry.effective_date == end + timedelta(days=1)
    matter.refresh_from_db()
    assert matter.retired_at is not None
    assert Matter.objects.filter(code=matter.code).count() == 1  # kept for history


def test_the_workers_periodic_job_retires_expired_temporary_matters(people, settings):
    assert "retire_expired_temporary_matters" in settings.PERIODIC_JOBS
    end = D0 + timedelta(days=5)
    temporary(people, end)
    with at(end + timedelta(days=1)):
        assert "retire_expired_temporary_matters" in periodic.run_due()
        assert "retire_expired_temporary_matters" not in periodic.run_due()  # not due yet
    assert MatterNotice.objects.filter(kind=NoticeKind.EXPIRY).count() == 1
    with at(end + timedelta(days=2)):
        assert "retire_expired_temporary_matters" in periodic.run_due()
    assert MatterNotice.objects.filter(kind=NoticeKind.EXPIRY).count() == 1


# Adjustment and exit (调整、退出, 第九条) ------------------------------------------------


def test_adjustment_opens_a_new_version_and_keeps_the_old_one(people):
    matter = admitted(people, start=D0 + timedelta(days=1))
    change = D0 + timedelta(days=20)
    with at(D0 + timedelta(days=5)):
        application = apply(
            people,
            kind="adjustment",
            matter_code=matter.code,
            effective_date=change,
            proposed=proposed(description="每两周走访一次独居老人。"),
        )
        new = actions.do_approve_application(application, actor=people["agency"])
    assert (new.code, new.version, new.valid_from) == (matter.code, 2, change)
    matter.refresh_from_db()
    assert matter.valid_to == change - timedelta(days=1)
    assert actions.current_version(matter.code, matter.area, change - timedelta(days=1)) == matter
    assert actions.current_version(matter.code, matter.area, change) == new
    before = Matter.objects.in_force(change - timedelta(days=1)).get(code=matter.code)
    assert before.description == proposed()["description"]
    assert Matter.objects.in_force(change).get(code=matter.code).description.startswith("每两周")
    assert Matter.objects.filter(code=matter.code).count() == 2
    kinds = set(MatterNotice.objects.filter(matter_code=matter.code).values_list("kind", flat=True))
    assert kinds == {NoticeKind.ADMISSION, NoticeKind.ADJUSTMENT}


def test_adjustment_and_exit_are_announced_before_they_take_effect(people):
    matter = admitted(people, start=D0)
    for kind in ("adjustment", "exit"):
        with pytest.raises(ValidationError, match="第九条"):
            apply(people, kind=kind, matter_code=matter.code, effective_date=D0)


def test_only_the_responsible_department_adjusts_its_matter(people, territory):
    matter = admitted(people, start=D0)
    health = Department.objects.create(
        name="测试市卫健委", kind="卫生健康", level=DepartmentLevel.CITY, area=territory["city"]
    )
    officer = people["handler"].__class__.objects.create_user("weijian", password="x")
    grant(officer, Role.DEPARTMENT_HANDLER, department=health)
    with pytest.raises(ValidationError, match="不是本部门"):
        apply(
            people,
            kind="exit",
            department=health,
            actor=officer,
            matter_code=matter.code,
            effective_date=D0 + timedelta(days=5),
        )
    with pytest.raises(ValidationError, match="没有在用的事项"):
        apply(people, kind="exit", matter_code="0699999", effective_date=D0 + timedelta(days=5))


def test_exit_takes_effect_later_and_keeps_history(people):
    matter = admitted(people, start=D0)
    leave = D0 + timedelta(days=10)
    exit_app = apply(people, kind="exit", matter_code=matter.code, effective_date=leave)
    actions.do_approve_application(exit_app, actor=people["agency"])
    matter.refresh_from_db()
    assert matter.valid_to == leave - timedelta(days=1)
    assert matter.code in codes_on(leave - timedelta(days=1))
    assert matter.code not in codes_on(leave)
    assert Matter.objects.filter(code=matter.code).count() == 1
    notice = MatterNotice.objects.get(matter_code=matter.code, kind=NoticeKind.EXIT)
    assert notice.effective_date == leave and notice.published_at.date() <= D0
    # Once out, nothing more can be applied for it.
    with at(leave), pytest.raises(ValidationError, match="没有在用的事项"):
        apply(people, kind="exit", matter_code=matter.code, effective_date=leave + timedelta(1))


# Who decides (同级审核, 第七条) ----------------------------------------------------------


def test_only_the_same_level_agency_decides(people):
    application = apply(people)
    for who in ("county_agency", "handler", "worker"):
        with pytest.raises(NotPermitted):
            actions.do_approve_application(application, actor=people[who])
        with pytest.raises(NotPermitted):
            actions.do_reject_application(application, actor=people[who], note="不同意")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_a_department_applies_only_for_itself(people, territory):
    other = Department.objects.create(
        name="测试市司法局", kind="司法行政", level=DepartmentLevel.CITY, area=territory["city"]
    )
    with pytest.raises(NotPermitted, match="测试市司法局"):
        apply(people, department=other)
    with pytest.raises(NotPermitted):
        apply(people, actor=people["agency"])


def test_town_departments_do_not_have_a_list(people, territory):
    station = Department.objects.create(
        name="测试派出所", kind="公安", level=DepartmentLevel.TOWN, area=territory["town"]
    )
    with pytest.raises(ValidationError, match="市、县（区）两级"):
        apply(people, department=station, actor=None)


def test_rejection_needs_a_reason_and_a_decision_is_final(people):
    application = apply(people)
    with pytest.raises(ValidationError, match="理由"):
        actions.do_reject_application(application, actor=people["agency"], note=" ")
    actions.do_reject_application(application, actor=people["agency"], note="经费未落实")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert application.decision_note == "经费未落实"
    with pytest.raises(IllegalTransition):
        actions.do_approve_application(application, actor=people["agency"])
    with pytest.raises(IllegalTransition):
        actions.do_reject_application(application, actor=people["agency"], note="再次")
    assert not Matter.objects.exists()

    approved = apply(people)
    actions.do_approve_application(approved, actor=people["agency"])
    with pytest.raises(IllegalTransition):
        actions.do_approve_application(approved, actor=people["agency"])
    assert Matter.objects.count() == 1


def test_a_withdrawn_application_cannot_be_decided(people):
    application = apply(people)
    with pytest.raises(NotPermitted):
        actions.do_withdraw_application(application, actor=people["agency"])
    actions.do_withdraw_application(application, actor=people["handler"])
    with pytest.raises(IllegalTransition):
        actions.do_approve_application(application, actor=people["agency"])


# Rectification (整改, 第八条) ------------------------------------------------------------


def order(people, matter, deadline=None, **overrides):
    data = {
        "matter_code": matter.code,
        "area": matter.area,
        "grounds": ["funds"],
        "findings": "承诺的网格经费未拨付",
        "deadline": deadline or D0 + timedelta(days=30),
        "actor": people["agency"],
    }
    data.update(overrides)
    return actions.do_order_rectification(**data)


def test_rectification_order_is_checked_and_met_closes_it(people):
    matter = admitted(people, start=D0)
    with pytest.raises(ValidationError) as caught:
        order(people, matter, grounds=["bogus"], findings="", deadline=D0)
    assert {"grounds", "findings", "deadline"} <= set(caught.value.message_dict)
    with pytest.raises(NotPermitted):
        order(people, matter, actor=people["county_agency"])
    rectification = order(people, matter)
    assert rectification.department == people["department"]
    with pytest.raises(IllegalTransition, match="进行中的整改"):
        order(people, matter)
    with pytest.raises(ValidationError):
        actions.do_close_rectification(rectification, actor=people["agency"], note="")
    actions.do_close_rectification(rectification, actor=people["agency"], note="经费已拨付")
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.MET
    with pytest.raises(IllegalTransition):
        actions.do_close_rectification(rectification, actor=people["agency"], note="again")
    assert matter.code in codes_on(D0 + timedelta(days=365))  # still on the list


def test_overdue_rectification_leads_to_exit_approved_by_the_agency(people):
    matter = admitted(people, start=D0)
    deadline = D0 + timedelta(days=30)
    rectification = order(people, matter, deadline=deadline)
    with pytest.raises(IllegalTransition, match="尚未届满"):
        actions.do_exit_after_rectification(
            rectification, actor=people["agency"], effective_date=D0 + timedelta(1), note="x"
        )
    with at(deadline), pytest.raises(IllegalTransition, match="尚未届满"):
        actions.do_exit_after_rectification(
            rectification, actor=people["agency"], effective_date=deadline + timedelta(1), note="x"
        )
    leave = deadline + timedelta(days=10)
    with at(deadline + timedelta(days=1)):
        with pytest.raises(NotPermitted):
            actions.do_exit_after_rectification(
                rectification, actor=people["county_agency"], effective_date=leave, note="x"
            )
        application = actions.do_exit_after_rectification(
            rectification, actor=people["agency"], effective_date=leave, note="逾期未整改"
        )
    assert application.kind == "exit" and application.status == ApplicationStatus.APPROVED
    assert application.rectification == rectification
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.EXITED
    assert matter.code in codes_on(leave - timedelta(days=1))
    assert matter.code not in codes_on(leave)
    assert MatterNotice.objects.filter(matter_code=matter.code, kind=NoticeKind.EXIT).exists()


# Tasks (任务下派, 第七、十四条) ------------------------------------------------------------


def test_no_task_outside_the_list_in_force(people):
    with pytest.raises(ValidationError, match="第七条"):
        assign(people, "0601999")
    future = admitted(people, start=D0 + timedelta(days=5))
    with pytest.raises(ValidationError, match="第七条"):
        assign(people, future.code)  # not yet effective
    with at(D0 + timedelta(days=5)):
        assert assign(people, future.code).matter == future
    ending = temporary(people, D0 + timedelta(days=10))
    with at(D0 + timedelta(days=10)):
        assign(people, ending.code)
    with at(D0 + timedelta(days=11)), pytest.raises(ValidationError, match="第七条"):
        assign(people, ending.code)  # expired


def test_task_needs_title_instructions_and_a_due_date(people):
    matter = admitted(people, start=D0)
    with pytest.raises(ValidationError) as caught:
        assign(people, matter.code, title="", instructions=" ", due_date=D0 - timedelta(1))
    assert {"title", "instructions", "due_date"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError, match="不存在或不在您的管辖范围内"):
        assign(people, matter.code, grids=["990101001001999"])


def test_a_task_goes_to_every_grid_of_an_area_and_records_its_assigner(people):
    matter = admitted(people, start=D0)
    task = assign(people, matter.code, grids=(), area_code="990101001")
    assert task.assigner_area.code == "9901" and task.assigner_department is None
    assert task.assignments.count() == 4
    by_department = assign(people, matter.code, actor="handler")
    assert by_department.assigner_department == people["department"]
    assert by_department.assigner_area is None
    by_system = assign(people, matter.code, actor=None)
    assert by_system.assigner_area == matter.area  # the list's agency
    with pytest.raises(NotPermitted):
        assign(people, matter.code, actor="worker")


def test_accept_progress_complete(people):
    matter = admitted(people, start=D0)
    assignment = assign(people, matter.code).assignments.get()
    assert assignment.status == TaskStatus.ASSIGNED
    worker = people["worker"]
    with pytest.raises(IllegalTransition):
        actions.do_complete_task(assignment, actor=worker, result="办完")  # not accepted
    assignment = actions.do_accept_task(assignment, actor=worker)
    assert assignment.status == TaskStatus.ACCEPTED
    with pytest.raises(IllegalTransition):
        actions.do_accept_task(assignment, actor=worker)
    with pytest.raises(ValidationError):
        actions.do_report_progress(assignment, actor=worker, progress=100, note="完成")
    with pytest.raises(ValidationError):
        actions.do_report_progress(assignment, actor=worker, progress=50, note="")
    assignment = actions.do_report_progress(assignment, actor=worker, progress=40, note="走访 4 户")
    assignment = actions.do_report_progress(assignment, actor=worker, progress=70, note="走访 7 户")
    assert (assignment.status, assignment.progress) == (TaskStatus.IN_PROGRESS, 70)
    with pytest.raises(ValidationError):
        actions.do_complete_task(assignment, actor=worker, result=" ")
    assignment = actions.do_complete_task(assignment, actor=worker, result="10 户全部走访")
    assert (assignment.status, assignment.progress) == (TaskStatus.COMPLETED, 100)
    assert assignment.result == "10 户全部走访"
    kinds = list(TaskEvent.objects.filter(assignment=assignment).values_list("kind", flat=True))
    assert kinds == ["accepted", "in_progress", "in_progress", "completed"]
    for move in (
        lambda: actions.do_accept_task(assignment, actor=worker),
        lambda: actions.do_report_progress(assignment, actor=worker, progress=10, note="x"),
        lambda: actions.do_refuse_task(
            assignment, actor=worker, ground=RefusalGround.UNLAWFUL, note="x"
        ),
    ):
        with pytest.raises(IllegalTransition):
            move()


def test_refusal_on_a_ground_of_article_14(people):
    matter = admitted(people, start=D0)
    assignment = assign(people, matter.code).assignments.get()
    worker = people["worker"]
    with pytest.raises(ValidationError, match="第十四条"):
        actions.do_refuse_task(assignment, actor=worker, ground="too_busy", note="太忙")
    with pytest.raises(ValidationError, match="具体情况"):
        actions.do_refuse_task(assignment, actor=worker, ground=RefusalGround.UNLAWFUL, note=" ")
    assignment = actions.do_refuse_task(
        assignment,
        actor=worker,
        ground=RefusalGround.ADMINISTRATIVE_POWER,
        note="要求网格员对商户罚款，属于行政处罚",
    )
    assert assignment.status == TaskStatus.REFUSED
    assert assignment.refusal_ground == RefusalGround.ADMINISTRATIVE_POWER
    assert TaskEvent.objects.get(assignment=assignment).kind == TaskStatus.REFUSED
    for move in (
        lambda: actions.do_accept_task(assignment, actor=worker),
        lambda: actions.do_complete_task(assignment, actor=worker, result="x"),
    ):
        with pytest.raises(IllegalTransition):
            move()


def test_a_grid_worker_acts_only_on_their_own_grid(people):
    matter = admitted(people, start=D0)
    task = assign(people, matter.code, grids=(GRID_1, GRID_2))
    own = task.assignments.get(grid__code=GRID_1)
    other = task.assignments.get(grid__code=GRID_2)
    for move in (
        lambda a: actions.do_accept_task(a, actor=people["worker"]),
        lambda a: actions.do_refuse_task(
            a, actor=people["worker"], ground=RefusalGround.OUTSIDE_LIST, note="x"
        ),
    ):
        with pytest.raises(NotPermitted):
            move(other)
    with pytest.raises(NotPermitted):
        actions.do_accept_task(own, actor=people["agency"])  # staff of the grid only
    assert actions.do_accept_task(own, actor=people["worker"]).status == TaskStatus.ACCEPTED
    other.refresh_from_db()
    assert other.status == TaskStatus.ASSIGNED


# Scope across counties (the miniature 钦州市) ---------------------------------------------


@pytest.fixture
def qinzhou(db):
    with at(D0):
        yield build_persona_world()


def county_matter(county_code: str) -> Matter:
    """A matter on a county's list, applied for and approved by the system."""
    from gridgov.areas.models import Area

    county = Area.objects.get(code=county_code)
    department = Department.objects.create(
        name=f"{county.name}民政局", kind="民政", level=DepartmentLevel.COUNTY, area=county
    )
    application = actions.do_apply(
        kind="admission",
        department=department,
        actor=None,
        reason="县级事项",
        effective_date=D0,
        proposed=proposed(),
        **RESOURCES,
    )
    return actions.do_approve_application(application, actor=None)


def test_tasks_stay_inside_the_assigners_scope_and_the_lists_county(qinzhou):
    users = qinzhou
    matter = county_matter(QINNAN)
    assert matter.level == "county"
    xiniujiao_grid = f"{XINIUJIAO}201001"
    pubei_grid = f"{XIAOJIANG}001001"

    def give(user, grid):
        return actions.do_assign_task(
            matter_code=matter.code,
            title="走访",
            instructions="走访独居老人",
            due_date=D0 + timedelta(days=5),
            actor=user,
            grid_codes=[grid],
        )

    assert give(users["qinnan"], xiniujiao_grid).assigner_area.code == QINNAN
    with pytest.raises(ValidationError, match="管辖范围"):
        give(users["qinnan"], pubei_grid)  # outside the assigner's scope
    with pytest.raises(ValidationError, match="管辖范围"):
        give(users["xiniujiao"], f"{XINIUJIAO[:6]}105201001")  # another town
    with pytest.raises(ValidationError, match="第七条") as caught:
        give(users["city"], pubei_grid)  # the city sees it, but 钦南区's list does not cover it
    assert "所在地的清单" in str(caught.value)
    assert PUBEI in pubei_grid


def test_an_unknown_area_code_is_named_in_the_refusal(people):
    from datetime import timedelta

    from django.utils import timezone

    with pytest.raises(ValidationError, match="区域 999999999 不存在"):
        actions.do_assign_task(
            matter_code="0101001",
            title="统计",
            instructions="统计人数",
            due_date=timezone.localdate() + timedelta(days=5),
            actor=people["agency"],
            area_code="999999999",
        )
