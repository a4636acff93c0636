"""The staff pages of case handling: inbox, list, case page and its action forms, intake,
supervision board and orders, attachments, contact reveal and the time-limit settings."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gridgov.cases import actions
from gridgov.cases.choices import EventKind, Flag, Status
from gridgov.cases.duplicates import possible_duplicates
from gridgov.cases.models import Case, CaseAttachment, CaseEvent, CasePolicy, SupervisionOrder
from gridgov.cases.testing import MATTER_CODE, POINT_A1, POINT_B1, case_world, resident_case
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.core.testing import grant
from gridgov.orgs.choices import Role

CST = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
pytestmark = pytest.mark.usefixtures("_tuesday")


@pytest.fixture
def _tuesday():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def world(territory):
    return case_world(territory)


def png(name="photo.png", size=(64, 48)):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def as_(client, user):
    client.force_login(user)
    return client


def act(client, case, name, version=None, **fields):
    case.refresh_from_db()
    data = {f"{name}-version": case.version if version is None else version}
    data.update({f"{name}-{key}": value for key, value in fields.items()})
    return client.post(reverse("cases:act", args=[case.number, name]), data)


def page(client, case):
    return client.get(reverse("cases:detail", args=[case.number])).content.decode()


def status_of(case):
    return Case.objects.get(pk=case.pk).status


def at_town(world, **overrides):
    """A resident's case reported up by the grid and accepted by the town."""
    case = resident_case(world, **overrides)
    case = actions.do_escalate(case, "摊主不听劝阻", actor=world["worker"])
    return actions.do_accept(case, actor=world["town_operator"])


def at_department(world, signed=True):
    case = at_town(world)
    case = actions.do_dispatch(
        case,
        world["lead_department"],
        "请依法处理占道经营",
        assist=[world["assist_department"]],
        actor=world["town_operator"],
    )
    return actions.do_sign(case, actor=world["handler"]) if signed else case


# The inbox and the navigation -------------------------------------------------------------


def test_the_grid_worker_sees_the_new_case_in_the_inbox_and_the_navigation(client, world):
    case = resident_case(world)
    text = as_(client, world["worker"]).get(reverse("cases:inbox")).content.decode()
    assert case.number in text and "占道经营" in text and "一般" in text
    assert 'data-testid="inbox-count">1<' in text
    assert 'data-testid="tab-count-todo">1<' in text
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="inbox-card-count">1<' in home and case.number in home

    other = as_(client, world["other_worker"]).get(reverse("cases:inbox")).content.decode()
    assert case.number not in other and 'data-testid="inbox-count">0<' in other
    # Administrators handle no cases: no 事件 item, no inbox card.
    admin = get_user_model().objects.create_user("sysadmin", password="x", full_name="系统管理员")
    grant(admin, Role.SYSTEM_ADMIN)
    assert "inbox-count" not in as_(client, admin).get(reverse("home")).content.decode()


def test_due_times_turn_yellow_then_red(client, world):
    case = resident_case(world)
    as_(client, world["worker"])
    text = client.get(reverse("cases:inbox")).content.decode()
    assert 'data-state="normal"' in text
    with time_machine.travel(case.warn_at + timedelta(minutes=1), tick=False):
        as_(client, world["worker"])
        assert 'data-state="yellow"' in client.get(reverse("cases:inbox")).content.decode()
    with time_machine.travel(case.due_at + timedelta(minutes=1), tick=False):
        text = as_(client, world["worker"]).get(reverse("cases:inbox")).content.decode()
    assert 'data-state="red"' in text and "超期" in text


def test_inbox_tabs_for_assisting_extensions_supervision_and_paused_work(client, world):
    case = at_department(world)
    assist = as_(client, world["assistant"]).get(reverse("cases:inbox"), {"tab": "assist"})
    assert case.number in assist.content.decode()
    assert 'data-testid="tab-count-assist">1<' in assist.content.decode()

    actions.do_request_extension(
        case, datetime(2026, 12, 4).date(), "需要联合执法", actor=world["handler"]
    )
    extensions = as_(client, world["town_operator"]).get(
        reverse("cases:inbox"), {"tab": "extensions"}
    )
    assert (
        case.number in extensions.content.decode() and "需要联合执法" in extensions.content.decode()
    )

    order = actions.do_supervise(case, "请于三日内办结", 3, actor=world["county_operator"])
    supervision = as_(client, world["handler"]).get(reverse("cases:inbox"), {"tab": "supervision"})
    assert order.number in supervision.content.decode()

    other = at_town(world, description="路灯不亮，晚上很黑")
    actions.do_park(other, "需纳入明年预算", actor=world["town_leader"])
    paused = as_(client, world["town_operator"]).get(reverse("cases:inbox"), {"tab": "paused"})
    assert other.number in paused.content.decode()
    assert 'data-testid="tab-count-paused">1<' in paused.content.decode()


