"""What a user reads on the registry pages: labels and names instead of keys and codes,
采集 vs 变更, nationalities, households by their head, numbers that fail their check,
tabs by permission, care-tag removal in two steps, versions, the household list."""

import re

import pytest

from gridgov.registry import actions
from gridgov.registry.models import CareTag, Household, Person, Submission
from gridgov.registry.testing import id_number

from .test_pages import _household_post

RAW_VALUES = {"registered", "ric", "present", "head", "child", "family", "08", "CHN", "1", "2"}


def _section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</main>", start)]


def _cells(html: str) -> tuple[list[str], list[str]]:
    labels = re.findall(r"<dt[^>]*>([^<]*)</dt>", html)
    values = re.findall(r"<dd[^>]*><span[^>]*>([^<]*)</span>", html)
    return labels, values


def _person_raw(residence, **extra):
    return {
        "name": "韦小宝",
        "id_type": "ric",
        "id_number": id_number(77),
        "category": "floating",
        "residence": residence.code,
        "phone": "13700001111",
        "ethnicity": "08",
        **extra,
    }


# 1. The verification page speaks Chinese --------------------------------------------


def test_the_verifier_reads_labels_and_names_not_keys_and_codes(client, people, door):
    client.force_login(people["worker"])
    data = _household_post(door)
    data["members-0-ethnicity"] = "08"
    data["members-1-nationality"] = "other"
    data["members-1-nationality_other"] = "fin"
    data["members-1-category"] = "floating"
    response = client.post("/registry/collect/household/", data)
    assert response.status_code == 302, response.content.decode()
    sub = Submission.objects.get(record_kind="household")
    assert sub.data["members"][1]["nationality"] == "FIN"
    assert sub.data["members"][1]["category"] == "floating", sub.data

    client.force_login(people["leader"])
    page = client.get(f"/registry/submissions/{sub.public_id}/").content.decode()
    section = _section(page, "submission-data")
    labels, values = _cells(section)
    # Every key has its Chinese label; no raw key or code is shown as a value.
    assert labels and all(not re.search(r"[a-z_]", label) for label in labels), labels
    assert not RAW_VALUES & set(values), set(values) & RAW_VALUES
    for label in ("住址", "户类型", "姓名", "证件类型", "证件号码", "与户主关系", "人口类别"):
        assert label in labels
    for label in ("民族", "性别", "国籍（地区）", "联系电话", "状态"):
        assert label in labels
    for value in ("家庭户", "户籍人口", "流动人口", "居民身份证", "壮族", "男", "中国", "在册"):
        assert value in values, value
    assert "FIN" in values  # a code the table does not name is shown as the code
    # The address reads as its full text; its code is small beside it.
    assert door.full_name in values
    assert re.search(rf'<small class="text-muted[^"]*">{door.code}</small>', section)
    # Members by name and relation, masked.
    assert "1. 黄*（户主）" in section and "2. 黄**（子女）" in section
    assert "136****5678" in values and "黄强" not in page


def test_a_person_submission_names_its_residence_and_ethnicity(client, people, door):
    sub = actions.do_submit("person", _person_raw(door), actor=people["worker"])
    client.force_login(people["leader"])
    section = _section(
        client.get(f"/registry/submissions/{sub.public_id}/").content.decode(), "submission-data"
    )
    labels, values = _cells(section)
    assert "居住地址" in labels and door.full_name in values and "壮族" in values
    assert "流动人口" in values and "floating" not in values


# 2. 采集 stays 采集 after verification --------------------------------------------------


def test_a_new_person_is_titled_collection_also_once_verified(client, people, door):
    sub = actions.do_submit("person", _person_raw(door), actor=people["worker"])
    client.force_login(people["leader"])
    url = f"/registry/submissions/{sub.public_id}/"
    assert "实有人口采集：" in client.get(url).content.decode()
    client.post(f"{url}verify/", {"note": ""})
    sub.refresh_from_db()
    assert sub.record_id is not None
    page = client.get(url).content.decode()
    assert "实有人口采集：" in page and "实有人口变更" not in page

    person = Person.objects.get(name="韦小宝")
    change = actions.do_submit(
        "person", _person_raw(door, hukou_place="广西钦州"), actor=people["worker"], record=person
    )
    change_url = f"/registry/submissions/{change.public_id}/"
    assert "实有人口变更：" in client.get(change_url).content.decode()
    client.post(f"{change_url}verify/", {"note": ""})
    assert "实有人口变更：" in client.get(change_url).content.decode()
    listing = client.get("/registry/submissions/?status=verified").content.decode()
    assert listing.count("（变更）") == 1


# 3. Nationality and household on the person page; the nationality select -------------


