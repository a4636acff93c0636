"""The demo cases: every state, overdue and supervised ones, over the last year, made
through the actions by the demo's staff and personas; a second run adds nothing."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from gridgov.cases import demo
from gridgov.cases.choices import EventKind, Flag, Status
from gridgov.cases.inbox import inbox, supervision
from gridgov.cases.models import Case, CaseEvent, IdempotencyKey, SupervisionOrder
from gridgov.demo.build import run_demo
from gridgov.demo.plan import DemoPlan
from gridgov.notifications.models import Notification, SmsMessage

pytestmark = pytest.mark.django_db
CASES = len(demo.SHOWCASE) + 40


def demo_cases():
    return Case.objects.filter(
        pk__in=IdempotencyKey.objects.filter(owner=demo.OWNER).values("case_id")
    )


def test_a_small_demo_has_every_state_and_a_rerun_adds_nothing():
    # The coastal county only, sparse (the generator does the same work per grid).
    run_demo(counties=["450702"], plan=DemoPlan(scale=0.4))
    now = timezone.now()
    first = demo.ensure_cases(CASES)
    assert first.created == CASES and first.skipped == 0
    cases = demo_cases()
    assert cases.count() == CASES

    # Every state, and overdue (red) and supervised ones among the open work.
    assert set(cases.values_list("status", flat=True)) == set(Status.values)
    red = cases.filter(flag=Flag.RED)
    assert red.count() >= 5 and not red.exclude(due_at__lt=now).exists()
    orders = SupervisionOrder.objects.filter(case__in=cases)
    assert orders.count() >= 3
    assert orders.filter(status="answered").exists() and orders.filter(status="open").exists()
    assert CaseEvent.objects.filter(case__in=cases, kind=EventKind.URGED).exists()
    assert cases.filter(reopen_count=1).exists()
    assert cases.filter(assignments__extension_status="approved").exists()
    assert cases.filter(assignments__extension_status="pending").exists()
    assert cases.filter(assignments__role="assist").exists()
    assert cases.filter(assignments__status="returned").exists()

    # Over the last twelve months, each case numbered by the day it was reported, its
    # history in order and begun by its report.
    created = sorted(cases.values_list("created_at", flat=True))
    assert created[0] > now - timedelta(days=366) and created[-1] < now
    assert created[0] < now - timedelta(days=120)
    for case in cases.prefetch_related("events"):
        events = list(case.events.all())
        assert events[0].kind == EventKind.SUBMITTED and events[0].at == case.created_at
        assert [e.at for e in events] == sorted(e.at for e in events), case.number
        # The history is in the past; only the final sweep's 预警 is of today.
        assert max(e.at for e in events if e.kind != EventKind.FLAGGED) < now
        assert case.number[2:10] == f"{timezone.localtime(case.created_at):%Y%m%d}"
        if case.status == Status.CLOSED:
            assert case.closed_at and case.holder_grid_id is None
            assert Status.CLOSED in {e.to_status for e in events}

    # Done by the demo's people: the personas among them.
    actors = set(CaseEvent.objects.filter(case__in=cases).values_list("actor__username", flat=True))
    assert {
        "demo-gridworker",
        "demo-xiniujiao",
        "demo-qinnan",
        "demo-city",
        "demo-police",
    } <= actors
    assert any(name and name.startswith("g4507") for name in actors)  # grid staff
    assert any(name and name.startswith("a4507") for name in actors)  # agency staff

    # Work waiting in each persona's inbox; supervision orders for some of them; the
    # overdue notices of the final sweep in the site, and no text message to anybody.
    from gridgov.accounts.models import User

    personas = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    for name in ("demo-gridworker", "demo-xiniujiao", "demo-qinnan", "demo-city", "demo-police"):
        held = list(inbox(personas[name]))
        assert held, name
    for name in ("demo-xiniujiao", "demo-qinnan", "demo-police"):
        assert supervision(personas[name]).exists(), name
    assert Notification.objects.filter(kind="overdue", recipient__username__startswith="demo-")
    assert not SmsMessage.objects.exists()

    # A second run adds nothing.
    counts = (
        Case.objects.count(),
        CaseEvent.objects.count(),
        SupervisionOrder.objects.count(),
        Notification.objects.count(),
    )
    again = demo.ensure_cases(CASES)
    assert (again.created, again.existing) == (0, CASES)
    assert again.summary().startswith(f"演示事件 {CASES:,} 件（未作改动）：")
    assert (
        Case.objects.count(),
        CaseEvent.objects.count(),
        SupervisionOrder.objects.count(),
        Notification.objects.count(),
    ) == counts

    # Asking for more adds only the missing ones.
    more = demo.ensure_cases(CASES + 5)
    assert (more.created, more.existing) == (5, CASES)


def test_the_plans_are_drawn_from_the_seed_alone():
    import random

    def plans(seed):
        return [demo.draw_plan(i, random.Random(f"{seed}:case:{i}")) for i in range(40, 400)]

    assert plans(4507) == plans(4507)
    assert plans(4507) != plans(1)
    drawn = plans(4507)
    assert {p.target for p in drawn} == {status for status, _weight in demo.TARGETS}
    assert sum(p.red for p in drawn) > 10


def test_the_command_takes_a_number_of_cases(monkeypatch):
    seen = {}

    def fake(total, *, seed, log=None):
        seen.update(total=total, seed=seed)
        return demo.CasesResult()

    monkeypatch.setattr(demo, "ensure_cases", fake)
    monkeypatch.setattr("gridgov.demo.management.commands.demo.run_demo", _no_demo)
    monkeypatch.setattr("gridgov.registry.demo.ensure_population", _no_population)
    out = io.StringIO()
    call_command("demo", "--cases", "12", "--seed", "7", stdout=out)
    assert seen == {"total": 12, "seed": 7}
    assert "演示事件：未生成" in out.getvalue()


def _no_demo(**kwargs):
    from gridgov.areas.loading import LoadReport
    from gridgov.demo.build import DemoResult

    return DemoResult(divisions=LoadReport(), generated=LoadReport(), counts=_counts())


def _counts():
    return {
        "counties": 0,
        "towns": 0,
        "villages": 0,
        "generated_villages": 0,
        "urban": 0,
        "rural": 0,
        "exclusive": 0,
        "maritime": 0,
        "agencies": 0,
        "zones": 0,
        "departments": 0,
        "staff_posts": {},
        "staff": 0,
        "matters": 0,
        "temporary_matters": 0,
        "tasks": 0,
        "open_assignments": 0,
    }


def _no_population(**kwargs):
    class Nothing:
        changed = 0

        def summary(self):
            return ""

    return Nothing()
