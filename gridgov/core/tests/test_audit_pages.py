"""The audit search (page and API): for the audit administrator only, newest first,
filtered by kind, account, object, time and request id."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gridgov.accounts import actions
from gridgov.core import audit, context
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.orgs.tests.people import PHONE, cast


@pytest.fixture
def people(territory):
    return cast(territory)


@pytest.fixture
def events(people):
    """A disable and an enable by the system administrator, a reset a week ago, and an
    event with a known request id."""
    with time_machine.travel(timezone.now() - timedelta(days=7)):
        actions.do_reset_totp(people.worker, actor=people.sysadmin)
    actions.do_disable_user(people.worker, actor=people.sysadmin, reason="调离")
    actions.do_enable_user(people.worker, actor=people.sysadmin)
    token = context.request_id.set("req-0123456789")
    try:
        audit.record(
            AuditKind.EXPORT, actor=people.town, target=audit.Target("report", "R1", "月报")
        )
    finally:
        context.request_id.reset(token)


def as_(client, user):
    client.force_login(user)
    return client


def kinds(response) -> list[str]:
    return [event.kind for event in response.context["page"].object_list]


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "town", "worker", "nobody"])
def test_nobody_but_the_audit_administrator_finds_the_audit_log(client, people, events, who):
    as_(client, getattr(people, who))
    assert client.get("/audit/").status_code == 404
    assert client.get("/api/audit/events").status_code == 404


def test_the_audit_administrator_sees_events_newest_first(client, people, events):
    response = as_(client, people.auditor).get("/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert kinds(response)[:3] == [
        AuditKind.EXPORT,
        AuditKind.ACCOUNT_ENABLED,
        AuditKind.ACCOUNT_DISABLED,
    ]
    assert "停用账户" in page and "sysadmin" in page and "调离" in page
    total = AuditEvent.objects.count()
    assert f"共 {total} 条记录" in page
    assert PHONE not in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"kind": AuditKind.ACCOUNT_DISABLED}, [AuditKind.ACCOUNT_DISABLED]),
        ({"actor": "town_op"}, [AuditKind.EXPORT]),
        ({"target": "R1"}, [AuditKind.EXPORT]),
        ({"target": "月报"}, [AuditKind.EXPORT]),
        ({"q": "req-0123456789"}, [AuditKind.EXPORT]),
        (
            {"actor": "sysadmin", "since": "{today}"},
            [AuditKind.ACCOUNT_ENABLED, AuditKind.ACCOUNT_DISABLED],
        ),
        ({"actor": "sysadmin", "until": "{week_ago}"}, [AuditKind.ACCOUNT_CHANGED]),
        ({"actor": "nobody"}, []),
    ],
)
def test_searching_the_audit_log(client, people, events, query, expected):
    today = timezone.localdate()
    values = {"today": today, "week_ago": today - timedelta(days=7)}
    query = {key: value.format(**values) for key, value in query.items()}
    response = as_(client, people.auditor).get("/audit/", query)
    assert kinds(response) == expected
    api = client.get("/api/audit/events", query).json()
    assert [item["kind"] for item in api["items"]] == expected


def test_a_reversed_time_range_is_a_field_error(client, people, events):
    response = as_(client, people.auditor).get(
        "/audit/", {"since": "2025-02-01", "until": "2025-01-01"}
    )
    assert "截止日期不能早于起始日期" in response.content.decode()
    assert kinds(response) == []


def test_the_api_answer_carries_the_chain_free_row(client, people, events):
    body = as_(client, people.auditor).get("/api/audit/events", {"kind": "account_disabled"}).json()
    (item,) = body["items"]
    assert item["actor"] == "sysadmin"
    assert item["kind_label"] == "停用账户"
    assert item["target_type"] == "accounts.user"
    assert item["detail"] == {"reason": "调离"}
    assert "chain" not in item