def test_person_page_names_the_nationality_and_the_household(client, people, household):
    person = Person.objects.get(name="李娜")
    Person.objects.filter(pk=person.pk).update(nationality="VNM")
    client.force_login(people["worker"])
    page = client.get(f"/registry/persons/{person.public_id}/").content.decode()
    assert re.search(r'data-testid="nationality">越南<', page)
    link = re.search(r'data-testid="household-link">([^<]*)</a>', page).group(1)
    assert link == f"户主 张* · {household.address.full_name}"
    assert household.public_id not in link
    Person.objects.filter(pk=person.pk).update(nationality="FIN")
    page = client.get(f"/registry/persons/{person.public_id}/").content.decode()
    assert re.search(r'data-testid="nationality">FIN<', page)


def test_the_collect_form_offers_common_nationalities_and_other(client, people, door):
    client.force_login(people["worker"])
    form = client.get("/registry/collect/person/").content.decode()
    assert '<option value="VNM">越南</option>' in form
    assert '<option value="CHN" selected>中国</option>' in form
    assert '<option value="other">其他（填写代码）</option>' in form
    assert "如 VNM" not in form
    post = {**_person_raw(door), "nationality": "other", "nationality_other": "", "status": ""}
    post["category"] = "overseas"
    post["id_type"] = "passport"
    post["id_number"] = "E12345678"
    response = client.post("/registry/collect/person/", {**post, "status": "present"})
    assert response.status_code == 400
    assert "请填写国籍的三位字母代码" in response.content.decode()
    assert not Submission.objects.filter(record_kind="person").exists()
    response = client.post(
        "/registry/collect/person/", {**post, "status": "present", "nationality_other": "F1"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_nationality_other_errors"' in page and "国籍应为三位字母代码" in page
    response = client.post(
        "/registry/collect/person/", {**post, "status": "present", "nationality_other": "fin"}
    )
    assert response.status_code == 302
    sub = Submission.objects.get(record_kind="person")
    assert sub.data["nationality"] == "FIN"
    actions.do_verify(sub, actor=people["leader"])
    person = Person.objects.get(name="韦小宝")
    # The change form shows a nationality outside the list as 其他 + its code.
    form = client.get(f"/registry/collect/person/{person.public_id}/").content.decode()
    assert '<option value="other" selected>' in form
    assert re.search(r'name="nationality_other" value="FIN"', form)


# 4. A number that fails its check is cleared ----------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            "id_number",
            id_number(77)[:-1] + ("0" if id_number(77)[-1] != "0" else "1"),
            "校验位错误",
        ),
        ("id_number", id_number(77)[:-2], "身份证号码应为18位（当前16位）"),
        ("phone", "1370000111", "电话号码格式错误"),
    ],
)
def test_an_invalid_number_is_cleared_and_its_check_named(
    client, people, door, field, typed, message
):
    client.force_login(people["worker"])
    post = {**_person_raw(door), "status": "present", field: typed}
    response = client.post("/registry/collect/person/", post)
    assert response.status_code == 400
    page = response.content.decode()
    errors = re.search(rf'id="id_{field}_errors">(.*?)</ul>', page, re.S).group(1)
    assert message in errors and "已清空，请重新输入" in errors
    assert f'name="{field}__token"' not in page
    assert re.search(rf'name="{field}" id="id_{field}" value=""', page)
    assert typed not in page
    # The other number typed is kept (masked, with a token).
    other = "phone" if field == "id_number" else "id_number"
    assert f'name="{other}__token"' in page
    assert not Submission.objects.filter(record_kind="person").exists()


