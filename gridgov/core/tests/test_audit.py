"""The audit log: recording, the chain, append-only guards, verification and retention."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.http import HttpResponse
from django.utils import timezone

from gridgov.core import audit
from gridgov.core.middleware import RequestIdMiddleware
from gridgov.core.models import AuditAnchor, AuditEvent, AuditHead, AuditLogIsAppendOnly
from gridgov.core.tests.app.models import Resident


def raw(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def disable_triggers() -> None:
    """What a malicious DBA would do first (undone when the test's transaction rolls back)."""
    if connection.vendor == "sqlite":
        raw("DROP TRIGGER core_auditevent_no_update")
        raw("DROP TRIGGER core_auditevent_no_delete")
    else:
        # Deferred foreign-key checks of this transaction's inserts must run before ALTER.
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        raw("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="wang", password="x")


@pytest.fixture
def events(db, user):
    """Five chained events."""
    return [
        audit.record(
            audit.AuditKind.LOGIN, actor=user, detail={"n": n, "ratio": n / 3, "big": 1e16}
        )
        for n in range(5)
    ]


# --- recording ---


def test_events_are_numbered_and_chained(events, user):
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert len({e.chain for e in events}) == 5
    first = AuditEvent.objects.get(sequence=1)
    assert first.actor == user and first.actor_username == "wang"
    assert first.chain == audit.chain_value(audit.GENESIS, audit._row_of(first))
    head = AuditHead.objects.get()
    assert (head.last_sequence, head.chain) == (5, events[-1].chain)
    assert audit.verify().describe() == "审计日志完整：5 条"


def test_only_registered_kinds_are_accepted(db):
    with pytest.raises(ValueError, match="unregistered audit event kind 'coffee_break'"):
        audit.record("coffee_break")
    assert audit.record("logout").get_kind_display() == "退出登录"


def test_targets_are_named_by_their_public_code(db):
    resident = Resident.objects.create(code="R-007", name="张三")
    event = audit.record(audit.AuditKind.DATA_CREATED, target=resident)
    assert (event.target_type, event.target_id, event.target_repr) == (
        "coretests.resident",
        "R-007",
        "R-007",
    )
    export = audit.Target("export", "EX-1", "网格员名单")
    event = audit.record(audit.AuditKind.EXPORT, target=export)
    assert (event.target_type, event.target_id, event.target_repr) == (
        "export",
        "EX-1",
        "网格员名单",
    )


def test_the_request_gives_actor_request_id_and_ip(rf, user, settings):
    def view(request):
        request.user = user  # as AuthenticationMiddleware would
        audit.record(audit.AuditKind.LOGIN)
        return HttpResponse()

    middleware = RequestIdMiddleware(view)
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.1", "HTTP_X_REQUEST_ID": "req-12345678"}
    settings.SECURE_PROXY_SSL_HEADER = None
    middleware(rf.get("/", REMOTE_ADDR="10.1.2.3", **headers))
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    middleware(rf.get("/", REMOTE_ADDR="10.1.2.3", **headers))
    middleware(rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="not-an-ip"))
    first, second, third = AuditEvent.objects.order_by("sequence")
    assert (first.actor, first.request_id, first.ip) == (user, "req-12345678", "10.1.2.3")
    assert second.ip == "203.0.113.9"  # behind our proxy: the first X-Forwarded-For hop
    assert third.ip == "10.1.2.3"
    assert audit.verify().ok
    # Outside a request nothing leaks from the previous one.
    assert audit.record(audit.AuditKind.LOGOUT).request_id == ""


def test_detail_becomes_plain_json_that_verifies_on_every_database(db):
    detail = {
        "day": date(2024, 10, 1),
        "amount": Decimal("12.50"),
        "pair": (1, 2),
        "nul": "a\x00b",
        "literal": "\\u0000",
        "big": 10**20,
        "tiny": 1e-7,
        3: "int key",
    }
    event = audit.record(audit.AuditKind.CONFIG_CHANGED, detail=detail)
    stored = AuditEvent.objects.get(pk=event.pk).detail
    assert stored == event.detail
    assert stored["day"] == "2024-10-01" and stored["amount"] == "12.50"
    assert stored["pair"] == [1, 2] and stored["nul"] == "ab" and stored["3"] == "int key"
    assert audit.verify().ok


def test_plaintext_personal_data_is_refused(db):
    for bad in (
        {"after": {"phone": "13812345678"}},
        {"before": {"id": "11010519491231002X"}},
        {"detail": {"note": "身份证 45070219900101123x 已核实"}},
        {"purpose": "核实 13812345678"},
    ):
        with pytest.raises(audit.UnmaskedPersonalData):
            audit.record(audit.AuditKind.DATA_CHANGED, **bad)
    audit.record(
        audit.AuditKind.DATA_CHANGED,
        after={"phone": "138****5678", "grid": "450702101201003", "n": 13812345678},
    )
    assert AuditEvent.objects.count() == 1


def test_snapshot_masks_encrypted_fields_and_diff_keeps_changes(db):
    resident = Resident.objects.create(
        code="R1", name="欧阳修文", id_number="11010519491231002X", phone="13812345678"
    )
    before = audit.snapshot(resident)
    assert before == {
        "id": resident.pk,
        "code": "R1",
        "name": "欧阳**",
        "id_number": "110***********002X",
        "phone": "138****5678",
        "note": "",
    }
    resident.phone, resident.note = "13900001111", "搬迁"
    resident.save()
    old, new = audit.diff(before, audit.snapshot(resident))
    assert old == {"note": "", "phone": "138****5678"}
    assert new == {"note": "搬迁", "phone": "139****1111"}
    event = audit.record(audit.AuditKind.DATA_CHANGED, target=resident, before=old, after=new)
    assert AuditEvent.objects.get().after == new == event.after
    assert audit.snapshot(resident, fields=["code"]) == {"code": "R1"}


def test_search_filters_events(events, user):
    other = audit.record(audit.AuditKind.EXPORT, target=audit.Target("export", "EX-9", "名单"))
    assert list(audit.search(kind="export")) == [other]
    assert audit.search(actor=user).count() == 5
    assert audit.search(actor="wang", kind=["login", "export"]).count() == 5
    assert list(audit.search(target=audit.Target("export", "EX-9"))) == [other]
    assert list(audit.search(text="名单")) == [other]
    assert audit.search(since=timezone.now() + timedelta(minutes=1)).count() == 0
    assert audit.search(until=timezone.now() + timedelta(minutes=1)).first() == other


# --- append-only ---


def test_the_orm_refuses_changes_and_deletes(events):
    event = AuditEvent.objects.get(sequence=2)
    event.target_repr = "改"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(sequence=2).update(target_repr="改")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.update(target_repr="改")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(sequence=2).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_create([AuditEvent(kind="login")])
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent(kind="login", at=timezone.now()).save()  # not through record()
    assert audit.verify().ok


def test_the_database_refuses_raw_updates_and_deletes(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE core_auditevent SET target_repr = 'x' WHERE sequence = 2")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM core_auditevent WHERE sequence = 3")
    assert AuditEvent.objects.count() == 5
    assert audit.verify().ok


_OTHER_VALUES = {
    "BigAutoField": 999,
    "DateTimeField": "2001-01-01 00:00:00+00:00",
    "JSONField": '{"x": 1}',
    "GenericIPAddressField": "10.9.9.9",
}


def test_every_column_but_the_actor_is_guarded(events):
    """Only ``actor_id -> NULL`` (a deleted user) passes; with any other column it fails."""
    for field in AuditEvent._meta.concrete_fields:
        if field.name == "actor":
            continue
        value = _OTHER_VALUES.get(field.get_internal_type(), "x")
        column = connection.ops.quote_name(field.column)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw(
                f"UPDATE core_auditevent SET actor_id = NULL, {column} = %s WHERE sequence = 1",
                [value],
            )
    raw("UPDATE core_auditevent SET actor_id = NULL WHERE sequence = 1")
    assert AuditEvent.objects.get(sequence=1).actor is None


def test_rows_survive_the_deletion_of_their_actor(events, user):
    user.delete()
    assert AuditEvent.objects.filter(actor__isnull=True, actor_username="wang").count() == 5
    assert audit.verify().describe() == "审计日志完整：5 条"


# --- verification ---


def test_a_tampered_row_is_found_by_verify(events):
    disable_triggers()
    raw("UPDATE core_auditevent SET target_repr = '篡改' WHERE sequence = 3")
    result = audit.verify(chunk_size=2)
    assert not result.ok
    assert (result.sequence, result.kind, result.count) == (3, "login", 2)
    assert "记录被篡改" in result.describe() and "序号 3" in result.describe()
    assert "触发器缺失或已停用" in result.describe()


def test_verify_command_names_the_tampered_row_and_exits_1(events):
    disable_triggers()
    raw("UPDATE core_auditevent SET detail = %s WHERE sequence = 4", ['{"n": 99}'])
    with pytest.raises(CommandError, match="序号 4") as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 1


def test_verify_command_reports_an_intact_log(events, capsys):
    call_command("audit", "verify", "--chunk-size", "2")
    assert "审计日志完整：5 条" in capsys.readouterr().out


def test_a_deleted_row_in_the_middle_is_found(events):
    disable_triggers()
    raw("DELETE FROM core_auditevent WHERE sequence = 3")
    result = audit.verify()
    assert not result.ok
    assert "序号 3 的记录缺失" in result.problem
    assert result.sequence == 4  # the row after the gap


def test_deleted_rows_at_the_end_are_found(events):
    disable_triggers()
    raw("DELETE FROM core_auditevent WHERE sequence >= 4")
    result = audit.verify()
    assert "序号 4–5 的记录缺失" in result.problem


def test_a_forged_chain_value_is_found(events):
    disable_triggers()
    forged = audit.chain_value(events[0].chain, {**audit._row_of(events[1]), "kind": "logout"})
    raw(
        "UPDATE core_auditevent SET kind = 'logout', chain = %s WHERE sequence = 2",
        [forged[::-1]],  # without the audit key a forger cannot compute the right value
    )
    assert audit.verify().sequence == 2


def test_a_missing_head_row_is_rebuilt_from_the_last_event(events):
    AuditHead.objects.all().delete()
    event = audit.record(audit.AuditKind.LOGOUT)
    assert event.sequence == 6
    assert audit.verify().describe() == "审计日志完整：6 条"


# --- retention ---


@pytest.fixture
def clock(monkeypatch):
    """A settable now() for the audit module and Django."""
    state = {"now": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


def test_purge_removes_expired_rows_oldest_first_and_moves_the_anchor(db, clock, capsys):
    start = clock["now"]
    for _ in range(3):
        audit.record(audit.AuditKind.LOGIN)
    clock["now"] = start + timedelta(days=300)
    audit.record(audit.AuditKind.LOGIN)
    audit.record(audit.AuditKind.LOGOUT)

    assert audit.purge() == 0  # nothing is 365 days old yet
    clock["now"] = start + timedelta(days=370)
    call_command("audit", "purge", "--dry-run")
    assert "可清理 3 条" in capsys.readouterr().out
    assert audit.purge(batch_size=2) == 3
    assert list(AuditEvent.objects.values_list("sequence", flat=True).order_by("sequence")) == [
        4,
        5,
        6,
    ]
    anchor = AuditAnchor.objects.get()
    assert anchor.sequence == 3
    purged = AuditEvent.objects.get(sequence=6)
    assert purged.kind == "audit_purged"
    assert purged.detail["count"] == 3 and purged.detail["through_sequence"] == 3
    assert audit.verify().describe() == "审计日志完整：3 条"
    # Deletes are guarded again after the purge.
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("DELETE FROM core_auditevent WHERE sequence = 4")


def test_a_deleted_row_right_after_the_anchor_is_found(db, clock):
    start = clock["now"]
    for _ in range(4):
        audit.record(audit.AuditKind.LOGIN)
    clock["now"] = start + timedelta(days=300)
    audit.record(audit.AuditKind.LOGIN)
    clock["now"] = start + timedelta(days=370)
    audit.purge()
    disable_triggers()
    raw("DELETE FROM core_auditevent WHERE sequence = 5")
    assert "序号 5 的记录缺失" in audit.verify().problem


def test_purge_keeps_a_newer_row_behind_an_older_one(db, clock):
    """Clocks of several machines differ: rows go strictly in sequence order."""
    start = clock["now"]
    audit.record(audit.AuditKind.LOGIN)
    clock["now"] = start + timedelta(days=300)
    audit.record(audit.AuditKind.LOGIN)
    clock["now"] = start  # a machine with a slow clock
    audit.record(audit.AuditKind.LOGIN)
    clock["now"] = start + timedelta(days=370)
    assert audit.purge() == 1
    assert AuditAnchor.objects.get().sequence == 1


def test_purge_refuses_to_destroy_a_broken_chain(db, clock):
    start = clock["now"]
    for _ in range(3):
        audit.record(audit.AuditKind.LOGIN)
    disable_triggers()
    raw("UPDATE core_auditevent SET target_repr = 'x' WHERE sequence = 2")
    clock["now"] = start + timedelta(days=400)
    with pytest.raises(audit.AuditChainBroken, match="序号 2"):
        audit.purge()
    assert AuditEvent.objects.count() == 3


def test_retention_below_six_months_is_refused(db, settings):
    from gridgov.core.checks import check_audit_retention

    settings.AUDIT_RETENTION_DAYS = 183
    assert [e.id for e in check_audit_retention()] == ["core.E003"]
    with pytest.raises(ImproperlyConfigured, match="184"):
        audit.purge()


def test_settings_refuse_a_short_retention():
    from gridgov.core.tests.test_settings import start_settings

    result = start_settings(
        GRIDGOV_DEBUG="true", GRIDGOV_SECRET_KEY="x", GRIDGOV_AUDIT_RETENTION_DAYS="100"
    )
    assert result.returncode != 0 and "GRIDGOV_AUDIT_RETENTION_DAYS" in result.stderr


def test_the_purge_task_runs(db):
    from gridgov.core.tasks import purge_audit_log

    audit.record(audit.AuditKind.LOGIN)
    result = purge_audit_log.enqueue()
    assert result.return_value == 0


# --- concurrency ---


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_consecutive_sequences():
    if connection.vendor == "sqlite":
        # The SQLite test database is in memory with a shared cache, which reports
        # "table is locked" instead of waiting; on a file, IMMEDIATE transactions queue.
        pytest.skip("concurrent writers need PostgreSQL or a file database")
    errors = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    audit.record(audit.AuditKind.DATA_CREATED, detail={"writer": n, "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, 41))
    assert audit.verify().describe() == "审计日志完整：40 条"


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_empties_the_audit_log():
    """SQLite flushes with DELETE, which the triggers refuse; core's flush handles it."""
    audit.record(audit.AuditKind.LOGIN)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    audit.record(audit.AuditKind.LOGIN)  # committed: the flush after this test must work
