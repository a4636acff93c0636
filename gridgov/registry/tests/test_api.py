"""The registry API: collect, verify, find — within scope, masked, unmask audited.

Every response goes through the ``client`` fixture, which fails on any plaintext ID
number or mobile number (registry/testing.py ``assert_no_plain_personal_data``)."""

import pytest

from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.registry.models import Person
from gridgov.registry.testing import id_number

HEAD = id_number(31)


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def _find(client, **body):
    response = _post(client, "/api/registry/persons/search", body)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def _collect(client, people, door):
    client.force_login(people["worker"])
    response = _post(
        client,
        "/api/registry/submissions",
        {
            "kind": "household",
            "data": {
                "address": door.code,
                "members": [
                    {"name": "陈明", "id_number": HEAD, "relation": "head", "phone": "13512340000"},
                    {"name": "陈小红", "id_number": id_number(32), "relation": "child"},
                ],
            },
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_collect_verify_find_and_hide(client, people, door):
    body = _collect(client, people, door)
    assert body["status"] == "pending"
    assert body["data"]["members"][0]["id_number"] == "450***********" + HEAD[-4:]
    assert body["data"]["members"][0]["name"] == "陈*"

    # Not yet in force: the county finds nobody.
    client.force_login(people["county"])
    assert _find(client, q=HEAD) == []

    # The grid worker cannot verify; the grid leader can.
    client.force_login(people["worker"])
    response = _post(client, f"/api/registry/submissions/{body['id']}/verify", {})
    assert response.status_code == 403
    client.force_login(people["leader"])
    response = _post(client, f"/api/registry/submissions/{body['id']}/verify", {"note": "已入户"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verified"

    client.force_login(people["county"])
    items = _find(client, id_number=HEAD)
    assert [(p["name"], p["id_number"], p["phone"]) for p in items] == [
        ("陈*", "450***********" + HEAD[-4:], "135****0000")
    ]
    public_id = items[0]["id"]
    assert len(public_id) == 12 and not public_id.isdigit()
    detail = client.get(f"/api/registry/persons/{public_id}").json()
    assert detail["versions"][0]["version"] == 1
    assert detail["events"][0]["kind"] == "move_in"

    # Another grid's worker: the same answer as for a number nobody has, and 404.
    client.force_login(people["worker_b"])
    assert _find(client, q=HEAD) == []
    assert _find(client, q=id_number(77)) == []
    assert client.get(f"/api/registry/persons/{public_id}").status_code == 404


def test_validation_errors_are_422_in_chinese(client, people, door):
    client.force_login(people["worker"])
    bad = HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1")
    response = _post(
        client,
        "/api/registry/submissions",
        {"kind": "person", "data": {"name": "陈明", "id_number": bad, "residence": door.code}},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "输入有误",
        "code": "invalid",
        "errors": {"id_number": ["身份证号码校验位错误，请核对后重新输入"]},
    }
    response = _post(
        client,
        "/api/registry/submissions",
        {"kind": "person", "data": {"name": "陈明", "id_number": HEAD, "residence": "X1"}},
    )
    assert response.json()["errors"] == {"residence": ["未找到标准地址“X1”"]}
    # A plaintext number in the request never comes back in the error.
    assert HEAD not in response.content.decode()


def test_unmask_is_audited_needs_a_purpose_and_a_right(client, people, door):
    body = _collect(client, people, door)
    client.force_login(people["leader"])
    _post(client, f"/api/registry/submissions/{body['id']}/verify", {})
    person = Person.objects.get(name="陈明")
    url = f"/api/registry/persons/{person.public_id}/reveal"

    response = _post(client, url, {"field": "id_number", "purpose": "看"})
    assert response.status_code == 403 and response.json()["code"] == "purpose_required"
    client.force_login(people["parttime"])  # may view, may not unmask
    response = _post(client, url, {"field": "id_number", "purpose": "入户走访核对"})
    assert response.status_code == 403

    client.force_login(people["leader"])
    client.allow_plain = True
    response = _post(client, url, {"field": "id_number", "purpose": "入户走访核对"})
    client.allow_plain = False
    assert response.json() == {"field": "id_number", "value": HEAD}
    event = AuditEvent.objects.filter(kind=AuditKind.PII_UNMASKED).latest("sequence")
    assert (event.actor, event.target_id, event.purpose) == (
        people["leader"],
        person.public_id,
        "入户走访核对",
    )


def test_care_tags_through_the_api(client, people, door):
    body = _collect(client, people, door)
    client.force_login(people["leader"])
    _post(client, f"/api/registry/submissions/{body['id']}/verify", {})
    person = Person.objects.get(name="陈明")
    url = f"/api/registry/persons/{person.public_id}"

    client.force_login(people["worker"])
    response = _post(client, f"{url}/care-tags", {"kind": "released_prisoner"})
    assert response.status_code == 403
    client.force_login(people["leader"])
    response = _post(client, f"{url}/care-tags", {"kind": "released_prisoner"})
    assert response.status_code == 201
    assert client.get(url).json()["care_tags"][0]["name"] == "刑满释放"
    client.force_login(people["worker"])
    assert client.get(url).json()["care_tags"] == []
    client.force_login(people["police"])
    assert client.get(url).json()["care_tags"][0]["kind"] == "released_prisoner"
    items = client.get("/api/registry/persons", {"tag": "released_prisoner"}).json()["items"]
    assert [p["id"] for p in _find(client, tag="released_prisoner")] == [person.public_id]
    assert [p["id"] for p in items] == [person.public_id]
    client.force_login(people["leader"])
    assert client.delete(f"{url}/care-tags/released_prisoner").status_code == 204


def test_conflicts_through_the_api(client, people, door, door_b):
    body = _collect(client, people, door)
    client.force_login(people["leader"])
    _post(client, f"/api/registry/submissions/{body['id']}/verify", {})
    client.force_login(people["worker_b"])
    response = _post(
        client,
        "/api/registry/submissions",
        {"kind": "person", "data": {"name": "陈明", "id_number": HEAD, "residence": door_b.code}},
    )
    sub = response.json()
    assert sub["conflicts"][0]["kind"] == "person_two_places"
    client.force_login(people["leader_b"])
    response = _post(client, f"/api/registry/submissions/{sub['id']}/verify", {})
    assert response.status_code == 409 and response.json()["code"] == "open_conflict"
    conflicts = client.get("/api/registry/conflicts").json()["items"]
    assert [c["id"] for c in conflicts] == [sub["conflicts"][0]["id"]]
    response = _post(
        client,
        f"/api/registry/conflicts/{conflicts[0]['id']}/resolve",
        {"accept": True, "note": "已迁入"},
    )
    assert response.status_code == 200
    response = _post(client, f"/api/registry/submissions/{sub['id']}/verify", {})
    assert response.json()["version"] == 2


def test_addresses_parse_and_lists(client, people, door):
    client.force_login(people["worker"])
    parsed = client.get(
        "/api/registry/addresses/parse", {"text": "测试区测试街道甲社区人民路12号"}
    ).json()
    assert parsed["road"] == "人民路" and parsed["door"] == "12号"
    assert parsed["address"]["code"] == door.code
    codes = [a["code"] for a in client.get("/api/registry/addresses").json()["items"]]
    assert codes == [door.parent.code, door.code]
    assert client.get(f"/api/registry/addresses/{door.code}").json()["grid"] == door.grid.code
    client.force_login(people["worker_b"])
    assert client.get(f"/api/registry/addresses/{door.code}").status_code == 404
    kinds = client.get("/api/registry/care-tag-kinds").json()
    assert len(kinds) == 11 and {k["name"] for k in kinds} >= {"独居老人", "严重精神障碍"}
    ethnicities = client.get("/api/registry/ethnicities").json()
    assert ethnicities[7] == {"code": "08", "name": "壮族"}
    assert len([e for e in ethnicities if int(e["code"]) <= 56]) == 56


@pytest.mark.parametrize("who", ["sysadmin", "police"])
def test_others_see_no_persons(client, people, household, who):
    client.force_login(people[who])
    assert client.get("/api/registry/persons").json()["items"] == []
    person = Person.objects.first()
    assert client.get(f"/api/registry/persons/{person.public_id}").status_code == 404


def test_numbers_are_not_searched_through_urls(client, people, household):
    client.force_login(people["county"])
    response = client.get("/api/registry/persons", {"q": id_number(1)})
    assert response.status_code == 422
    assert "POST /api/registry/persons/search" in response.json()["errors"]["q"][0]
    names = [p["name"] for p in client.get("/api/registry/persons", {"q": "张"}).json()["items"]]
    assert names == ["张*"]
    assert [p["name"] for p in _find(client, phone="13812345678")] == ["张*"]
