"""The public pages: a resident reports without an account, tracks the case by its code
(no internal notes, no staff names, no personal data) and rates the result."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.cases import actions
from gridgov.cases.choices import Status
from gridgov.cases.models import Case
from gridgov.cases.testing import MATTER_CODE, POINT_A1, case_world, resident_case
from gridgov.matters.models import Matter

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


def png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def report(client, key="key-1", **overrides):
    data = {
        "matter": MATTER_CODE,
        "description": "小区门口人行道上有摊位占道经营",
        "urgency": "normal",
        "lon": POINT_A1[0],
        "lat": POINT_A1[1],
        "reporter_name": "张三",
        "reporter_phone": "13907770001",
        "submission_key": key,
    }
    data.update(overrides)
    return client.post(reverse("public_cases:new"), data)


def test_a_resident_reports_without_an_account_and_gets_a_tracking_code(client, world):
    Matter.objects.create(
        code="0101001",
        name="实有人口信息采集",
        work_kind="basic_info",
        description="采集",
        level="city",
        area=world["city"],
        department=world["matter"].department,
        valid_from=date(2024, 1, 1),
    )
    text = client.get(reverse("public_cases:new")).content.decode()
    assert "占道经营" in text and "实有人口信息采集" not in text  # resident-reportable only
    assert 'capture="environment"' in text and "使用当前位置" in text
    response = report(client, attachments=[png()])
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("public_cases:thanks", args=[case.tracking_code])
    thanks = client.get(response.url).content.decode()
    assert f'data-testid="tracking-code">{case.tracking_code}<' in thanks
    assert case.channel == "resident" and case.status == Status.AT_GRID
    assert case.reporter_name == "张三" and case.attachments.get().public


def test_a_double_submission_makes_one_case(client, world):
    first = report(client)
    second = report(client)
    assert Case.objects.count() == 1
    assert first.url == second.url


def test_contact_and_anonymity_rules(client, world):
    response = report(client, reporter_name="")
    assert response.status_code == 400
    assert "请填写反映人姓名，以便反馈办理结果" in response.content.decode()
    response = report(client, key="key-2", reporter_phone="12ab")
    assert "联系电话格式不正确" in response.content.decode()
    response = report(client, key="key-3", lon="", lat="")
    assert "请在地图上选择位置，或选择所在村（社区）" in response.content.decode()
    assert Case.objects.count() == 0
    report(client, key="key-4", reporter_name="", reporter_phone="", anonymous="on")
    case = Case.objects.get()
    assert case.anonymous and case.reporter_phone == ""
    world["matter"].anonymous_allowed = False
    world["matter"].save()
    response = report(client, key="key-5", reporter_name="", reporter_phone="", anonymous="on")
    assert "该事项不接受匿名反映，请留下联系方式" in response.content.decode()


def test_a_resident_may_locate_by_town_and_village(client, world):
    villages = client.get(reverse("public_cases:villages"), {"town": world["town"].code})
    assert "甲社区居民委员会" in villages.content.decode()
    response = report(
        client, lon="", lat="", town=world["town"].code, village=world["village_a"].code
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.place_code == world["village_a"].code and case.status == Status.SUBMITTED
    fields = client.get(reverse("public_cases:matter_fields"), {"matter": MATTER_CODE})
    assert "摊位数量" in fields.content.decode()


def test_reports_per_hour_are_limited(client, world, settings):
    settings.CASE_PUBLIC_REPORTS_PER_HOUR = 2
    report(client, key="a")
    report(client, key="b", description="又有人摆摊")
    response = report(client, key="c", description="第三次反映")
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert Case.objects.count() == 2
    # A repeated submission of an accepted report still finds its case.
    assert report(client, key="a").status_code == 302


def _fed_back(world):
    case = resident_case(world, attachments=[png()])
    case = actions.do_escalate(case, "摊主不听劝阻（内部）", actor=world["worker"])
    case = actions.do_accept(case, "内部受理意见", actor=world["town_operator"])
    case = actions.do_dispatch(
        case, world["lead_department"], "内部流转意见XYZ", actor=world["town_operator"]
    )
    case = actions.do_sign(case, actor=world["handler"])
    case = actions.do_reply(
        case, "内部答复：已罚款两百元", actor=world["handler"], attachments=[png()]
    )
    case = actions.do_verify(case, True, actor=world["town_operator"])
    return actions.do_feedback(case, "已清理占道摊位，谢谢您的反映", actor=world["town_operator"])


def test_tracking_shows_the_public_timeline_only(client, world):
    case = _fed_back(world)
    response = client.get(reverse("public_cases:track", args=[case.tracking_code]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "已反馈待评价" in text
    assert "已清理占道摊位，谢谢您的反映" in text
    assert "已转测试街道城管执法中队办理" in text and "测试街道已受理" in text
    assert "测试街道" in text  # the acting unit
    for secret in (
        "内部流转意见XYZ",
        "内部受理意见",
        "摊主不听劝阻（内部）",
        "已罚款两百元",
        "网格员小李",
        "街道中心操作员",
        "城管中队经办人",
        "张三",
        "13907770001",
        case.number,
    ):
        assert secret not in text, secret
    # The resident's own photo is public, the department's evidence is not.
    public, internal = case.attachments.order_by("pk")
    assert public.token in text and internal.token not in text
    url = reverse("public_cases:attachment", args=[case.tracking_code, public.token])
    assert client.get(url).status_code == 200
    hidden = reverse("public_cases:attachment", args=[case.tracking_code, internal.token])
    assert client.get(hidden).status_code == 404


def test_unknown_code_is_a_chinese_404_and_codes_are_normalised(client, world):
    response = client.get(reverse("public_cases:track", args=["ABCDEFGHJK"]))
    assert response.status_code == 404 and "未找到该查询码" in response.content.decode()
    case = resident_case(world)
    found = client.get(
        reverse("public_cases:track_search"), {"code": f" {case.tracking_code.lower()} "}
    )
    assert found.url == reverse("public_cases:track", args=[case.tracking_code])
    empty = client.get(reverse("public_cases:track_search"), {"code": ""})
    assert "请输入查询码" in empty.content.decode()
    assert client.get(reverse("public_cases:thanks", args=["NOPE"])).status_code == 404


def test_the_resident_rates_the_result(client, world):
    case = _fed_back(world)
    url = reverse("public_cases:rate", args=[case.tracking_code])
    text = client.get(reverse("public_cases:track", args=[case.tracking_code])).content.decode()
    assert 'data-testid="rating-form"' in text and "基本满意" in text
    response = client.post(url, {"rating": "unsatisfied", "comment": ""})
    assert response.status_code == 400
    assert "请说明不满意的原因，我们将重新办理" in response.content.decode()
    response = client.post(url, {"rating": ""})
    assert "请选择满意、基本满意或不满意" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.FED_BACK
    response = client.post(url, {"rating": "satisfied", "comment": "很及时"}, follow=True)
    text = response.content.decode()
    assert "感谢您的评价" in text and "已结案" in text and 'data-testid="rating-form"' not in text
    again = client.post(url, {"rating": "unsatisfied", "comment": "再评一次"}, follow=True)
    assert "该事件当前不能评价" in again.content.decode()
    assert Case.objects.get(pk=case.pk).rating == "satisfied"


def test_unsatisfied_reopens_the_case(client, world):
    case = _fed_back(world)
    url = reverse("public_cases:rate", args=[case.tracking_code])
    client.post(url, {"rating": "unsatisfied", "comment": "第二天又来摆摊了"})
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.reopen_count == 1
    text = client.get(reverse("public_cases:track", args=[case.tracking_code])).content.decode()
    assert "因不满意，已退回重新办理" in text


def test_the_report_page_is_linked_from_the_public_list_and_the_login_page(client, world):
    target = reverse("public_cases:new")
    assert f'href="{target}"' in client.get(reverse("public:public_list")).content.decode()
    assert f'href="{target}"' in client.get(reverse("login")).content.decode()


def test_a_get_of_the_rating_address_leads_to_the_tracking_page(client, world):
    """A reload of the page shown after a rating error (or a shared link) is a GET."""
    case = _fed_back(world)
    url = reverse("public_cases:rate", args=[case.tracking_code])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == reverse("public_cases:track", args=[case.tracking_code])
    assert 'data-testid="rating-form"' in client.get(response.url).content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.FED_BACK
    assert client.get(reverse("public_cases:rate", args=["ABCDEFGHJK"])).status_code == 404


def test_residents_see_matter_names_without_codes(client, world):
    text = client.get(reverse("public_cases:new")).content.decode()
    assert f'<option value="{MATTER_CODE}">占道经营</option>' in text
    assert f"{MATTER_CODE} 占道经营" not in text
    report(client)
    case = Case.objects.get()
    for url in (
        reverse("public_cases:thanks", args=[case.tracking_code]),
        reverse("public_cases:track", args=[case.tracking_code]),
    ):
        page = client.get(url).content.decode()
        assert "占道经营" in page and MATTER_CODE not in page


def test_the_report_form_marks_what_must_be_filled(client, world):
    import re

    text = client.get(reverse("public_cases:new")).content.decode()
    for field in ("description", "reporter_name", "reporter_phone"):
        label = re.search(rf'<label[^>]*for="id_{field}"[^>]*>(.*?)</label>', text, re.S)
        assert 'class="text-danger required-mark"' in label.group(1), field
        assert re.search(rf'<(?:input|textarea)[^>]* required[^>]*id="id_{field}"', text), field
    assert "data-contact" in text  # the page drops the marks of the contact when 匿名
    case = _fed_back(world)
    track = client.get(reverse("public_cases:track", args=[case.tracking_code])).content.decode()
    legend = re.search(r"<legend[^>]*>您对办理结果的评价(.*?)</legend>", track, re.S)
    assert legend and "required-mark" in legend.group(1)
