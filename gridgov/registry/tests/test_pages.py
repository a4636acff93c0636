"""Registry pages: collect a household, verify it, find the person; masked everywhere
(the ``client`` fixture fails on any plaintext ID or mobile number in a page)."""

from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.registry import actions
from gridgov.registry.models import Person, Submission
from gridgov.registry.testing import id_number

HEAD = id_number(41)


def _household_post(door, **member0):
    data = {
        "address": door.code,
        "number": "",
        "kind": "family",
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "30",
        "members-0-name": "黄强",
        "members-0-id_type": "ric",
        "members-0-id_number": HEAD,
        "members-0-relation": "head",
        "members-0-category": "registered",
        "members-0-phone": "13612345678",
        "members-1-name": "黄小丽",
        "members-1-id_type": "ric",
        "members-1-id_number": id_number(42),
        "members-1-relation": "child",
        "members-1-category": "registered",
        "members-2-id_type": "ric",
        "members-2-category": "registered",
    }
    data.update({f"members-0-{k}": v for k, v in member0.items()})
    return data


def test_nav_shows_the_registry_to_those_who_may_see_it(client, people):
    client.force_login(people["worker"])
    assert "基础信息" in client.get("/registry/").content.decode()
    page = client.get("/areas/grids/")
    assert 'href="/registry/"' in page.content.decode()
    client.force_login(people["sysadmin"])
    page = client.get("/areas/grids/")
    assert 'href="/registry/"' not in page.content.decode()


def test_collect_verify_and_find_in_pages(client, people, door):
    client.force_login(people["worker"])
    form = client.get("/registry/collect/household/").content.decode()
    assert door.full_name in form
    response = client.post("/registry/collect/household/", _household_post(door))
    assert response.status_code == 302
    sub = Submission.objects.get(record_kind="household")
    page = client.get(response["Location"]).content.decode()
    assert "待核实" in page and "黄*" in page and "已提交，待网格长核实" in page
    assert "核实通过" not in page  # the worker may not verify

    client.force_login(people["leader"])
    listing = client.get("/registry/submissions/").content.decode()
    assert sub.public_id in listing
    response = client.post(f"/registry/submissions/{sub.public_id}/verify/", {"note": ""})
    assert response.status_code == 302
    assert "已核实" in client.get(response["Location"]).content.decode()

    client.force_login(people["county"])
    page = client.post("/registry/", {"q": HEAD}).content.decode()
    person = Person.objects.get(name="黄强")
    assert "按 450***********" in page
    assert f"/registry/persons/{person.public_id}/" in page
    assert "黄*" in page and "黄强" not in page
    detail = client.get(f"/registry/persons/{person.public_id}/").content.decode()
    assert "136****5678" in detail and "第 1 版" in detail

    client.force_login(people["worker_b"])
    page = client.post("/registry/", {"q": HEAD}).content.decode()
    assert "没有找到符合条件的人员" in page
    # A number in a URL is not searched (nor echoed).
    response = client.get("/registry/", {"q": HEAD})
    assert response.status_code == 302 and response["Location"] == "/registry/"
    page = client.get("/registry/").content.decode()
    assert "号码不放在网址中" in page and "没有找到" not in page
    assert client.get(f"/registry/persons/{person.public_id}/").status_code == 404

    # Names go through an ordinary GET (pages link).
    client.force_login(people["county"])
    response = client.post("/registry/", {"q": "黄"})
    assert response.status_code == 302 and response["Location"].endswith("?q=%E9%BB%84")
    assert "黄*" in client.get(response["Location"]).content.decode()


