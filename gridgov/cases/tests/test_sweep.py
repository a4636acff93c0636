"""The deadline sweeper: colours, reminders to the holder and the supervising agency,
缓办 expiry, unrated cases closed, overdue supervision orders — each exactly once, also
when two sweepers run at the same moment."""

import contextlib
import io
import threading
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections

from gridgov.cases import actions
from gridgov.cases import sweep as sweeper
from gridgov.cases.choices import EventKind, Flag, Status
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.sweep import sweep
from gridgov.cases.testing import case_world, resident_case
from gridgov.notifications.models import Notification, SmsMessage

CST = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
MINUTE = timedelta(minutes=1)


def at(*args):
    """Travel to a local (China Standard Time) moment, clock stopped."""
    return time_machine.travel(datetime(*args, tzinfo=CST), tick=False)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def world(territory):
    return case_world(territory)


def told(kind: str, case: Case | None = None) -> Counter:
    """{username: how many notifications of ``kind``} (about ``case``)."""
    rows = Notification.objects.filter(kind=kind)
    if case is not None:
        rows = rows.filter(target_id=case.number)
    return Counter(rows.values_list("recipient__username", flat=True))


def at_town(world, **overrides) -> Case:
    """A resident's report, reported up by the grid and accepted by the town."""
    case = resident_case(world, **overrides)
    case = actions.do_escalate(case, "摊主不听劝阻", actor=world["worker"])
    return actions.do_accept(case, actor=world["town_operator"])


def dispatched(world) -> Case:
    return actions.do_dispatch(
        at_town(world),
        world["lead_department"],
        "请依法处理占道经营",
        assist=[world["assist_department"]],
        actor=world["town_operator"],
    )


# Colours and reminders -------------------------------------------------------------------


def test_yellow_then_red_each_told_once(world):
    with at(2026, 11, 24, 10, 0):
        case = resident_case(world)
    # One working day at the grid: Wednesday, end of day; the reminder when 75 % is used.
    assert case.due_at == local(2026, 11, 25, 23, 59, 59, 999999)
    assert case.warn_at == TUESDAY + (case.due_at - TUESDAY) * 75 / 100

    assert sweep(now=case.warn_at - MINUTE).total == 0
    assert Case.objects.get(pk=case.pk).flag == Flag.NORMAL

    result = sweep(now=case.warn_at + MINUTE)
    assert (result.yellow, result.red) == (1, 0)
    assert Case.objects.get(pk=case.pk).flag == Flag.YELLOW
    assert told("due_soon", case) == {"worker": 1, "leader": 1}
    assert sweep(now=case.warn_at + 2 * MINUTE).total == 0
    assert told("due_soon", case) == {"worker": 1, "leader": 1}

    result = sweep(now=case.due_at + MINUTE)
    assert (result.yellow, result.red) == (0, 1)
    case.refresh_from_db()
    assert case.flag == Flag.RED and case.status == Status.AT_GRID
    # The grid's staff, and the level above (no village staff here: the town agency).
    assert told("overdue", case) == {
        "worker": 1,
        "leader": 1,
        "town_operator": 1,
        "town_leader": 1,
    }
    flagged = case.events.get(kind=EventKind.FLAGGED)
    assert flagged.at == case.due_at + MINUTE and flagged.actor_name == "系统"
    assert "超过办理期限" in flagged.note

    again = sweep(now=case.due_at + 10 * MINUTE)
    assert again.total == 0
    assert told("overdue", case).total() == 4
    assert case.events.filter(kind=EventKind.FLAGGED).count() == 1


def test_a_case_overdue_at_once_skips_yellow(world):
    with at(2026, 11, 24, 10, 0):
        resident_case(world)
    result = sweep(now=local(2026, 11, 30, 9, 0))
    assert (result.yellow, result.red) == (0, 1)
    assert told("due_soon") == {}


