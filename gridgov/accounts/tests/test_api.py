"""The accounts API: me, accounts (system administrator), own tokens — scope, refusals
as JSON, and masked personal data."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gridgov.accounts import actions
from gridgov.accounts.models import ApiToken
from gridgov.orgs.choices import Role
from gridgov.orgs.tests.people import (
    ID_MASKED,
    ID_NUMBER,
    PASSWORD,
    PHONE,
    PHONE_MASKED,
    cast,
    fresh,
)

User = get_user_model()


@pytest.fixture
def people(territory):
    return cast(territory)


def as_(client, user):
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_me_lists_my_posts_with_a_masked_phone(client, people):
    response = as_(client, people.worker).get("/api/accounts/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "worker"
    assert body["phone"] == PHONE_MASKED
    assert PHONE not in response.content.decode()
    (mine,) = body["posts"]
    assert mine["role"] == Role.FULLTIME
    assert mine["role_label"] == "专职网格员"
    assert mine["place"]["type"] == "grid"
    assert mine["place"]["code"].endswith("001")
    assert mine["start_date"] == "2020-01-01" and mine["state"] == "current"


def test_me_needs_a_login(client, people):
    assert client.get("/api/accounts/me").status_code == 401


# Accounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("sysadmin", 200),
        ("secadmin", 200),
        ("auditor", 200),
        ("town", 404),
        ("worker", 404),
        ("nobody", 404),
    ],
)
def test_who_may_list_accounts(client, people, who, status):
    response = as_(client, getattr(people, who)).get("/api/accounts/users")
    assert response.status_code == status


def test_the_account_list_masks_phones_and_finds_an_exact_phone(client, people):
    as_(client, people.sysadmin)
    response = client.get("/api/accounts/users")
    assert PHONE not in response.content.decode()
    assert PHONE_MASKED in response.content.decode()
    found = client.get("/api/accounts/users", {"q": PHONE}).json()
    assert [u["username"] for u in found["items"]] == ["worker"]
    assert client.get("/api/accounts/users", {"role": "king"}).status_code == 422


def test_account_detail_masks_personal_data_and_shows_posts(client, people):
    response = as_(client, people.auditor).get("/api/accounts/users/worker")
    body = response.json()
    assert body["phone"] == PHONE_MASKED and body["id_number"] == ID_MASKED
    assert PHONE not in response.content.decode() and ID_NUMBER not in response.content.decode()
    assert [p["role"] for p in body["posts"]] == [Role.FULLTIME]


def test_an_account_out_of_scope_is_missing(client, people):
    assert as_(client, people.town).get("/api/accounts/users/worker").status_code == 404
    assert as_(client, people.sysadmin).get("/api/accounts/users/ghost").status_code == 404


def test_creating_an_account(client, people):
    as_(client, people.sysadmin)
    response = post(
        client, "/api/accounts/users", {"username": "wang", "full_name": "王五", "phone": PHONE}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["phone"] == PHONE_MASKED
    assert fresh(User.objects.get(username="wang")).check_password(body["password"])
    duplicate = post(client, "/api/accounts/users", {"username": "Wang", "full_name": "王六"})
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"]["username"] == ["用户名已被使用"]
    bad = post(
        client,
        "/api/accounts/users",
        {"username": "zhao", "full_name": "赵", "phone": "123", "id_number": "110105194912310021"},
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"phone", "id_number"}
    assert not User.objects.filter(username="zhao").exists()


def test_only_the_system_administrator_creates_accounts(client, people):
    response = post(
        as_(client, people.secadmin), "/api/accounts/users", {"username": "w", "full_name": "王"}
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="w").exists()


def test_disabling_and_enabling(client, people):
    as_(client, people.sysadmin)
    response = post(client, "/api/accounts/users/worker/disable", {"reason": "调离"})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    again = post(client, "/api/accounts/users/worker/disable", {"reason": "调离"})
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    enabled = post(client, "/api/accounts/users/worker/enable")
    assert enabled.status_code == 200 and enabled.json()["is_active"] is True
    assert post(client, "/api/accounts/users/worker/enable").status_code == 409


def test_disabling_needs_a_reason_and_never_oneself(client, people):
    as_(client, people.sysadmin)
    blank = post(client, "/api/accounts/users/worker/disable", {"reason": ""})
    assert blank.status_code == 422
    assert blank.json()["errors"]["reason"] == ["请填写停用原因"]
    own = post(client, "/api/accounts/users/sysadmin/disable", {"reason": "试试"})
    assert own.status_code == 403
    assert own.json() == {"detail": "不能停用自己的账户", "code": "not_permitted"}
    assert fresh(people.worker).is_active and fresh(people.sysadmin).is_active


@pytest.mark.parametrize("who", ["secadmin", "auditor", "town"])
@pytest.mark.parametrize("action", ["disable", "enable", "reset-password", "reset-totp"])
def test_only_the_system_administrator_changes_accounts(client, people, who, action):
    response = post(
        as_(client, getattr(people, who)), f"/api/accounts/users/worker/{action}", {"reason": "x"}
    )
    assert response.status_code == 404
    assert fresh(people.worker).is_active
    assert fresh(people.worker).check_password(PASSWORD)


def test_resetting_a_password_and_the_second_factor(client, people):
    as_(client, people.sysadmin)
    response = post(client, "/api/accounts/users/worker/reset-password")
    assert response.status_code == 200
    worker = fresh(people.worker)
    assert worker.check_password(response.json()["password"])
    assert worker.password_changed_at is None
    assert post(client, "/api/accounts/users/sysadmin/reset-password").status_code == 403
    totp = post(client, "/api/accounts/users/worker/reset-totp")
    assert totp.status_code == 200 and totp.json()["totp_enabled"] is False
    assert post(client, "/api/accounts/users/sysadmin/reset-totp").status_code == 403


# Tokens -------------------------------------------------------------------------------


def test_tokens_are_created_listed_and_revoked(client, people):
    as_(client, people.worker)
    created = post(client, "/api/accounts/tokens", {"name": "数据对接"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("gg_")
    listed = client.get("/api/accounts/tokens")
    assert token not in listed.content.decode()
    assert [t["prefix"] for t in listed.json()] == [token[3:11]]
    bearer = Client()
    assert bearer.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    token_id = created.json()["id"]
    revoked = post(client, f"/api/accounts/tokens/{token_id}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert bearer.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_a_token_needs_a_purpose(client, people):
    response = post(as_(client, people.worker), "/api/accounts/tokens", {"name": ""})
    assert response.status_code == 422
    assert response.json()["errors"]["name"] == ["请说明令牌用途"]
    assert not ApiToken.objects.exists()


def test_tokens_are_only_ones_own(client, people):
    row, _token = actions.do_issue_token(people.worker, name="对接", actor=people.worker)
    as_(client, people.sysadmin)
    assert client.get("/api/accounts/tokens").json() == []
    assert post(client, f"/api/accounts/tokens/{row.pk}/revoke").status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


def test_the_schema_documents_the_new_operations(client, people):
    schema = as_(client, people.worker).get("/api/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "accounts_me",
        "list_users",
        "create_user",
        "disable_user",
        "enable_user",
        "list_tokens",
        "create_token",
        "revoke_token",
        "list_posts",
        "grant_post",
        "end_post",
        "staffing_summary",
        "staffing_villages",
        "staffing_grids",
        "search_audit_events",
    } <= operations