# The list ----------------------------------------------------------------------------------


def test_list_filters_and_scope(client, world):
    first = resident_case(world)
    second = resident_case(world, description="路灯不亮，晚上很黑", urgency="urgent")
    far = resident_case(world, lon=POINT_B1[0], lat=POINT_B1[1], description="乙社区的摊位")
    as_(client, world["worker"])
    text = client.get(reverse("cases:list")).content.decode()
    assert first.number in text and second.number in text and far.number not in text
    urgent = client.get(reverse("cases:list"), {"urgency": "urgent"}).content.decode()
    assert second.number in urgent and first.number not in urgent
    by_code = client.get(reverse("cases:list"), {"q": first.tracking_code.lower()}).content.decode()
    assert first.number in by_code and second.number not in by_code
    dated = client.get(reverse("cases:list"), {"since": "2026-11-25"}).content.decode()
    assert "没有符合条件的事件" in dated
    town = as_(client, world["town_operator"]).get(reverse("cases:list")).content.decode()
    assert far.number in town


def test_list_bad_filters_give_chinese_messages(client, world):
    resident_case(world)
    response = as_(client, world["worker"]).get(
        reverse("cases:list"),
        {"status": "lost", "since": "2026-13-45", "matter": "9999999", "flag": "blue"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "没有“lost”这种状态" in text
    assert "日期格式应为 YYYY-MM-DD" in text
    assert "事项清单中没有编码为“9999999”的事项" in text
    reversed_dates = client.get(
        reverse("cases:list"), {"since": "2026-11-25", "until": "2026-11-01"}
    )
    assert "结束日期不能早于开始日期" in reversed_dates.content.decode()


# The case page --------------------------------------------------------------------------


def test_case_page_masks_the_reporter_and_shows_only_the_holders_actions(client, world):
    case = resident_case(world, attachments=[png()])
    text = page(as_(client, world["worker"]), case)
    assert "张*" in text and "139****0001" in text
    assert "张三" not in text and "13907770001" not in text
    assert 'data-testid="form-resolve_on_site"' in text and 'data-testid="form-escalate"' in text
    assert 'data-testid="form-accept"' not in text
    assert 'capture="environment"' in text
    assert "查看完整联系方式" not in text  # grid staff may not unmask
    assert case.attachments.get().token in text  # thumbnail through the scoped view
    town = page(as_(client, world["town_operator"]), case)
    # The town covers the place: it may urge and supervise, but does not hold the case.
    assert 'data-testid="form-urge"' in town and 'data-testid="form-supervise"' in town
    assert 'data-testid="form-escalate"' not in town


def test_out_of_scope_cases_are_404(client, world):
    case = resident_case(world)
    as_(client, world["other_worker"])
    assert client.get(reverse("cases:detail", args=[case.number])).status_code == 404
    assert act(client, case, "escalate", note="不归我").status_code == 404
    assert status_of(case) == Status.AT_GRID
    as_(client, world["handler"])  # not passed to the department yet
    assert client.get(reverse("cases:detail", args=["SJ2026112499999"])).status_code == 404
    assert client.get(reverse("cases:detail", args=[case.number])).status_code == 404


def test_the_whole_flow_through_the_action_forms(client, world):
    case = resident_case(world)
    as_(client, world["worker"])
    response = act(client, case, "escalate", note="摊主不听劝阻")
    assert response.status_code == 302 and status_of(case) == Status.SUBMITTED

    as_(client, world["town_operator"])
    assert 'data-testid="form-accept"' in page(client, case)
    act(client, case, "accept", note="")
    assert status_of(case) == Status.ACCEPTED
    text = page(client, case)
    assert "测试街道城管执法中队" in text  # the lead department select
    act(
        client,
        case,
        "dispatch",
        lead=str(world["lead_department"].pk),
        assist=[str(world["assist_department"].pk)],
        instructions="请依法处理",
    )
    assert status_of(case) == Status.DISPATCHED

    as_(client, world["handler"])
    act(client, case, "sign")
    assert status_of(case) == Status.HANDLING
    response = act(client, case, "reply", reply="已劝离摊贩三处", attachments=[png()])
    assert response.status_code == 302 and status_of(case) == Status.REPLIED
    assert CaseAttachment.objects.filter(case=case, event__kind=EventKind.REPLIED).count() == 1

    as_(client, world["assistant"])
    act(client, case, "assist_reply", reply="已配合检查经营证照")
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ASSIST_REPLIED).exists()

    as_(client, world["town_operator"])
    act(client, case, "verify", note="")
    assert status_of(case) == Status.RESOLVED
    text = page(client, case)
    assert 'data-testid="form-close"' not in text  # a resident waits for the feedback
    response = act(client, case, "feedback", feedback="已清理占道摊位，谢谢您的反映")
    assert status_of(case) == Status.FED_BACK
    followed = client.get(response.url).content.decode()
    assert "已反馈" in followed


def test_grid_resolves_on_site_with_photos(client, world):
    case = resident_case(world)
    as_(client, world["worker"])
    act(client, case, "resolve_on_site", result="已劝离", attachments=[png(), png("b.png")])
    assert status_of(case) == Status.RESOLVED
    assert CaseAttachment.objects.filter(case=case, public=True).count() == 2


def test_a_refused_action_is_a_message_and_changes_nothing(client, world):
    case = resident_case(world)
    as_(client, world["worker"])
    response = act(client, case, "accept", note="")
    assert response.status_code == 302
    text = client.get(response.url).content.decode()
    assert "不能进行此操作" in text or "此事件当前不由您办理" in text
    assert status_of(case) == Status.AT_GRID
    # A department may not be chosen from another level.
    case = at_town(world, description="路灯不亮")
    as_(client, world["town_operator"])
    response = act(
        client, case, "dispatch", lead=str(world["county_department"].pk), instructions="请处理"
    )
    assert response.status_code == 400
    assert (
        "选择一个有效的选项" in response.content.decode() or "联动部门" in response.content.decode()
    )
    assert status_of(case) == Status.ACCEPTED


def test_bad_input_is_shown_inline_in_chinese(client, world):
    case = resident_case(world)
    as_(client, world["worker"])
    response = act(client, case, "escalate", note="  ")
    assert response.status_code == 400
    assert "请填写上报理由" in response.content.decode()
    response = act(
        client,
        case,
        "resolve_on_site",
        result="已处理",
        attachments=[
            SimpleUploadedFile("virus.png", b"MZ\x90\x00not an image", content_type="image/png")
        ],
    )
    assert response.status_code == 400
    assert "只能上传 JPEG、PNG、WebP 照片或 PDF 文件" in response.content.decode()
    assert status_of(case) == Status.AT_GRID

    case = at_town(world, description="路灯不亮")
    as_(client, world["town_operator"])
    response = act(client, case, "dispatch", lead="", instructions="请处理")
    assert "请选择主办部门" in response.content.decode()
    as_(client, world["town_leader"])
    response = act(client, case, "postpone", reason="等待施工", until="2026-02-30")
    assert "日期格式应为 年-月-日" in response.content.decode()
    response = act(client, case, "postpone", reason="等待施工", until="2026-11-01")
    assert "缓办至的日期应晚于今天" in response.content.decode()
    assert status_of(case) == Status.ACCEPTED
    submitted = actions.do_escalate(resident_case(world), "需要执法", actor=world["worker"])
    as_(client, world["town_operator"])
    response = act(client, submitted, "reject", ground="", reason="重复")
    assert "请选择不予受理的理由" in response.content.decode()
    response = act(
        client, submitted, "reject", ground="duplicate", reason="重复", duplicate_of="SJ1"
    )
    assert "未找到该事件编号" in response.content.decode()
    assert status_of(submitted) == Status.SUBMITTED
    response = act(client, case, "escalate", version="x", note="上报")
    assert "页面已过期，请刷新后重试" in response.content.decode()


def test_a_conflict_keeps_the_users_text(client, world):
    case = at_town(world)
    seen = case.version
    # Somebody else acts first (the leader parks and resumes it: same state, new version).
    actions.do_park(case, "资金未落实", actor=world["town_leader"])
    actions.do_resume(case, "资金已落实", actor=world["town_leader"])
    as_(client, world["town_operator"])
    response = act(
        client,
        case,
        "dispatch",
        version=seen,
        lead=str(world["lead_department"].pk),
        instructions="请依法处理，三日内答复",
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "此事件刚刚被他人处理" in text
    assert "请依法处理，三日内答复" in text  # nothing lost
    case.refresh_from_db()
    assert f'name="dispatch-version" value="{case.version}"' in text  # ready to resend
    assert case.status == Status.ACCEPTED and not case.assignments.exists()


def test_a_conflict_on_an_action_no_longer_possible_shows_the_text_kept(client, world):
    case = resident_case(world)
    seen = case.version
    actions.do_escalate(case, "需要执法", actor=world["leader"])
    as_(client, world["worker"])
    response = act(client, case, "resolve_on_site", version=seen, result="已劝离三处摊位")
    assert response.status_code == 409
    text = response.content.decode()
    assert "此事件刚刚被他人处理" in text and 'data-testid="kept"' in text
    assert "已劝离三处摊位" in text
    assert status_of(case) == Status.SUBMITTED


def test_extension_is_requested_and_decided_through_the_forms(client, world):
    case = at_department(world)
    as_(client, world["handler"])
    response = act(client, case, "request_extension", until="2026-12-04", reason="需要联合执法")
    assert response.status_code == 302
    as_(client, world["town_operator"])
    assert 'data-testid="submit-decide_extension-approve"' in page(client, case)
    case.refresh_from_db()
    response = client.post(
        reverse("cases:act", args=[case.number, "decide_extension"]),
        {"decide_extension-version": case.version, "decide_extension-decision": "reject"},
    )
    assert "请填写不同意的理由" in response.content.decode()
    response = client.post(
        reverse("cases:act", args=[case.number, "decide_extension"]),
        {"decide_extension-version": case.version, "decide_extension-decision": "approve"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert timezone.localtime(case.due_at).date().isoformat() == "2026-12-04"


def test_the_other_action_forms(client, world):
    submitted = actions.do_escalate(resident_case(world), "需要执法", actor=world["worker"])
    as_(client, world["town_operator"])
    act(client, submitted, "reject", ground="invalid", reason="经核实无此情况")
    assert status_of(submitted) == Status.REJECTED

    case = at_town(world, description="路灯不亮")
    refused = act(client, case, "park", reason="需纳入明年预算")
    assert "此操作需要本级负责人审批" in client.get(refused.url).content.decode()
    as_(client, world["town_leader"])
    assert 'data-testid="form-park"' in page(client, case)
    act(client, case, "postpone", reason="等待道路施工结束", until="2026-12-10")
    assert status_of(case) == Status.POSTPONED
    act(client, case, "resume", note="施工已结束")
    act(client, case, "park", reason="需纳入明年预算")
    assert status_of(case) == Status.PARKED
    act(client, case, "resume", note="预算已落实")
    assert status_of(case) == Status.ACCEPTED
    act(client, case, "resolve", result="已更换灯泡")
    act(client, case, "feedback", feedback="路灯已修好")
    assert status_of(case) == Status.FED_BACK
    act(client, case, "close", note="反映人未在期限内评价")
    assert status_of(case) == Status.CLOSED

    case = at_department(world, signed=False)
    as_(client, world["assistant"])
    act(client, case, "assist_sign")
    assert case.assignments.get(role="assist").status == "signed"
    as_(client, world["handler"])
    act(client, case, "return", reason="不属于本中队职责")
    assert status_of(case) == Status.ACCEPTED

    case = at_department(world)
    actions.do_reply(case, "已处理", actor=world["handler"])
    as_(client, world["town_operator"])
    act(client, case, "rework", note="现场仍有摊位")
    assert status_of(case) == Status.HANDLING

    # Found by the grid itself: nobody to tell, so 结案 right after 办结.
    as_(client, world["worker"])
    _new_case(client, key="own")
    own = Case.objects.get(channel="grid")
    act(client, own, "resolve_on_site", result="已劝离")
    assert 'data-testid="form-close"' in page(client, own)
    act(client, own, "close")
    assert status_of(own) == Status.CLOSED


def test_hand_down_to_the_grid(client, world):
    case = at_town(world)
    as_(client, world["town_operator"])
    text = page(client, case)
    assert world["grid_a1"].code in text
    act(client, case, "hand_down", target=world["grid_a1"].code, instructions="请网格先行劝离")
    case.refresh_from_db()
    assert case.status == Status.AT_GRID and case.holder_grid == world["grid_a1"]
    as_(client, world["worker"])
    assert case.number in client.get(reverse("cases:inbox")).content.decode()


# Duplicates ----------------------------------------------------------------------------------


def test_possible_duplicates_are_near_recent_open_and_of_the_same_matter(world):
    first = resident_case(world)
    second = resident_case(world, lon=POINT_A1[0] + 0.001, description="门口又有摊位")  # ~100 m
    far = resident_case(world, lon=POINT_B1[0], lat=POINT_B1[1], description="乙社区摊位")
    assert [c.pk for c in possible_duplicates(second)] == [first.pk]
    assert far.pk not in [c.pk for c in possible_duplicates(first)]
    with time_machine.travel(TUESDAY + timedelta(days=31), tick=False):
        later = resident_case(world, description="一个月后又来摆摊")
    assert first.pk not in [c.pk for c in possible_duplicates(later)]
    actions.do_resolve_on_site(first, "已劝离", actor=world["worker"])
    actions.do_feedback(first, "已处理", actor=world["worker"])
    actions.do_rate(Case.objects.get(pk=first.pk), "satisfied")
    assert possible_duplicates(second) == []


def test_an_operator_merges_a_duplicate_with_one_click(client, world):
    first = resident_case(world)
    second = resident_case(world, description="门口人行道又被摊位占了")
    second = actions.do_escalate(second, "疑似重复", actor=world["worker"])
    as_(client, world["town_operator"])
    text = page(client, second)
    assert 'data-testid="duplicates"' in text and first.number in text
    response = act(client, second, "merge", duplicate_of=first.number)
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.duplicate_of == first


# Reveal ------------------------------------------------------------------------------------


def test_the_holding_agency_reveals_the_contact_with_a_purpose(client, world):
    case = at_town(world)
    as_(client, world["town_operator"])
    text = page(client, case)
    assert "查看完整联系方式" in text
    url = reverse("cases:reveal", args=[case.number])
    refused = client.post(url, {"reveal-purpose": ""}, follow=True).content.decode()
    assert "查看完整信息须说明用途" in refused and "13907770001" not in refused
    text = client.post(url, {"reveal-purpose": "电话回访反映人"}).content.decode()
    assert "张三" in text and "13907770001" in text
    events = AuditEvent.objects.filter(kind=AuditKind.PII_UNMASKED, target_id=case.number)
    assert events.count() == 2 and events.first().purpose == "电话回访反映人"
    # Grid staff may not, whatever they post.
    as_(client, world["worker"])
    refused = client.post(url, {"reveal-purpose": "电话回访反映人"}, follow=True)
    assert "无权查看完整信息" in refused.content.decode()
    assert "13907770001" not in refused.content.decode()


# Attachments ---------------------------------------------------------------------------------


def test_attachments_are_served_through_the_scope(client, world):
    case = resident_case(world, attachments=[png(size=(800, 600))])
    item = case.attachments.get()
    url = reverse("cases:attachment", args=[item.token])
    as_(client, world["worker"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(url, {"size": "thumb"})
    assert thumb["Content-Type"] == "image/jpeg"
    from PIL import Image

    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    as_(client, world["other_worker"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


# Intake ----------------------------------------------------------------------------------------


def _new_case(client, key="k-1", **overrides):
    data = {
        "channel": "grid",
        "matter": MATTER_CODE,
        "description": "小区门口有摊位占道经营",
        "urgency": "normal",
        "lon": POINT_A1[0],
        "lat": POINT_A1[1],
        "attr_stalls": "3",
        "submission_key": key,
    }
    data.update(overrides)
    return client.post(reverse("cases:new"), data)


def test_a_grid_worker_reports_a_case_and_a_double_click_makes_one(client, world):
    as_(client, world["worker"])
    text = client.get(reverse("cases:new")).content.decode()
    assert "网格员上报事件" in text and 'capture="environment"' in text
    assert 'name="submission_key"' in text and "reporter_phone" not in text
    first = _new_case(client, attachments=[png()])
    second = _new_case(client)
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert first.url == second.url == reverse("cases:detail", args=[case.number])
    assert case.channel == "grid" and case.status == Status.AT_GRID
    assert case.attributes == {"stalls": 3.0} and case.attachments.count() == 1
    assert "重复提交只保留一件" in client.get(second.url).content.decode()


def test_intake_errors_are_chinese_and_create_nothing(client, world):
    as_(client, world["worker"])
    response = _new_case(client, lon=POINT_B1[0], lat=POINT_B1[1])
    assert response.status_code == 400 and "请选择您负责的网格内的位置" in response.content.decode()
    response = _new_case(client, key="k-2", description="")
    assert "请填写情况描述" in response.content.decode()
    response = _new_case(client, key="k-3", attr_stalls="many")
    assert "输入一个数字" in response.content.decode()
    response = _new_case(client, key="k-4", matter="9999999")
    assert response.status_code == 400 and "9999999" in response.content.decode()
    assert Case.objects.count() == 0


def test_matter_fields_follow_the_chosen_matter(client, world):
    as_(client, world["worker"])
    text = client.get(reverse("cases:matter_fields"), {"matter": MATTER_CODE}).content.decode()
    assert 'name="attr_stalls"' in text and "摊位数量" in text
    assert client.get(reverse("cases:matter_fields"), {"matter": "x"}).content.strip() == b""


def test_an_operator_registers_a_phone_call(client, world):
    as_(client, world["town_operator"])
    text = client.get(reverse("cases:new")).content.decode()
    assert "电话受理登记" in text and "甲社区" not in text  # villages come with the town
    response = client.post(
        reverse("cases:new"),
        {
            "channel": "phone",
            "matter": MATTER_CODE,
            "description": "来电反映菜市场门口占道经营",
            "urgency": "urgent",
            "town": world["town"].code,
            "village": world["village_a"].code,
            "address": "菜市场东门",
            "reporter_name": "李四",
            "reporter_phone": "13907770002",
            "submission_key": "phone-1",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == "phone" and case.status == Status.ACCEPTED
    assert case.holder_area == world["town"] and case.place_code == world["village_a"].code
    villages = client.get(reverse("public_cases:villages"), {"town": world["town"].code})
    assert "甲社区居民委员会" in villages.content.decode()


def test_a_department_may_not_register_cases(client, world):
    response = as_(client, world["handler"]).get(reverse("cases:new"))
    assert response.status_code == 403
    assert "只有网格员或网格化服务管理机构工作人员可以登记事件" in response.content.decode()


# Supervision ------------------------------------------------------------------------------


def test_board_shows_late_cases_by_holder_and_urges(client, world):
    case = at_department(world)
    as_(client, world["town_operator"])
    assert "辖区内没有超期或临期的事件" in client.get(reverse("cases:board")).content.decode()
    with time_machine.travel(case.due_at + timedelta(hours=1), tick=False):
        text = as_(client, world["town_operator"]).get(reverse("cases:board")).content.decode()
        assert case.number in text and "测试街道城管执法中队" in text
        assert 'data-testid="board-red">超期 1<' in text
        response = client.post(
            reverse("cases:act", args=[case.number, "urge"]),
            {"urge-version": case.version, "next": reverse("cases:board")},
        )
        assert response.status_code == 302 and response.url == reverse("cases:board")
        assert CaseEvent.objects.filter(case=case, kind=EventKind.URGED).count() == 1
        again = client.post(
            reverse("cases:act", args=[case.number, "urge"]),
            {"urge-version": case.version},
            follow=True,
        )
        assert "刚刚已催办过" in again.content.decode()
    assert as_(client, world["worker"]).get(reverse("cases:board")).status_code == 404


def test_supervision_order_is_issued_and_answered(client, world):
    case = at_department(world)
    as_(client, world["county_operator"])
    response = act(client, case, "supervise", demand="请于三日内办结并回复", workdays="30")
    assert "回复期限应为 1–20 个工作日" in response.content.decode()
    act(client, case, "supervise", demand="请于三日内办结并回复", workdays="3")
    order = SupervisionOrder.objects.get()
    as_(client, world["handler"])
    assert 'data-testid="answer-supervision"' in page(client, case)
    url = reverse("cases:supervision_order", args=[order.number])
    response = client.post(url, {"answer-answer": ""})
    assert response.status_code == 400 and "请填写回复内容" in response.content.decode()
    response = client.post(url, {"answer-answer": "已加派人手，周五前办结"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "answered" and order.answer == "已加派人手，周五前办结"
    # Somebody else may read the order but not answer it.
    as_(client, world["assistant"])
    assert client.get(url).status_code == 404


# Settings ------------------------------------------------------------------------------------


def test_the_system_administrator_edits_the_time_limits(client, world):
    admin = get_user_model().objects.create_user("sysadmin", password="x", full_name="系统管理员")
    grant(admin, Role.SYSTEM_ADMIN)
    assert as_(client, world["town_leader"]).get(reverse("cases:policy")).status_code == 404
    as_(client, admin)
    assert f'href="{reverse("cases:policy")}"' in client.get(reverse("home")).content.decode()
    assert client.get(reverse("cases:policy")).status_code == 200
    values = {
        name: getattr(CasePolicy(), name)
        for name in ("accept_workdays", "grid_workdays", "agency_workdays", "sign_workdays")
    }
    values.update(
        return_workdays=1,
        verify_workdays=2,
        feedback_workdays=1,
        rework_workdays=3,
        rating_days=7,
        warn_percent=5,
        urge_interval_minutes=60,
        max_extension_workdays=10,
    )
    response = client.post(reverse("cases:policy"), values)
    assert response.status_code == 400 and "应在 10–95 之间" in response.content.decode()
    assert not CasePolicy.objects.exists()
    response = client.post(
        reverse("cases:policy"), {**values, "warn_percent": 80, "agency_workdays": "x"}
    )
    assert "请输入整数" in response.content.decode()
    response = client.post(reverse("cases:policy"), {**values, "warn_percent": 80})
    assert response.status_code == 302
    assert CasePolicy.current().warn_percent == 80
    event = AuditEvent.objects.get(kind=AuditKind.CONFIG_CHANGED)
    assert event.before == {"warn_percent": 75} and event.after == {"warn_percent": 80}


# Details of the pages (a fresh-eyes review) ---------------------------------------------------


def _phone_case(client, world, key="phone-1", **overrides):
    """A call registered by the town operator, placed by its village only (no grid)."""
    data = {
        "channel": "phone",
        "matter": MATTER_CODE,
        "description": "来电反映菜市场门口占道经营",
        "urgency": "normal",
        "town": world["town"].code,
        "village": world["village_a"].code,
        "reporter_name": "李四",
        "reporter_phone": "13907770002",
        "submission_key": key,
    }
    data.update(overrides)
    return as_(client, world["town_operator"]).post(reverse("cases:new"), data)


def test_a_get_of_an_action_address_leads_back_to_the_case_page(client, world):
    """After the session expired, the login sends the user to the form's address with a
    GET (or the user reloads it after an error): the case page, never a blank 405."""
    case = resident_case(world)
    url = reverse("cases:act", args=[case.number, "escalate"])
    client.logout()
    response = client.post(url, {"escalate-version": case.version, "escalate-note": "摊主不听"})
    assert response.status_code == 302 and "next=" in response.url  # to the login page
    as_(client, world["worker"])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.number]) + "#act-escalate"
    text = client.get(response.url).content.decode()
    assert "请重新填写并提交" in text and 'data-testid="form-escalate"' in text
    assert status_of(case) == Status.AT_GRID
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.REPORTED_UP).exists()
    # The same for the contact reveal form, and still 404 outside the user's scope.
    reveal = client.get(reverse("cases:reveal", args=[case.number]))
    assert reveal.status_code == 302 and reveal.url == reverse("cases:detail", args=[case.number])
    as_(client, world["other_worker"])
    assert client.get(url).status_code == 404


def test_the_tracking_code_is_shown_once_to_the_operator_taking_the_call(client, world):
    response = _phone_case(client, world)
    case = Case.objects.get()
    first = client.get(response.url).content.decode()
    assert first.count(case.tracking_code) == 1 and "请告知来电人查询码" in first
    assert f'data-testid="new-tracking-code">{case.tracking_code}<' in first
    # Never again: not on the case page, nor in the lists, nor for anybody else.
    assert case.tracking_code not in page(client, case)
    assert case.tracking_code not in client.get(reverse("cases:list")).content.decode()
    assert case.tracking_code not in client.get(reverse("cases:inbox")).content.decode()
    assert case.tracking_code not in page(as_(client, world["town_leader"]), case)
    # A code the caller reads out still finds the case in the list.
    found = client.get(reverse("cases:list"), {"q": case.tracking_code}).content.decode()
    assert case.number in found
    # A grid worker's own report has nobody to give a code to.
    response = as_(client, world["worker"]).post(
        reverse("cases:new"),
        {
            "channel": "grid",
            "matter": MATTER_CODE,
            "description": "小区门口有摊位占道经营",
            "urgency": "normal",
            "lon": POINT_A1[0],
            "lat": POINT_A1[1],
            "submission_key": "grid-1",
        },
    )
    own = Case.objects.get(channel="grid")
    assert own.tracking_code not in client.get(response.url).content.decode()


def test_a_case_without_a_grid_shows_the_name_of_its_village(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _phone_case(client, world)
    case = Case.objects.get()
    assert case.grid_id is None and case.place_code == world["village_a"].code

    def listed():
        with CaptureQueriesContext(connection) as queries:
            text = client.get(reverse("cases:list")).content.decode()
        return text, len(queries)

    text, one = listed()
    assert 'data-testid="case-place">甲社区居民委员会<' in text
    assert f">{case.place_code}<" not in text
    inbox_text = client.get(reverse("cases:inbox")).content.decode()
    assert 'data-testid="case-place">甲社区居民委员会<' in inbox_text
    assert 'data-testid="place">测试街道 甲社区居民委员会<' in page(client, case)
    # More such cases on the page cost no more queries (one look-up for the page).
    _phone_case(client, world, key="phone-2", description="来电反映路灯不亮")
    _phone_case(client, world, key="phone-3", description="来电反映井盖缺失", village="")
    text, three = listed()
    assert three == one
    assert text.count('data-testid="case-place">甲社区居民委员会<') == 2
    assert 'data-testid="case-place">测试街道<' in text


def _label(text, field_id):
    """The label of the field ``field_id`` and the field's own tag."""
    import re

    label = re.search(rf'<label[^>]*for="{field_id}"[^>]*>(.*?)</label>', text, re.S)
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', text)
    assert label and tag, field_id
    return label.group(1), tag.group(0)


def _marked(text, field_id) -> bool:
    label, tag = _label(text, field_id)
    mark = 'class="text-danger required-mark"' in label
    assert mark == (" required" in tag), (field_id, label, tag)  # the two go together
    return mark


def test_fields_the_action_requires_are_marked(client, world):
    case = resident_case(world)
    text = page(as_(client, world["worker"]), case)
    assert _marked(text, "id_escalate-note") and _marked(text, "id_resolve_on_site-result")
    case = at_town(world, description="路灯不亮")
    text = page(as_(client, world["town_operator"]), case)
    assert _marked(text, "id_dispatch-lead") and _marked(text, "id_dispatch-instructions")
    assert _marked(text, "id_hand_down-target") and _marked(text, "id_hand_down-instructions")
    text = page(as_(client, world["town_leader"]), case)
    assert _marked(text, "id_postpone-reason") and _marked(text, "id_postpone-until")
    assert _marked(text, "id_park-reason")
    submitted = actions.do_escalate(resident_case(world), "需要执法", actor=world["worker"])
    text = page(as_(client, world["town_operator"]), submitted)
    assert _marked(text, "id_reject-ground") and _marked(text, "id_reject-reason")
    assert not _marked(text, "id_reject-duplicate_of") and not _marked(text, "id_accept-note")
    text = page(as_(client, world["county_operator"]), case)
    assert _marked(text, "id_supervise-demand") and _marked(text, "id_supervise-workdays")
    assert not _marked(text, "id_urge-note")
    # The server still decides: a missing reason is its Chinese message, nothing changes.
    response = act(as_(client, world["town_operator"]), case, "dispatch", lead="", instructions="")
    assert response.status_code == 400 and "请选择主办部门" in response.content.decode()
    assert status_of(case) == Status.ACCEPTED


def test_intake_marks_the_description_the_matters_required_fields_and_the_contact(client, world):
    world["matter"].attributes = [
        *world["matter"].attributes,
        {"code": "shop", "label": "店名", "type": "text", "required": True, "choices": []},
    ]
    world["matter"].save()
    fields = as_(client, world["worker"]).get(
        reverse("cases:matter_fields"), {"matter": MATTER_CODE}
    )
    fields = fields.content.decode()
    assert _marked(fields, "id_attr_shop") and not _marked(fields, "id_attr_stalls")
    text = client.get(reverse("cases:new")).content.decode()
    assert _marked(text, "id_description") and not _marked(text, "id_address")
    text = as_(client, world["town_operator"]).get(reverse("cases:new")).content.decode()
    assert _marked(text, "id_reporter_name") and _marked(text, "id_reporter_phone")
    response = _phone_case(client, world, reporter_name="", reporter_phone="", attr_shop="")
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写反映人姓名" in body and "请填写「店名」" in body
    assert not Case.objects.exists()


def test_whole_numbers_of_number_fields_show_without_decimals(client, world):
    case = resident_case(world, attributes={"stalls": 3})
    as_(client, world["worker"])
    Case.objects.filter(pk=case.pk).update(attributes={"stalls": 30.0})  # an older case
    assert '<dd class="col-sm-9">30</dd>' in page(client, case)
    Case.objects.filter(pk=case.pk).update(attributes={"stalls": 2.5})
    assert '<dd class="col-sm-9">2.5</dd>' in page(client, case)


def test_the_intake_form_says_what_its_matter_fields_were_drawn_for(client, world):
    """The page's script reloads a matter's fields after the Back button when the select
    and the fields differ; the page says which matter its fields belong to."""
    as_(client, world["worker"])
    assert (
        'id="matter-fields" aria-live="polite" data-for=""'
        in client.get(reverse("cases:new")).content.decode()
    )
    response = client.post(
        reverse("cases:new"), {"channel": "grid", "matter": MATTER_CODE, "description": ""}
    )
    assert response.status_code == 400
    assert f'data-for="{MATTER_CODE}"' in response.content.decode()


def test_the_inbox_offers_one_way_to_register_a_case(client, world):
    text = as_(client, world["town_operator"]).get(reverse("cases:inbox")).content.decode()
    assert text.count("登记事件") == 1


def test_staff_see_matter_codes_in_the_intake_select(client, world):
    text = as_(client, world["worker"]).get(reverse("cases:new")).content.decode()
    assert f'<option value="{MATTER_CODE}">{MATTER_CODE} 占道经营</option>' in text


def test_board_counts_red_and_yellow_apart_in_one_table(client, world):
    red = at_department(world)
    yellow = at_department(world)
    parked = at_town(world, description="路灯不亮")
    Case.objects.filter(pk=red.pk).update(flag=Flag.RED, due_at=TUESDAY - timedelta(hours=1))
    Case.objects.filter(pk=yellow.pk).update(flag=Flag.YELLOW)
    Case.objects.filter(pk=parked.pk).update(flag=Flag.YELLOW)
    text = as_(client, world["town_operator"]).get(reverse("cases:board")).content.decode()
    assert 'data-testid="board-red">超期 1<' in text
    assert 'data-testid="board-yellow">临期 2<' in text
    assert text.count('data-testid="board"') == 1  # one table: the columns line up
    assert text.count('data-testid="board-group"') == 2  # the department, the town
    assert "超期和临期" not in text
    for case in (red, yellow, parked):
        assert case.number in text
