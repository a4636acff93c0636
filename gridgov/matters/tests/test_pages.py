"""The matter pages: the public list, applications, rectification and tasks."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gridgov.matters import actions
from gridgov.matters.models import MatterApplication, Rectification, TaskAssignment
from gridgov.matters.testing import matter_people, proposed

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def people(territory):
    return matter_people(territory)


def _admit(people, start, **overrides):
    application = actions.do_apply(
        kind="admission",
        department=people["department"],
        actor=people["handler"],
        reason="民政服务下沉网格",
        effective_date=start,
        proposed=proposed(**overrides),
        staff_provided="每网格配 1 名兼职",
        funds_provided="每网格每年 2000 元",
        training_provided="每季度培训一次",
    )
    return actions.do_approve_application(application, actor=people["agency"], note="同意")


def _task(people, matter):
    return actions.do_assign_task(
        matter_code=matter.code,
        title="走访统计",
        instructions="走访辖区独居老人",
        due_date=timezone.localdate() + timedelta(days=5),
        actor=people["agency"],
        area_code="990101001",
    )


# The public list ------------------------------------------------------------------------


def test_public_list_needs_no_login_and_shows_the_matter_in_force(client, people):
    matter = _admit(people, timezone.localdate())
    response = client.get(reverse("public:public_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert matter.code in text and "独居老人定期探访" in text
    assert "民生事项服务" in text and "测试市民政局" in text
    assert "纳入网格服务管理事项清单的公告" in text  # the notice
    assert "退出" not in text.split("<main")[0]  # no staff navigation (no logout button)
    detail = client.get(reverse("public:public_matter", args=[matter.code]))
    assert detail.status_code == 200 and "第 1 版" in detail.content.decode()


def test_effective_date_rule(client, people):
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    matter = _admit(people, tomorrow)
    url = reverse("public:public_list")
    assert matter.code not in client.get(url).content.decode().split("清单公告")[0]
    # the notice is public at once, before the change takes effect (第九条)
    assert matter.code in client.get(url).content.decode()
    later = client.get(url, {"date": tomorrow.isoformat()}).content.decode()
    assert matter.code in later.split("清单公告")[0]
    with time_machine.travel(tomorrow.isoformat() + " 10:00 +0800"):
        assert matter.code in client.get(url).content.decode().split("清单公告")[0]


def test_bad_date_is_a_chinese_error(client, people):
    response = client.get(reverse("public:public_list"), {"date": "2026-13-45"})
    assert response.status_code == 400
    assert "日期格式应为" in response.content.decode()


def test_exit_keeps_history_readable(client, people):
    matter = _admit(people, timezone.localdate())
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        leave = timezone.localdate() + timedelta(days=1)
        exit_app = actions.do_apply(
            kind="exit",
            department=people["department"],
            actor=people["handler"],
            reason="职能调整",
            effective_date=leave,
            matter_code=matter.code,
        )
        actions.do_approve_application(exit_app, actor=people["agency"])
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        listing = client.get(reverse("public:public_list")).content.decode()
        assert matter.code not in listing.split("清单公告")[0]
        page = client.get(reverse("public:public_matter", args=[matter.code])).content.decode()
        assert "今日不在清单中" in page and "独居老人定期探访" in page
        assert "退出网格服务管理事项清单的公告" in page


# Applications ---------------------------------------------------------------------------


def _form(**overrides):
    data = {
        "kind": "admission",
        "name": "独居老人定期探访",
        "work_kind": "livelihood",
        "subcategory": "01",
        "description": "每月走访独居老人",
        "duties": ["serve", "report"],
        "deadline_workdays": "5",
        "attributes": '[{"code": "visit_date", "label": "走访日期", "type": "date"}]',
        "reason": "民政服务下沉",
        "staff_provided": "兼职 1 名",
        "funds_provided": "2000 元",
        "training_provided": "每季度",
        "effective_date": timezone.localdate().isoformat(),
    }
    data.update(overrides)
    return data


def test_department_applies_and_agency_approves_through_pages(client, people):
    client.force_login(people["handler"])
    response = client.post(reverse("matters:application_create"), _form())
    application = MatterApplication.objects.get()
    assert response.status_code == 302
    detail = client.get(reverse("matters:application_detail", args=[application.number]))
    assert "撤回申请" in detail.content.decode()
    assert "同意并公告" not in detail.content.decode()

    client.force_login(people["agency"])
    url = reverse("matters:application_detail", args=[application.number])
    assert "同意并公告" in client.get(url).content.decode()
    client.post(reverse("matters:application_approve", args=[application.number]), {})
    application.refresh_from_db()
    assert application.status == "approved"
    client.logout()
    assert application.matter_code in client.get(reverse("public:public_list")).content.decode()


def test_bad_application_changes_nothing_and_shows_field_errors(client, people):
    client.force_login(people["handler"])
    response = client.post(
        reverse("matters:application_create"),
        _form(duties=[], staff_provided="", attributes="not json"),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "上报字段应为 JSON 数组" in text
    client.post(reverse("matters:application_create"), _form(duties=[], staff_provided=""))
    text = client.post(
        reverse("matters:application_create"), _form(duties=[], staff_provided="")
    ).content.decode()
    assert "请选择网格员在该事项中的职责" in text and "第八条" in text
    assert not MatterApplication.objects.exists()


def test_application_out_of_scope_is_404(client, people, territory):
    from django.contrib.auth import get_user_model

    from gridgov.core.testing import grant
    from gridgov.orgs.choices import Role
    from gridgov.orgs.models import Department

    application = actions.do_apply(
        kind="admission",
        department=people["department"],
        actor=people["handler"],
        reason="x",
        effective_date=timezone.localdate(),
        proposed=proposed(),
        staff_provided="a",
        funds_provided="b",
        training_provided="c",
    )
    other_dept = Department.objects.create(
        name="测试市应急局", kind="应急管理", level="city", area=territory["city"]
    )
    other = get_user_model().objects.create_user(
        "yingji", password="x", full_name="应急", password_changed_at=timezone.now()
    )
    grant(other, Role.DEPARTMENT_HANDLER, department=other_dept)
    client.force_login(other)
    url = reverse("matters:application_detail", args=[application.number])
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("matters:application_withdraw", args=[application.number])).status_code
        == 404
    )
    # the county agency sees nothing of the city's applications it cannot review
    client.force_login(people["county_agency"])
    assert "同意并公告" not in client.get(url).content.decode()


# Tasks ----------------------------------------------------------------------------------


def test_assigning_under_an_unlisted_code_cites_article_7(client, people):
    client.force_login(people["agency"])
    response = client.post(
        reverse("matters:task_create"),
        {
            "matter_code": "0601999",
            "title": "统计",
            "instructions": "统计人数",
            "due_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "area_code": "990101001",
        },
    )
    assert response.status_code == 200
    assert "第七条" in response.content.decode()


def test_task_flow_refusal_visible_to_assigner(client, people):
    matter = _admit(people, timezone.localdate())
    client.force_login(people["agency"])
    response = client.post(
        reverse("matters:task_create"),
        {
            "matter_code": matter.code,
            "title": "走访统计",
            "instructions": "走访辖区独居老人",
            "due_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "area_code": "990101001",
        },
    )
    assert response.status_code == 302
    assignment = TaskAssignment.objects.get(grid__code="990101001001001")
    task = assignment.task

    client.force_login(people["worker"])
    inbox = client.get(reverse("matters:my_tasks")).content.decode()
    assert task.number in inbox
    client.post(
        reverse("matters:assignment_refuse", args=[assignment.pk]),
        {"refuse-ground": "unlawful", "refuse-note": "要求强制拆除"},
    )
    assignment.refresh_from_db()
    assert assignment.status == "refused" and assignment.refusal_ground == "unlawful"

    client.force_login(people["agency"])
    page = client.get(reverse("matters:task_detail", args=[task.number])).content.decode()
    assert "违反法律、法规、规章规定的事项" in page and "要求强制拆除" in page
    assert "各地进度" in page


def test_worker_accepts_reports_with_photo_and_completes(client, people):
    matter = _admit(people, timezone.localdate())
    task = _task(people, matter)
    assignment = task.assignments.get(grid__code="990101001001001")
    client.force_login(people["worker"])
    client.post(reverse("matters:assignment_accept", args=[assignment.pk]))
    response = client.post(
        reverse("matters:assignment_progress", args=[assignment.pk]),
        {
            "progress-progress": "40",
            "progress-note": "已走访一半",
            "progress-photo": SimpleUploadedFile("a.html", PNG, "text/html"),
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == "in_progress" and assignment.progress == 40
    event = assignment.events.exclude(photo="").get()
    assert event.photo.name.endswith(".png")
    served = client.get(reverse("matters:event_photo", args=[event.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"

    bad = client.post(
        reverse("matters:assignment_complete", args=[assignment.pk]),
        {
            "complete-result": "完成",
            "complete-photo": SimpleUploadedFile("a.jpg", b"GIF89a....", "image/jpeg"),
        },
    )
    assert "只能上传 JPEG 或 PNG 格式的照片" in bad.content.decode()
    assignment.refresh_from_db()
    assert assignment.status == "in_progress"
    client.post(
        reverse("matters:assignment_complete", args=[assignment.pk]), {"complete-result": "已完成"}
    )
    assignment.refresh_from_db()
    assert assignment.status == "completed"


def test_other_grids_assignment_is_404_for_worker(client, people):
    matter = _admit(people, timezone.localdate())
    task = _task(people, matter)
    other = task.assignments.exclude(grid__code="990101001001001").first()
    assert other is not None
    client.force_login(people["worker"])
    assert client.get(reverse("matters:assignment_detail", args=[other.pk])).status_code == 404
    assert client.post(reverse("matters:assignment_accept", args=[other.pk])).status_code == 404


# Rectification --------------------------------------------------------------------------


def test_rectification_order_and_exit_when_overdue(client, people):
    matter = _admit(people, timezone.localdate())
    client.force_login(people["agency"])
    response = client.post(
        reverse("matters:rectification_create"),
        {
            "matter_code": matter.code,
            "grounds": ["funds"],
            "findings": "经费未到位",
            "deadline": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302
    rectification = Rectification.objects.get()
    with time_machine.travel(timezone.now() + timedelta(days=12)):
        client.force_login(people["agency"])
        page = client.get(reverse("matters:rectification_detail", args=[rectification.number]))
        assert "同意退出" in page.content.decode()
        leave = timezone.localdate() + timedelta(days=1)
        client.post(
            reverse("matters:rectification_exit", args=[rectification.number]),
            {"exit-effective_date": leave.isoformat(), "exit-note": "逾期未整改"},
        )
        rectification.refresh_from_db()
        assert rectification.status == "exited"


def test_nav_shows_matters_and_tasks(client, people):
    client.force_login(people["agency"])
    text = client.get(reverse("matters:application_list")).content.decode()
    assert "事项清单" in text and reverse("matters:task_list") in text
    client.force_login(people["worker"])
    text = client.get(reverse("matters:my_tasks")).content.decode()
    assert reverse("matters:my_tasks") in text
    assert reverse("matters:application_list") not in text


def test_adjustment_starts_from_the_current_version(client, people):
    matter = _admit(people, timezone.localdate())
    client.force_login(people["handler"])
    page = client.get(
        reverse("matters:application_create"), {"kind": "adjustment", "matter_code": matter.code}
    ).content.decode()
    assert 'value="独居老人定期探访"' in page
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("matters:application_create"),
        _form(
            kind="adjustment",
            matter_code=matter.code,
            name="独居老人定期探访（每半月）",
            effective_date=tomorrow.isoformat(),
        ),
    )
    assert response.status_code == 302, response.content.decode()
    application = MatterApplication.objects.get(kind="adjustment")
    client.force_login(people["agency"])
    client.post(reverse("matters:application_approve", args=[application.number]), {})
    client.logout()
    url = reverse("public:public_list")
    today_list = client.get(url).content.decode().split("清单公告")[0]
    assert "独居老人定期探访（每半月）" not in today_list
    tomorrow_list = client.get(url, {"date": tomorrow.isoformat()}).content.decode()
    assert "独居老人定期探访（每半月）" in tomorrow_list.split("清单公告")[0]
    page = client.get(reverse("public:public_matter", args=[matter.code])).content.decode()
    assert "第 1 版" in page and "第 2 版" in page


def test_public_list_in_english(client, people):
    matter = _admit(people, timezone.localdate())
    client.cookies["django_language"] = "en"
    text = client.get(reverse("public:public_list")).content.decode()
    assert "Grid service matter list" in text and "Livelihood services" in text
    assert matter.code in text


def test_agency_sees_refusals_of_a_department_task(client, people):
    matter = _admit(people, timezone.localdate())
    task = actions.do_assign_task(
        matter_code=matter.code,
        title="走访统计",
        instructions="走访辖区独居老人",
        due_date=timezone.localdate() + timedelta(days=5),
        actor=people["handler"],
        grid_codes=["990101001001001"],
    )
    assignment = task.assignments.get()
    actions.do_refuse_task(
        assignment, actor=people["worker"], ground="outside_list", note="不在本地清单"
    )
    for who in ("handler", "agency"):
        client.force_login(people[who])
        text = client.get(reverse("matters:refusal_list")).content.decode()
        assert task.number in text and "不在本地清单" in text, who
    client.force_login(people["handler"])
    page = client.get(reverse("matters:task_detail", args=[task.number])).content.decode()
    assert "超出当地网格化服务管理事项清单" in page
    client.force_login(people["agency"])
    data = client.get("/api/matters/refusals").json()
    assert [a["task"] for a in data["items"]] == [task.number]