def test_the_dispatching_agency_hears_of_overdue_department_work(world):
    with at(2026, 11, 24, 10, 0):
        case = dispatched(world)
    # Signing is due the next working day: Wednesday, end of day.
    assert case.status == Status.DISPATCHED
    assert case.due_at == local(2026, 11, 25, 23, 59, 59, 999999)
    with at(2026, 11, 26, 9, 0):
        assert sweep().red == 1
    assert told("overdue", case) == {"handler": 1, "town_operator": 1, "town_leader": 1}

    # The department signs: a new stage, the colour is back to normal, the clock is the
    # reply's (five working days from the dispatch).
    with at(2026, 11, 26, 9, 30):
        case = actions.do_sign(case, actor=world["handler"])
        assert case.flag == Flag.NORMAL and case.status == Status.HANDLING
        assert case.due_at == local(2026, 12, 1, 23, 59, 59, 999999)
        assert sweep().total == 0

    result = sweep(now=case.warn_at + MINUTE)
    assert (result.yellow, result.red) == (1, 0)
    assert told("due_soon", case) == {"handler": 1}

    result = sweep(now=local(2026, 12, 2, 9, 0))
    assert result.red == 1
    # Once per stage: the signing stage and the reply stage.
    assert told("overdue", case) == {"handler": 2, "town_operator": 2, "town_leader": 2}
    assert case.events.filter(kind=EventKind.FLAGGED).count() == 2


def test_an_approved_extension_resets_the_colour(world):
    with at(2026, 11, 24, 10, 0):
        case = actions.do_sign(dispatched(world), actor=world["handler"])
        case = actions.do_request_extension(
            case, date(2026, 12, 4), "需要联合执法", actor=world["handler"]
        )
    with at(2026, 11, 30, 18, 0):
        assert sweep().yellow == 1
        case = actions.do_decide_extension(case, True, actor=world["town_operator"])
        assert case.flag == Flag.NORMAL
        assert sweep().total == 0
    assert sweep(now=local(2026, 12, 2, 9, 0)).red == 0
    assert sweep(now=local(2026, 12, 5, 0, 1)).red == 1


# Two sweepers at the same moment ---------------------------------------------------------