def test_a_bad_member_number_is_shown_on_its_card_and_nothing_is_saved(client, people, door):
    client.force_login(people["worker"])
    bad = HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1")
    response = client.post("/registry/collect/household/", _household_post(door, id_number=bad))
    assert response.status_code == 400
    page = response.content.decode()
    assert "身份证号码校验位错误" in page
    assert 'id="id_members-0-id_number_errors"' in page
    assert not Submission.objects.filter(record_kind="household").exists()
    # The valid numbers typed come back masked, with a token; blank + token keeps them.
    # The wrong one is not kept: its input comes back empty, to be typed again.
    assert 'placeholder="450***********' in page
    import re

    tokens = dict(re.findall(r'name="(members-\d-[a-z_]+)__token" value="([^"]+)"', page))
    assert set(tokens) == {"members-0-phone", "members-1-id_number"}
    assert "已清空，请重新输入" in page
    assert f'placeholder="450***********{bad[-4:]}"' not in page
    # Leaving it blank does not resubmit the wrong number: it is missing now.
    data = _household_post(door, id_number="")
    data["members-0-phone"] = ""
    data["members-1-id_number"] = ""
    data.update({f"{name}__token": token for name, token in tokens.items()})
    response = client.post("/registry/collect/household/", data)
    assert response.status_code == 400
    assert "请填写证件号码" in response.content.decode()
    assert not Submission.objects.filter(record_kind="household").exists()
    data["members-0-id_number"] = HEAD
    response = client.post("/registry/collect/household/", data)
    assert response.status_code == 302
    sub = Submission.objects.get(record_kind="household")
    assert [m["id_number"] for m in sub.data["members"]] == [HEAD, id_number(42)]
    assert sub.data["members"][0]["phone"] == "13612345678"


def test_reveal_in_the_page_is_audited(client, people, household):
    person = Person.objects.get(name="张伟")
    client.force_login(people["leader"])
    url = f"/registry/persons/{person.public_id}/reveal/"
    response = client.post(url, {"field": "id_number", "purpose": "看"})
    assert response.status_code == 403
    assert "查看完整信息须说明用途" in response.content.decode()
    client.allow_plain = True
    response = client.post(url, {"field": "phone", "purpose": "电话回访"})
    client.allow_plain = False
    assert "13812345678" in response.content.decode()
    assert (
        AuditEvent.objects.filter(kind=AuditKind.PII_UNMASKED, actor=people["leader"]).count() == 1
    )


def test_person_change_form_is_not_prefilled_with_personal_numbers(client, people, household):
    person = Person.objects.get(name="张伟")
    client.force_login(people["worker"])
    page = client.get(f"/registry/collect/person/{person.public_id}/").content.decode()
    assert "不修改请留空（当前：450***********" in page
    room = actions.do_import_record(
        "address", {"level": "room", "name": "201", "parent": household.address.code}, actor=None
    )[1]
    response = client.post(
        f"/registry/collect/person/{person.public_id}/",
        {
            "name": "张伟",
            "id_type": "ric",
            "id_number": "",
            "phone": "",
            "relation": "head",
            "category": "registered",
            "residence": room.code,
            "status": "present",
        },
    )
    assert response.status_code == 302, response.content.decode()
    change = Submission.objects.get(record_kind="person", status="pending")
    assert change.data["id_number"] == person.id_number  # blank kept the number
    person.refresh_from_db()
    assert person.residence == household.address  # in force until verified


def test_care_tags_on_the_person_page(client, people, household):
    person = Person.objects.get(name="张伟")
    actions.do_add_care_tag(person, "community_correction", actor=people["leader"])
    client.force_login(people["worker"])
    page = client.get(f"/registry/persons/{person.public_id}/").content.decode()
    assert "社区矫正" not in page
    client.force_login(people["leader"])
    page = client.get(f"/registry/persons/{person.public_id}/").content.decode()
    assert "社区矫正" in page
    response = client.post(
        f"/registry/persons/{person.public_id}/tags/", {"kind": "elderly_alone", "note": ""}
    )
    assert response.status_code == 302


def test_record_lists(client, people, household, door):
    client.force_login(people["worker"])
    for kind in ("address", "house", "rental", "unit", "vessel"):
        assert client.get(f"/registry/list/{kind}/").status_code == 200
        assert client.get(f"/registry/collect/{kind}/").status_code == 200
    page = client.get("/registry/list/address/").content.decode()
    assert door.full_name in page
    page = client.get(f"/registry/list/address/{door.code}/").content.decode()
    assert "第 1 版" in page
    page = client.get(f"/registry/list/household/{household.public_id}/").content.decode()
    assert "张*" in page
    client.force_login(people["police"])
    assert client.get(f"/registry/list/address/{door.code}/").status_code == 404
    assert client.get("/registry/collect/household/").status_code == 404
