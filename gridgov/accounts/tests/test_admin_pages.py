"""The account and post pages (三员分立) and "my account": who may use which page, each
action's happy path and refusals, and personal data shown masked only."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts import actions
from gridgov.accounts.models import ApiToken
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.core.testing import VILLAGE_A
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Post
from gridgov.orgs.tests.people import (
    ID_MASKED,
    ID_NUMBER,
    PHONE,
    PHONE_MASKED,
    cast,
    fresh,
    person,
)

User = get_user_model()
GRID_A1 = f"{VILLAGE_A}001"
GRID_A2 = f"{VILLAGE_A}002"


@pytest.fixture
def people(territory):
    return cast(territory)


def as_(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


# Who may use which page ---------------------------------------------------------------

EVERYONE = ("sysadmin", "secadmin", "auditor", "town", "worker", "nobody")
PAGES = {
    "/account/": EVERYONE,
    "/admin/users/": ("sysadmin", "secadmin", "auditor"),
    "/admin/users/worker/": ("sysadmin", "secadmin", "auditor"),
    "/admin/users/new/": ("sysadmin",),
    "/admin/posts/": ("sysadmin", "secadmin", "auditor"),
    "/admin/posts/grant/": ("secadmin",),
    "/orgs/staffing/": ("town",),
    "/audit/": ("auditor",),
}


@pytest.mark.parametrize("url", list(PAGES))
@pytest.mark.parametrize("who", EVERYONE)
def test_each_page_answers_its_users_and_is_missing_for_the_rest(client, people, url, who):
    response = as_(client, getattr(people, who)).get(url)
    assert response.status_code == (200 if who in PAGES[url] else 404)


@pytest.mark.parametrize("url", list(PAGES))
def test_anonymous_visitors_are_sent_to_the_login(client, people, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


NAV = {
    "/orgs/staffing/": ("town",),
    "/admin/users/": ("sysadmin", "secadmin", "auditor"),
    "/admin/posts/": ("sysadmin", "secadmin", "auditor"),
    "/audit/": ("auditor",),
}


@pytest.mark.parametrize("who", EVERYONE)
def test_the_navigation_shows_only_the_pages_one_may_use(client, people, who):
    page = text(as_(client, getattr(people, who)).get("/account/"))
    for url, allowed in NAV.items():
        assert (f'href="{url}"' in page) == (who in allowed), url
    assert 'href="/account/"' in page  # the name links to my account


def test_an_unknown_account_and_an_account_out_of_scope_look_the_same(client, people):
    as_(client, people.town)
    assert client.get("/admin/users/sysadmin/").status_code == 404
    as_(client, people.sysadmin)
    assert client.get("/admin/users/no-such-user/").status_code == 404


# My account ---------------------------------------------------------------------------


def test_my_account_shows_my_posts_and_a_masked_phone(client, people):
    page = text(as_(client, people.worker).get("/account/"))
    assert PHONE_MASKED in page
    assert PHONE not in page
    assert "专职网格员" in page
    assert GRID_A1 in page  # the place
    assert "2020-01-01" in page  # the start date
    assert reverse("password_change") in page


def test_my_account_lists_ended_posts_as_ended(client, people):
    post = Post.objects.get(user=people.worker)
    Post.objects.filter(pk=post.pk).update(end_date=timezone.localdate() - timedelta(days=1))
    page = text(as_(client, people.worker).get("/account/"))
    assert "已离任" in page


def test_a_new_token_is_shown_once_and_then_only_its_prefix(client, people):
    as_(client, people.worker)
    response = client.post(reverse("account_token_create"), {"name": "数据对接"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    token = response.context["new_token"]
    assert token.startswith("gg_") and token in text(response)
    row = ApiToken.objects.get(user=people.worker)
    assert row.name == "数据对接"
    again = text(client.get("/account/"))
    assert token not in again
    assert f"gg_{row.prefix}…" in again
    # The token works for the API, as its holder.
    me = Client().get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["username"] == "worker"


def test_a_token_needs_a_purpose_and_nothing_is_made_without_one(client, people):
    response = as_(client, people.worker).post(reverse("account_token_create"), {"name": " "})
    assert "请说明令牌用途" in text(response)
    assert not ApiToken.objects.exists()


def test_revoking_my_token(client, people):
    row, token = actions.do_issue_token(people.worker, name="对接", actor=people.worker)
    as_(client, people.worker)
    response = client.post(reverse("account_token_revoke", args=[row.pk]), follow=True)
    assert "已吊销令牌" in text(response)
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert Client().get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_nobody_revokes_another_persons_token(client, people):
    row, _token = actions.do_issue_token(people.worker, name="对接", actor=people.worker)
    response = as_(client, people.sysadmin).post(reverse("account_token_revoke", args=[row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


# Account list -------------------------------------------------------------------------


def test_the_account_list_masks_phones(client, people):
    page = text(as_(client, people.sysadmin).get("/admin/users/"))
    assert PHONE_MASKED in page
    assert PHONE not in page
    assert "创建账户" in page


def test_only_the_system_administrator_is_offered_to_create(client, people):
    assert "创建账户" not in text(as_(client, people.secadmin).get("/admin/users/"))


def usernames(response) -> set[str]:
    return {user.username for user in response.context["page"].object_list}


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "work"}, {"worker"}),
        ({"q": "网格员"}, {"worker"}),
        ({"q": PHONE}, {"worker"}),
        ({"q": "139 1234 5678"}, {"worker"}),  # normalised like the stored value
        ({"q": "1391234"}, set()),  # only a whole number is found: phones are encrypted
        ({"role": Role.AUDIT_ADMIN}, {"auditor"}),
        ({"role": Role.FULLTIME}, {"worker"}),
        ({"status": "disabled"}, {"gone"}),
    ],
)
def test_searching_and_filtering_accounts(client, people, query, expected):
    gone = person("gone")
    actions.do_disable_user(gone, actor=None, reason="离职")
    response = as_(client, people.secadmin).get("/admin/users/", query)
    assert usernames(response) == expected


def test_active_accounts_filter(client, people):
    gone = person("gone")
    actions.do_disable_user(gone, actor=None, reason="离职")
    response = as_(client, people.auditor).get("/admin/users/", {"status": "active"})
    assert "gone" not in usernames(response)
    assert "worker" in usernames(response)


# Creating an account --------------------------------------------------------------------


def test_the_system_administrator_creates_an_account_and_sees_its_password_once(client, people):
    as_(client, people.sysadmin)
    response = client.post(
        "/admin/users/new/",
        {"username": "wang", "full_name": "王五", "phone": "138-0000-1234", "id_number": ""},
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert password in text(response)
    assert response["Cache-Control"].startswith("max-age=0")
    user = User.objects.get(username="wang")
    assert user.check_password(password)
    assert user.password_changed_at is None  # must change it at first login
    assert user.phone == "13800001234"
    assert AuditEvent.objects.filter(kind=AuditKind.ACCOUNT_CREATED, target_id=user.pk).exists()
    # The detail page never shows it again.
    assert password not in text(client.get("/admin/users/wang/"))


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"username": "WORKER", "full_name": "重名"}, "username", "用户名已被使用"),
        ({"username": "wang", "full_name": "王五", "phone": "12345"}, "phone", "手机号码"),
        (
            {"username": "wang", "full_name": "王五", "id_number": "110105194912310021"},
            "id_number",
            "身份证号不正确",
        ),
        ({"username": "", "full_name": "王五"}, "username", ""),
    ],
)
def test_bad_input_creates_nothing(client, people, data, field, message):
    before = User.objects.count()
    response = as_(client, people.sysadmin).post("/admin/users/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert User.objects.count() == before
    assert "password" not in response.context


def test_only_the_system_administrator_may_create(client, people):
    before = User.objects.count()
    response = as_(client, people.secadmin).post(
        "/admin/users/new/", {"username": "wang", "full_name": "王五"}
    )
    assert response.status_code == 404
    assert User.objects.count() == before


# Account detail and its actions ----------------------------------------------------------


def test_the_account_page_masks_personal_data(client, people):
    page = text(as_(client, people.sysadmin).get("/admin/users/worker/"))
    assert PHONE_MASKED in page and ID_MASKED in page
    assert PHONE not in page and ID_NUMBER not in page
    assert "专职网格员" in page
    assert "停用账户" in page and "重置密码" in page and "重置动态口令" in page
    assert "免除" not in page  # posts are the security administrator's


def test_the_security_administrator_sees_post_actions_only(client, people):
    page = text(as_(client, people.secadmin).get("/admin/users/worker/"))
    assert "授予岗位" in page and "免除" in page
    assert "停用账户" not in page and "重置密码" not in page


def test_the_audit_administrator_only_looks(client, people):
    page = text(as_(client, people.auditor).get("/admin/users/worker/"))
    for button in ("授予岗位", "免除", "停用账户", "重置密码"):
        assert button not in page


def test_disabling_an_account_with_a_reason(client, people):
    as_(client, people.sysadmin)
    response = client.post("/admin/users/worker/disable/", {"reason": "调离"}, follow=True)
    assert "已停用账户 worker" in text(response)
    worker = fresh(people.worker)
    assert not worker.is_active and worker.disabled_reason == "调离"
    assert "调离" in text(client.get("/admin/users/worker/"))


def test_disabling_needs_a_reason(client, people):
    response = as_(client, people.sysadmin).post("/admin/users/worker/disable/", {"reason": ""})
    assert response.status_code == 200
    assert "请填写停用原因" in response.context["disable_form"].errors["reason"]
    assert fresh(people.worker).is_active


def test_nobody_disables_themselves(client, people):
    as_(client, people.sysadmin)
    response = client.post("/admin/users/sysadmin/disable/", {"reason": "试试"}, follow=True)
    assert "不能停用自己的账户" in text(response)
    assert fresh(people.sysadmin).is_active


@pytest.mark.parametrize("who", ["secadmin", "auditor", "town"])
@pytest.mark.parametrize("action", ["disable", "enable", "reset-password", "reset-totp"])
def test_only_the_system_administrator_changes_accounts(client, people, who, action):
    worker_before = fresh(people.worker)
    response = as_(client, getattr(people, who)).post(
        f"/admin/users/worker/{action}/", {"reason": "越权"}
    )
    assert response.status_code == 404
    worker = fresh(people.worker)
    assert worker.is_active and worker.password == worker_before.password


def test_enabling_an_account(client, people):
    actions.do_disable_user(people.worker, actor=people.sysadmin, reason="请假")
    as_(client, people.sysadmin)
    response = client.post("/admin/users/worker/enable/", follow=True)
    assert "已启用账户 worker" in text(response)
    assert fresh(people.worker).is_active
    again = client.post("/admin/users/worker/enable/", follow=True)
    assert "账户已是启用状态" in text(again)


def test_resetting_a_password_shows_a_one_time_password(client, people):
    as_(client, people.sysadmin)
    response = client.post("/admin/users/worker/reset-password/")
    assert response.status_code == 200
    password = response.context["password"]
    assert password in text(response)
    worker = fresh(people.worker)
    assert worker.check_password(password)
    assert worker.password_changed_at is None
    assert AuditEvent.objects.filter(kind=AuditKind.PASSWORD_RESET, actor=people.sysadmin).exists()


def test_nobody_resets_their_own_password_here(client, people):
    as_(client, people.sysadmin)
    response = client.post("/admin/users/sysadmin/reset-password/", follow=True)
    assert "不能重置自己的密码" in text(response)
    assert fresh(people.sysadmin).check_password("Wangge-2024!")


def test_resetting_the_second_factor(client, people):
    town = fresh(people.town)
    town.totp_secret, town.totp_confirmed_at = "JBSWY3DPEHPK3PXP", timezone.now()
    town.save()
    as_(client, people.sysadmin)
    response = client.post("/admin/users/town_op/reset-totp/", follow=True)
    assert "已重置" in text(response)
    town = fresh(people.town)
    assert town.totp_confirmed_at is None and town.totp_secret == ""
    own = client.post("/admin/users/sysadmin/reset-totp/", follow=True)
    assert "不能重置自己的动态口令" in text(own)


# Posts ----------------------------------------------------------------------------------


def grant_form(**data):
    base = {"username": "nobody", "role": "", "area": "", "grid": "", "department": ""}
    return {**base, "zone": "", "start_date": "", "end_date": "", "note": "", **data}


def test_the_security_administrator_grants_a_post(client, people):
    as_(client, people.secadmin)
    assert "nobody" in text(client.get("/admin/posts/grant/?user=nobody"))
    response = client.post(
        "/admin/posts/grant/",
        grant_form(role=Role.LEADER, grid=GRID_A2, note="任命文件"),
        follow=True,
    )
    assert "已授予 nobody 网格长岗位" in text(response)
    post = Post.objects.get(user=people.nobody)
    assert (post.role, post.grid.code, post.granted_by) == (Role.LEADER, GRID_A2, people.secadmin)
    assert AuditEvent.objects.filter(kind=AuditKind.ROLE_GRANTED, actor=people.secadmin).exists()


@pytest.mark.parametrize(
    "data, field, message",
    [
        # A post at the wrong kind of place.
        ({"role": Role.LEADER, "area": VILLAGE_A}, "grid", "设在城市社区网格或农村网格"),
        ({"role": Role.CHIEF, "area": "990101001"}, "area", "设在村（社区）"),
        ({"role": Role.AGENCY_OPERATOR, "area": VILLAGE_A}, "area", "市、县（区）或镇（街道）"),
        ({"role": Role.DEPARTMENT_HANDLER}, "department", "须选择部门"),
        ({"role": Role.ZONE_OPERATOR}, "zone", "须选择管理区机构"),
        # Places that do not exist.
        ({"role": Role.LEADER, "grid": "990101001001999"}, "grid", "找不到网格编码"),
        ({"role": Role.CHIEF, "area": "990199"}, "area", "找不到区划代码"),
        ({"role": Role.LEADER, "grid": GRID_A1, "username": "ghost"}, "username", "找不到账户"),
        ({"role": "king", "grid": GRID_A1}, "role", ""),
    ],
)
def test_a_post_at_the_wrong_place_is_refused_and_nothing_changes(
    client, people, data, field, message
):
    response = as_(client, people.secadmin).post("/admin/posts/grant/", grant_form(**data))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not Post.objects.filter(user=people.nobody).exists()


def test_three_administrator_roles_are_never_combined(client, people):
    as_(client, people.secadmin)
    response = client.post(
        "/admin/posts/grant/", grant_form(username="sysadmin", role=Role.AUDIT_ADMIN)
    )
    assert "三员分立" in " ".join(response.context["form"].errors["role"])
    assert not Post.objects.filter(user=people.sysadmin, role=Role.AUDIT_ADMIN).exists()


def test_nobody_grants_a_post_to_themselves(client, people):
    as_(client, people.secadmin)
    response = client.post(
        "/admin/posts/grant/", grant_form(username="secadmin", role=Role.LEADER, grid=GRID_A1)
    )
    assert "不能给自己授予岗位" in text(response)
    assert not Post.objects.filter(user=people.secadmin, role=Role.LEADER).exists()


def test_no_post_for_a_disabled_account(client, people):
    actions.do_disable_user(people.nobody, actor=None, reason="离职")
    as_(client, people.secadmin)
    response = client.post("/admin/posts/grant/", grant_form(role=Role.LEADER, grid=GRID_A1))
    assert "账户已停用，不能授予岗位" in text(response)
    assert not Post.objects.filter(user=people.nobody).exists()
    # Nor is it offered.
    assert "授予岗位" not in text(client.get("/admin/users/nobody/"))


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "town"])
def test_only_the_security_administrator_grants(client, people, who):
    response = as_(client, getattr(people, who)).post(
        "/admin/posts/grant/", grant_form(role=Role.LEADER, grid=GRID_A1)
    )
    assert response.status_code == 404
    assert not Post.objects.filter(user=people.nobody).exists()


def test_the_security_administrator_ends_a_post(client, people):
    post = Post.objects.get(user=people.worker)
    as_(client, people.secadmin)
    response = client.post(
        f"/admin/posts/{post.pk}/end/", {"end_date": "", "note": "调离"}, follow=True
    )
    assert "已免除 worker 的专职网格员岗位" in text(response)
    post.refresh_from_db()
    assert post.end_date == timezone.localdate() and post.ended_by == people.secadmin
    assert post.note == "调离"
    again = client.post(f"/admin/posts/{post.pk}/end/", {}, follow=True)
    assert "该岗位已于" in text(again)


def test_an_end_before_the_start_is_a_field_error(client, people):
    post = Post.objects.get(user=people.worker)
    as_(client, people.secadmin)
    response = client.post(f"/admin/posts/{post.pk}/end/", {"end_date": "2019-12-31"})
    assert response.status_code == 200
    assert "离任日期不能早于任职日期" in " ".join(response.context["end_form"].errors["end_date"])
    post.refresh_from_db()
    assert post.end_date is None


def test_nobody_ends_their_own_post(client, people):
    own = Post.objects.get(user=people.secadmin)
    as_(client, people.secadmin)
    response = client.post(f"/admin/posts/{own.pk}/end/", {}, follow=True)
    assert "不能变更自己的岗位" in text(response)
    own.refresh_from_db()
    assert own.end_date is None


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "town", "worker"])
def test_only_the_security_administrator_ends_posts(client, people, who):
    post = Post.objects.get(user=people.worker)
    response = as_(client, getattr(people, who)).post(f"/admin/posts/{post.pk}/end/", {})
    assert response.status_code == 404
    post.refresh_from_db()
    assert post.end_date is None


def test_the_post_list_filters(client, people):
    Post.objects.filter(user=people.worker).update(end_date=date(2021, 1, 1))
    as_(client, people.auditor)

    def roles(**query):
        response = client.get("/admin/posts/", query)
        return sorted(post.role for post in response.context["page"].object_list)

    assert Role.FULLTIME not in roles()  # current posts by default
    assert roles(status="ended") == [Role.FULLTIME]
    assert Role.FULLTIME in roles(status="all")
    assert roles(q="town_op") == [Role.AGENCY_OPERATOR]
    assert roles(place="990101001", status="all") == [Role.AGENCY_OPERATOR, Role.FULLTIME]
    assert roles(role=Role.SECURITY_ADMIN) == [Role.SECURITY_ADMIN]
    assert "授予岗位" not in text(client.get("/admin/posts/"))


def test_the_pages_speak_english_on_request(client, people):
    as_(client, people.sysadmin)
    client.post(reverse("set_language"), {"language": "en", "next": "/account/"})
    page = text(client.get("/admin/users/worker/"))
    assert "Deactivate account" in page and "Reason for deactivating" in page
    assert "Reset one-time code" in page and "Full-time grid worker" in page
    assert "Change password" in text(client.get("/account/"))