def _when_unlocked(work, reruns: list | None = None):
    """Run ``work`` again while the test database reports a lock.

    The SQLite test database lives in memory with a shared cache, which answers a second
    writer with "table is locked" at once instead of waiting like a database file (WAL,
    busy timeout) does; the retry stands in for that wait. PostgreSQL never needs it.
    """
    for _attempt in range(500):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            if reruns is not None:
                reruns.append(exc)
            threading.Event().wait(0.01)
    raise AssertionError("the test database stayed locked")


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_send_each_reminder_once(world, monkeypatch):
    worker = world["worker"]
    worker.phone = "13907770002"
    worker.save()
    with at(2026, 11, 24, 10, 0):
        late = [resident_case(world, description=f"占道经营第{n}处") for n in range(25)]
    with at(2026, 11, 25, 10, 0):
        soon = [resident_case(world, description=f"流动摊贩第{n}处") for n in range(25)]
    moment = local(2026, 11, 26, 15, 0)
    assert all(c.due_at < moment for c in late)
    assert all(c.warn_at < moment < c.due_at for c in soon)

    # Both runs read the same candidates before either claims them (the yellow ones,
    # then the red ones), so the claims really race for the same rows.
    both_read = threading.Barrier(2)
    reads = threading.local()
    real_candidates = sweeper._candidates

    def candidates_together(queryset):
        pks = _when_unlocked(lambda: real_candidates(queryset))
        reads.n = getattr(reads, "n", 0) + 1
        if reads.n <= 2:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(10)
        return pks

    monkeypatch.setattr(sweeper, "_candidates", candidates_together)
    # A claim that meets the other run's open transaction waits for it (as on a database
    # file or PostgreSQL), and then finds the rows already taken.
    real_claim_batch = sweeper._claim_batch
    monkeypatch.setattr(
        sweeper, "_claim_batch", lambda *args: _when_unlocked(lambda: real_claim_batch(*args))
    )
    start = threading.Barrier(2)
    results, errors, reruns = [], [], []

    def run():
        try:
            start.wait(10)
            results.append(_when_unlocked(lambda: sweep(now=moment), reruns))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results) == 2
    if not reruns:
        # The two runs split the work exactly (always so on PostgreSQL; on SQLite unless
        # a read met a lock and a whole run was repeated).
        assert sum(r.yellow for r in results) == 25
        assert sum(r.red for r in results) == 25
    if connection.vendor == "postgresql":
        assert not reruns

    assert set(Case.objects.filter(pk__in=[c.pk for c in late]).values_list("flag", flat=True)) == {
        Flag.RED
    }
    assert set(Case.objects.filter(pk__in=[c.pk for c in soon]).values_list("flag", flat=True)) == {
        Flag.YELLOW
    }
    per_case = Counter(Notification.objects.values_list("kind", "target_id", "recipient__username"))
    assert set(per_case.values()) == {1}
    for case in late:
        assert told("overdue", case) == {
            "worker": 1,
            "leader": 1,
            "town_operator": 1,
            "town_leader": 1,
        }
        assert CaseEvent.objects.filter(case=case, kind=EventKind.FLAGGED).count() == 1
    for case in soon:
        assert told("due_soon", case) == {"worker": 1, "leader": 1}
        assert not CaseEvent.objects.filter(case=case, kind=EventKind.FLAGGED).exists()
    assert sum(told("overdue").values()) == 100
    assert sum(told("due_soon").values()) == 50
    # One text per overdue case to the grid worker (the only one with a mobile number).
    assert SmsMessage.objects.count() == 25
    assert SmsMessage.objects.filter(recipient=worker).values("dedupe_key").distinct().count() == 25

    told_before = Notification.objects.count()
    assert sweep(now=moment).total == 0
    assert Notification.objects.count() == told_before


# 缓办, rating period, supervision ---------------------------------------------------------


def test_a_postponed_case_resumes_when_its_date_comes(world):
    with at(2026, 11, 24, 10, 0):
        case = actions.do_postpone(
            at_town(world), "等待道路改造完成", date(2026, 11, 30), actor=world["town_leader"]
        )
    assert case.status == Status.POSTPONED and case.due_at is None
    assert sweep(now=local(2026, 11, 29, 23, 0)).resumed == 0

    with at(2026, 11, 30, 8, 0):
        result = sweep()
    assert result.resumed == 1
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.holder_area == world["town"]
    assert case.postponed_until is None and case.side_reason == ""
    # The agency's five working days start again.
    assert case.due_at == local(2026, 12, 7, 23, 59, 59, 999999)
    resumed = case.events.get(kind=EventKind.RESUMED)
    assert resumed.at == local(2026, 11, 30, 8, 0) and "自动恢复" in resumed.note
    assert told("new_work", case)["town_operator"] >= 1
    before = Notification.objects.count()

    with at(2026, 11, 30, 8, 1):
        assert sweep().resumed == 0
    assert Notification.objects.count() == before
    assert case.events.filter(kind=EventKind.RESUMED).count() == 1


def test_an_unrated_case_closes_after_the_rating_period(world):
    with at(2026, 11, 24, 10, 0):
        case = resident_case(world)
        case = actions.do_resolve_on_site(case, "已劝离摊贩", actor=world["worker"])
        case = actions.do_feedback(case, "已劝离，谢谢您的反映", actor=world["worker"])
    assert case.status == Status.FED_BACK
    # Seven calendar days to rate it.
    assert sweep(now=TUESDAY + timedelta(days=7) - MINUTE).closed == 0
    assert sweep(now=TUESDAY + timedelta(days=7) + MINUTE).closed == 1
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == ""
    assert case.holder_grid is None and case.due_at is None
    closed = case.events.get(kind=EventKind.CLOSED)
    assert "自动结案" in closed.note and closed.public_note == "已结案"
    assert sweep(now=TUESDAY + timedelta(days=8)).closed == 0
    assert case.events.filter(kind=EventKind.CLOSED).count() == 1


