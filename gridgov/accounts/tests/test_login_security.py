"""Login security as an MLPS level-3 assessor checks it: passwords, lockout, session
timeouts, second factor, ending sessions — with time travel where time matters."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts import actions, totp
from gridgov.accounts.models import LoginThrottle
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.core.testing import VILLAGE_A, grant
from gridgov.orgs.choices import Role

PASSWORD = "Wangge-2024!"
User = get_user_model()


def make_user(username="zhou", role=Role.FULLTIME, territory=None, **extra):
    from gridgov.areas.models import Grid

    user = User.objects.create_user(
        username,
        password=PASSWORD,
        full_name="周网格员",
        password_changed_at=timezone.now(),
        **extra,
    )
    if role == Role.FULLTIME:
        grant(user, role, grid=Grid.objects.get(code=f"{VILLAGE_A}001"))
    elif role == Role.AGENCY_OPERATOR:
        grant(user, role, area=territory["town"])
    return user


def login(client, username="zhou", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def page_text(response) -> str:
    return response.content.decode()


@pytest.fixture
def worker(territory):
    return make_user()


# Passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, expected",
    [
        ("Ab1!", "至少需要 8 个字符"),
        ("abcdefgh12", "至少 3 类"),
        ("Password1", "太常见"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule(worker, password, expected):
    with pytest.raises(ValidationError) as excinfo:
        actions.do_change_password(worker, password, actor=worker)
    assert any(expected in m for m in excinfo.value.messages), excinfo.value.messages
    worker.refresh_from_db()
    assert worker.check_password(PASSWORD)


def test_none_of_the_last_five_passwords_may_return(worker):
    used = [f"Wangge-2025-{n}!" for n in range(5)]
    for password in used:
        actions.do_change_password(worker, password, actor=worker)
    for old in [PASSWORD, *used][-5:]:
        with pytest.raises(ValidationError, match="最近 5 次"):
            actions.do_change_password(worker, old, actor=worker)
    # The sixth-last is allowed again.
    actions.do_change_password(worker, PASSWORD, actor=worker)


def test_an_expired_password_must_be_changed_before_anything_else(client, worker):
    login(client)
    assert client.get(reverse("areas:grid_list")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        fresh = Client()
        assert login(fresh)["Location"] == reverse("password_change")
        response = fresh.get(reverse("areas:grid_list"))
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
        api = fresh.get("/api/areas/grids")
        assert api.status_code == 403 and api.json()["code"] == "password_expired"
        response = fresh.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "Xin-mima-2025",
                "new_password2": "Xin-mima-2025",
            },
        )
        assert response.status_code == 302
        assert fresh.get(reverse("areas:grid_list")).status_code == 200


def test_an_administrator_reset_password_must_be_changed_at_next_login(client, worker):
    actions.do_change_password(worker, "Chongzhi-2025!", actor=None)
    response = login(client, password="Chongzhi-2025!")
    assert response["Location"] == reverse("password_change")


# Lockout ------------------------------------------------------------------------------


def test_five_failures_lock_the_account_for_thirty_minutes(client, worker):
    for _ in range(4):
        assert "用户名或密码不正确" in page_text(login(client, password="wrong"))
    assert "已锁定" in page_text(login(client, password="wrong"))
    # Even the right password is refused while locked.
    assert "已锁定" in page_text(login(client))
    assert AuditEvent.objects.filter(kind=AuditKind.LOCKOUT, target_id=str(worker.pk)).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert "已锁定" in page_text(login(client))
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = login(client)
        assert response.status_code == 302
        assert not LoginThrottle.objects.filter(username="zhou").exists()


def test_unknown_user_names_get_the_same_answers(client, worker):
    known = [page_text(login(client, password="wrong")) for _ in range(5)]
    unknown = [page_text(login(client, username="nobody")) for _ in range(5)]
    for a, b in zip(known, unknown, strict=True):
        assert ("用户名或密码不正确" in a) == ("用户名或密码不正确" in b)
        assert ("已锁定" in a) == ("已锁定" in b)
    assert "已锁定" in unknown[-1]


def test_a_disabled_account_cannot_log_in_and_is_not_told_apart(client, worker):
    actions.do_disable_user(worker, actor=None, reason="离职")
    assert "用户名或密码不正确" in page_text(login(client))


# Sessions -----------------------------------------------------------------------------


def test_thirty_idle_minutes_end_the_session(client, worker):
    login(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert client.get(reverse("areas:grid_list")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31)):
        response = client.get(reverse("areas:grid_list"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert client.get(reverse("areas:grid_list")).status_code == 302


def test_twelve_hours_end_the_session_however_busy(client, worker):
    login(client)
    start = timezone.now()
    for minutes in range(20, 12 * 60, 20):  # a request every 20 minutes
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get(reverse("areas:grid_list")).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5)):
        response = client.get(reverse("areas:grid_list"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_disabling_an_account_ends_both_of_its_sessions(worker):
    office, phone = Client(), Client()
    login(office)
    login(phone)
    assert office.get(reverse("areas:grid_list")).status_code == 200
    assert phone.get(reverse("areas:grid_list")).status_code == 200
    actions.do_disable_user(worker, actor=None, reason="离职")
    for client in (office, phone):
        assert client.get(reverse("areas:grid_list")).status_code == 302


def test_changing_posts_ends_the_sessions(worker):
    from gridgov.orgs import actions as org_actions

    office = Client()
    login(office)
    org_actions.do_end_post(worker.posts.get(), actor=None)
    assert office.get(reverse("areas:grid_list")).status_code == 302


def test_changing_the_password_ends_other_sessions_but_not_this_one(worker):
    office, phone = Client(), Client()
    login(office)
    login(phone)
    office.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Xin-mima-2025",
            "new_password2": "Xin-mima-2025",
        },
    )
    assert office.get(reverse("areas:grid_list")).status_code == 200
    assert phone.get(reverse("areas:grid_list")).status_code == 302


def test_accounts_unused_for_ninety_days_are_disabled(worker, territory):
    recent = make_user("recent", territory=territory)
    now = timezone.now()
    User.objects.filter(pk=worker.pk).update(last_login=now - timedelta(days=91))
    User.objects.filter(pk=recent.pk).update(last_login=now - timedelta(days=10))
    record_only = User.objects.create_user("record", password=None)  # never signs in
    User.objects.filter(pk=record_only.pk).update(date_joined=now - timedelta(days=400))
    assert actions.disable_inactive_accounts(now) == 1
    assert User.objects.get(pk=record_only.pk).is_active
    worker.refresh_from_db()
    recent.refresh_from_db()
    assert not worker.is_active and "90" in worker.disabled_reason
    assert recent.is_active
    assert actions.disable_inactive_accounts(now) == 0


# Second factor -----------------------------------------------------------------------


def test_agency_staff_enrol_a_second_factor_then_use_it(client, territory):
    make_user("town", role=Role.AGENCY_OPERATOR, territory=territory)
    response = login(client, "town")
    assert response["Location"] == reverse("totp_enrol")
    # Not logged in yet.
    assert client.get(reverse("areas:grid_list")).status_code == 302
    page = client.get(reverse("totp_enrol"))
    secret = page.context["secret"]
    assert "<svg" in page_text(page)
    wrong = client.post(reverse("totp_enrol"), {"code": "000000"})
    assert "动态口令不正确" in page_text(wrong)
    code = totp.code_at(secret, totp.current_step())
    assert client.post(reverse("totp_enrol"), {"code": code}).status_code == 302
    assert client.get(reverse("areas:grid_list")).status_code == 200

    # Next time: password, then a fresh code; a used code does not work again.
    other = Client()
    assert login(other, "town")["Location"] == reverse("totp_verify")
    assert "已使用" in page_text(other.post(reverse("totp_verify"), {"code": code}))
    with time_machine.travel(timezone.now() + timedelta(seconds=90)):
        fresh = totp.code_at(secret, totp.current_step())
        assert other.post(reverse("totp_verify"), {"code": fresh}).status_code == 302
        assert other.get(reverse("areas:grid_list")).status_code == 200


def test_the_code_step_expires(client, territory):
    make_user("town", role=Role.AGENCY_OPERATOR, territory=territory)
    login(client, "town")
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.get(reverse("totp_enrol"))
        assert response["Location"] == reverse("login")


def test_rfc6238_test_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s → 94287082 (8 digits; we use the last 6).
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    assert totp.code_at(secret, 59 // 30) == "287082"
    assert totp.match(secret, "287082", now=59) == 1
    assert totp.match(secret, "287082", now=59, after_step=1) is None


# API tokens --------------------------------------------------------------------------


def test_a_program_uses_a_bearer_token(client, worker):
    row, token = actions.do_issue_token(worker, name="数据对接", actor=worker)
    response = client.get("/api/areas/grids", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["count"] == 1  # the worker's own grid only
    actions.do_revoke_token(row, actor=worker)
    assert client.get("/api/areas/grids", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert not any(token in str(v) for v in row.__dict__.values())
