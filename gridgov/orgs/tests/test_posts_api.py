"""The posts API: list for the three administrators, grant and end for the security
administrator only, and each refusal of 三员分立 as JSON."""

import json
from datetime import date

import pytest

from gridgov.accounts import actions as account_actions
from gridgov.core.testing import VILLAGE_A
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Post
from gridgov.orgs.tests.people import PHONE, cast

GRID_A2 = f"{VILLAGE_A}002"


@pytest.fixture
def people(territory):
    return cast(territory)


def as_(client, user):
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.mark.parametrize(
    "who, status",
    [
        ("sysadmin", 200),
        ("secadmin", 200),
        ("auditor", 200),
        ("town", 404),  # agencies see staffing through the staffing report
        ("worker", 404),
        ("nobody", 404),
    ],
)
def test_who_may_list_posts(client, people, who, status):
    assert as_(client, getattr(people, who)).get("/api/orgs/posts").status_code == status


def test_the_post_list_filters_and_describes_the_place(client, people):
    as_(client, people.auditor)
    worker = client.get("/api/orgs/posts", {"q": "worker"}).json()
    (item,) = worker["items"]
    assert item["role"] == Role.FULLTIME and item["role_label"] == "专职网格员"
    assert item["place"] == {
        "type": "grid",
        "code": f"{VILLAGE_A}001",
        "name": item["place"]["name"],
    }
    assert item["username"] == "worker" and item["state"] == "current"
    assert PHONE not in json.dumps(worker, ensure_ascii=False)
    admins = client.get("/api/orgs/posts", {"role": Role.SYSTEM_ADMIN}).json()["items"]
    assert [p["place"]["type"] for p in admins] == ["system"]
    town = client.get("/api/orgs/posts", {"place": "990101001"}).json()
    assert {p["username"] for p in town["items"]} == {"town_op", "worker"}
    assert client.get("/api/orgs/posts", {"status": "ended"}).json()["count"] == 0


def test_granting_and_ending_a_post(client, people):
    as_(client, people.secadmin)
    response = post(
        client,
        "/api/orgs/posts",
        {"username": "nobody", "role": Role.LEADER, "grid_code": GRID_A2, "note": "任命"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["place"]["code"] == GRID_A2 and body["granted_by"] == "secadmin"
    ended = post(client, f"/api/orgs/posts/{body['id']}/end", {"note": "调离"})
    assert ended.status_code == 200
    assert ended.json()["end_date"] and ended.json()["note"] == "调离"
    again = post(client, f"/api/orgs/posts/{body['id']}/end")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"


@pytest.mark.parametrize(
    "payload, status, key, message",
    [
        (
            {"username": "secadmin", "role": Role.LEADER, "grid_code": GRID_A2},
            403,
            "detail",
            "不能给自己授予岗位",
        ),
        ({"username": "sysadmin", "role": Role.SECURITY_ADMIN}, 422, "role", "三员分立"),
        ({"username": "nobody", "role": Role.LEADER, "area_code": VILLAGE_A}, 422, "grid", "网格"),
        (
            {"username": "nobody", "role": Role.CHIEF, "area_code": "990101001"},
            422,
            "area",
            "村（社区）",
        ),
        (
            {"username": "nobody", "role": Role.LEADER, "grid_code": "990101001001999"},
            422,
            "grid",
            "找不到网格编码",
        ),
        (
            {"username": "ghost", "role": Role.LEADER, "grid_code": GRID_A2},
            422,
            "username",
            "找不到账户",
        ),
        ({"username": "nobody", "role": Role.DEPARTMENT_HANDLER}, 422, "department", "须选择部门"),
        (
            {
                "username": "nobody",
                "role": Role.LEADER,
                "grid_code": GRID_A2,
                "start_date": "2025-01-02",
                "end_date": "2025-01-01",
            },
            422,
            "end_date",
            "离任日期不能早于任职日期",
        ),
    ],
)
def test_refused_grants_change_nothing(client, people, payload, status, key, message):
    before = Post.objects.count()
    response = post(as_(client, people.secadmin), "/api/orgs/posts", payload)
    assert response.status_code == status, response.json()
    body = response.json()
    text = body["detail"] if key == "detail" else " ".join(body["errors"][key])
    assert message in text
    assert Post.objects.count() == before


def test_no_post_for_a_disabled_account(client, people):
    account_actions.do_disable_user(people.nobody, actor=None, reason="离职")
    response = post(
        as_(client, people.secadmin),
        "/api/orgs/posts",
        {"username": "nobody", "role": Role.LEADER, "grid_code": GRID_A2},
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "账户已停用，不能授予岗位"


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "town", "worker"])
def test_only_the_security_administrator_grants_and_ends(client, people, who):
    as_(client, getattr(people, who))
    grant = post(
        client, "/api/orgs/posts", {"username": "nobody", "role": Role.LEADER, "grid_code": GRID_A2}
    )
    assert grant.status_code == 404
    worker_post = Post.objects.get(user=people.worker)
    assert post(client, f"/api/orgs/posts/{worker_post.pk}/end").status_code == 404
    worker_post.refresh_from_db()
    assert worker_post.end_date is None
    assert not Post.objects.filter(user=people.nobody).exists()


def test_nobody_ends_their_own_post(client, people):
    own = Post.objects.get(user=people.secadmin)
    response = post(as_(client, people.secadmin), f"/api/orgs/posts/{own.pk}/end")
    assert response.status_code == 403
    assert response.json()["detail"] == "不能变更自己的岗位"


def test_an_end_before_the_start_is_a_field_error(client, people):
    worker_post = Post.objects.get(user=people.worker)
    response = post(
        as_(client, people.secadmin),
        f"/api/orgs/posts/{worker_post.pk}/end",
        {"end_date": str(date(2019, 12, 31))},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["end_date"] == ["离任日期不能早于任职日期"]