def test_a_rated_case_is_left_alone(world):
    with at(2026, 11, 24, 10, 0):
        case = resident_case(world)
        case = actions.do_resolve_on_site(case, "已劝离摊贩", actor=world["worker"])
        case = actions.do_feedback(case, "已劝离", actor=world["worker"])
        case = actions.do_rate(case, "satisfied")
    assert sweep(now=TUESDAY + timedelta(days=30)).total == 0
    assert list(case.events.filter(kind=EventKind.CLOSED).values_list("actor_name", flat=True)) == [
        "系统"
    ]


def test_an_unanswered_supervision_order_tells_the_issuer_once(world):
    with at(2026, 11, 24, 10, 0):
        case = dispatched(world)
        order = actions.do_supervise(
            case, "请于两个工作日内签收并办理", 2, actor=world["county_operator"]
        )
        # One open order per agency: the town issues the second.
        answered = actions.do_supervise(case, "请报告进展", 2, actor=world["town_operator"])
    assert order.target_department == world["lead_department"]
    assert order.due_at == local(2026, 11, 26, 23, 59, 59, 999999)
    assert told("supervision") == {"handler": 2}
    with at(2026, 11, 25, 9, 0):
        actions.do_answer_supervision(answered, "已安排人员现场处理", actor=world["handler"])

    assert sweep(now=order.due_at - MINUTE).supervision_overdue == 0
    result = sweep(now=order.due_at + MINUTE)
    assert result.supervision_overdue == 1
    overdue = Notification.objects.filter(kind="overdue", title__contains=order.number)
    assert list(overdue.values_list("recipient__username", flat=True)) == ["county_operator"]
    assert sweep(now=order.due_at + 60 * MINUTE).supervision_overdue == 0
    assert overdue.count() == 1
    order.refresh_from_db()
    assert order.overdue_notified and order.status == "open"


# The command and the worker's job -------------------------------------------------------


def test_the_command_prints_what_it_did(world):
    with at(2026, 11, 24, 10, 0):
        resident_case(world)
    out = io.StringIO()
    call_command("sweep", "--now", "2026-11-26T09:00", stdout=out)
    assert out.getvalue().strip() == "临期 0，超期 1，恢复 0，自动结案 0，督办逾期 0"
    event = CaseEvent.objects.get(kind=EventKind.FLAGGED)
    assert event.at == local(2026, 11, 26, 9, 0)

    out = io.StringIO()
    call_command("sweep", "--now", "2026-11-26 09:05+08:00", stdout=out)
    assert out.getvalue().strip() == "临期 0，超期 0，恢复 0，自动结案 0，督办逾期 0"


def test_the_command_refuses_a_bad_time_and_changes_nothing(world):
    with at(2026, 11, 24, 10, 0):
        resident_case(world)
    with pytest.raises(CommandError, match="时间格式不正确"):
        call_command("sweep", "--now", "next tuesday", stdout=io.StringIO())
    assert not Case.objects.exclude(flag=Flag.NORMAL).exists()
    assert not Notification.objects.filter(kind="overdue").exists()


def test_the_worker_sweeps_every_minute(world):
    from gridgov.cases.tasks import sweep_cases

    assert settings.PERIODIC_JOBS["sweep_cases"] == {
        "task": "gridgov.cases.tasks.sweep_cases",
        "every": 60,
    }
    with at(2026, 11, 24, 10, 0):
        case = resident_case(world)
    with at(2026, 11, 26, 9, 0):
        result = sweep_cases.enqueue()
    assert result.return_value == {
        "yellow": 0,
        "red": 1,
        "resumed": 0,
        "closed": 0,
        "supervision_overdue": 0,
    }
    assert Case.objects.get(pk=case.pk).flag == Flag.RED