def test_an_invalid_number_is_named_even_when_another_field_stops_the_form(client, people, door):
    client.force_login(people["worker"])
    bad = id_number(41)[:-1] + ("0" if id_number(41)[-1] != "0" else "1")
    data = _household_post(door, id_number=bad)
    data["address"] = ""  # the form stops before the number is checked by the action
    response = client.post("/registry/collect/household/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "身份证号码校验位错误" in page
    assert 'name="members-0-id_number__token"' not in page
    assert 'name="members-1-id_number__token"' in page


# 5. Tabs by permission ----------------------------------------------------------------


def _tabs(page: str) -> str:
    start = page.index('<ul class="nav nav-pills')
    return page[start : page.index("</ul>", start)]


def test_import_and_export_tabs_only_for_those_who_may_use_them(client, people):
    client.force_login(people["worker"])
    tabs = _tabs(client.get("/registry/").content.decode())
    assert "导入" not in tabs and "导出" not in tabs and "采集核实" in tabs and "户" in tabs
    assert client.get("/registry/exports/new/").status_code == 404
    client.force_login(people["leader"])  # a 网格长 exports the grid; imports are agencies'
    tabs = _tabs(client.get("/registry/").content.decode())
    assert "导出" in tabs and "导入" not in tabs
    client.force_login(people["town"])
    tabs = _tabs(client.get("/registry/").content.decode())
    assert 'href="/registry/imports/"' in tabs and 'href="/registry/exports/"' in tabs
    assert "flex-wrap" in tabs  # all tabs stay visible on a phone


# 6. Care-tag removal asks first ---------------------------------------------------------


def test_removing_a_care_tag_asks_for_confirmation(client, people, household):
    person = Person.objects.get(name="张伟")
    actions.do_add_care_tag(person, "elderly_alone", actor=people["leader"])
    actions.do_add_care_tag(person, "community_correction", actor=people["leader"])
    client.force_login(people["worker"])
    page = client.get(f"/registry/persons/{person.public_id}/").content.decode()
    url = f"/registry/persons/{person.public_id}/tags/elderly_alone/remove/"
    assert f'href="{url}"' in page and 'aria-label="删除“独居老人”标签"' in page
    assert ">×<" not in page
    # One tap (the old form) does not delete: it asks.
    response = client.post(url)
    assert response.status_code == 200
    assert "确定删除 张* 的“独居老人”标签吗？" in response.content.decode()
    assert CareTag.objects.filter(person=person).count() == 2
    page = client.get(url).content.decode()
    assert 'name="confirm" value="1"' in page and "确认删除" in page and "取消" in page
    # A tag the worker may not see cannot be asked about either.
    hidden = f"/registry/persons/{person.public_id}/tags/community_correction/remove/"
    assert client.get(hidden).status_code == 404
    assert client.post(hidden, {"confirm": "1"}).status_code == 404
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    assert "已删除关爱对象标签" in client.get(response["Location"]).content.decode()
    assert CareTag.objects.filter(person=person).count() == 1


# 7. Versions ----------------------------------------------------------------------------


def test_a_household_without_collection_says_it_has_only_the_current_version(client, people, door):
    household = Household.objects.create(address=door, grid=door.grid, number="A-7")
    client.force_login(people["worker"])
    page = client.get(f"/registry/list/household/{household.public_id}/").content.decode()
    versions = page[page.index('data-testid="versions"') :]
    assert "仅有当前版本" in versions and ">无<" not in versions
    assert "户：户号 A-7 · " in page


def test_a_collected_household_lists_its_version(client, people, household):
    client.force_login(people["worker"])
    page = client.get(f"/registry/list/household/{household.public_id}/").content.decode()
    assert "仅有当前版本" not in page and "第 1 版" in page
    assert f"户：户主 张* · {household.address.full_name}" in page


# 8. The household list the docs name ------------------------------------------------------


def test_the_household_list(client, people, household, door_b):
    client.force_login(people["worker"])
    response = client.get("/registry/list/household/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/registry/list/household/{household.public_id}/"' in page
    assert "张*" in page and household.address.full_name in page
    assert re.search(r"<td>2</td>", page)  # members
    assert 'href="/registry/collect/household/"' in page
    page = client.get("/registry/list/household/", {"q": "建设路"}).content.decode()
    assert household.public_id not in page and "没有记录" in page
    client.force_login(people["worker_b"])
    page = client.get("/registry/list/household/").content.decode()
    assert household.public_id not in page


def test_every_kind_of_submission_reads_in_chinese(client, people, household, door, territory):
    from gridgov.registry.testing import make_credit_code, make_maritime_grid

    owner = Person.objects.get(name="张伟")
    tenant = Person.objects.get(name="李娜")
    worker = people["worker"]
    house_sub, house = actions.do_import_record(
        "house", {"address": door.code, "use": "rented", "owner": owner.public_id}, actor=None
    )
    grid = make_maritime_grid(territory)
    subs = {
        "address": Submission.objects.filter(record_kind="address").first(),
        "house": house_sub,
        "rental": actions.do_submit(
            "rental",
            {
                "house": house.public_id,
                "landlord": owner.public_id,
                "tenants": [tenant.public_id],
                "start_date": "2024-01-01",
            },
            actor=worker,
        ),
        "unit": actions.do_submit(
            "unit",
            {
                "name": "钦州测试学校",
                "credit_code": make_credit_code(5),
                "kind": "institution",
                "address": door.code,
                "legal_representative": "王五",
                "contact_phone": "13800001111",
                "key_place_kind": "school",
                "patrol_frequency": "weekly",
            },
            actor=worker,
        ),
        "vessel": actions.do_submit(
            "vessel",
            {
                "name": "桂钦渔01234",
                "registration_number": "ab123",
                "kind": "fishing",
                "grid": grid.code,
                "owner": owner.public_id,
            },
            actor=None,
        ),
    }
    expected = {
        "address": ("门牌", "甲社区居民委员会", "核实时生成"),
        "house": ("出租", "张*", door.full_name),
        "rental": ("张*", "李*", door.full_name),
        "unit": ("事业单位", "学校", "每周", "是", "王*", "138****1111"),
        "vessel": ("渔船", "张*", grid.name, "AB123"),
    }
    client.force_login(people["town"])
    for kind, sub in subs.items():
        response = client.get(f"/registry/submissions/{sub.public_id}/")
        assert response.status_code == 200, kind
        labels, values = _cells(_section(response.content.decode(), "submission-data"))
        assert labels and all(not re.search(r"[a-z_]", label) for label in labels), labels
        for value in expected[kind]:
            assert value in values, (kind, value, values)
        assert not {"rented", "institution", "school", "weekly", "fishing", "door"} & set(values)
