"""Real threads against the real database (SQLite and PostgreSQL): repeated submissions
with one idempotency key make one case; two people acting on one case at once make one
transition, and the other gets a clear conflict."""

import random
import threading
import time
from collections import Counter

import pytest
from django.db import OperationalError, connection
from django.test import Client

from gridgov.accounts.actions import do_issue_token
from gridgov.cases import actions, events
from gridgov.cases.models import Case, CaseEvent, IdempotencyKey
from gridgov.cases.testing import MATTER_CODE, POINT_A1, case_world, resident_case

pytestmark = pytest.mark.django_db(transaction=True)

SUBMISSIONS = 100
REPEATED = 20
THREADS = 16


def wait_when_locked(execute, sql, params, many, context):
    """Wait for a lock as a real installation does, statement by statement.

    The SQLite test database is an in-memory, shared-cache one: a statement that needs a
    lock another connection holds fails at once with "database table is locked"
    instead of waiting for the busy timeout as on the file database of a real
    installation (WAL, BEGIN IMMEDIATE, ``timeout``). Retrying the statement is that wait.
    """
    deadline = time.monotonic() + 60
    while True:
        try:
            return execute(sql, params, many, context)
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.0005, 0.002))


def run_together(work, items, threads: int):
    """Run ``work(item)`` for every item on ``threads`` threads that start at once."""
    pending = list(items)
    lock = threading.Lock()
    start = threading.Barrier(threads)
    results, errors = [], []

    def worker():
        try:
            start.wait(30)
            with connection.execute_wrapper(wait_when_locked):
                while True:
                    with lock:
                        if not pending:
                            return
                        item = pending.pop(0)
                    results.append((item, work(item)))
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(120)
    assert not errors, errors
    return results


@pytest.fixture
def world(territory):
    return case_world(territory)


def test_concurrent_submissions_with_repeated_keys_make_one_case_per_key(world):
    _row, token = do_issue_token(world["worker"], name="并发测试", actor=world["worker"])
    bodies = {
        f"key-{n:03d}": {
            "matter_code": MATTER_CODE,
            "description": f"第 {n} 处占道经营",
            "lon": POINT_A1[0] + n * 0.00005,
            "lat": POINT_A1[1],
        }
        for n in range(SUBMISSIONS - REPEATED)
    }
    # Each repeated key follows its twin, so the two are in flight at the same time.
    requests = []
    for n, key in enumerate(bodies):
        requests.append(key)
        if n < REPEATED:
            requests.append(key)
    assert len(requests) == SUBMISSIONS

    def submit(key):
        client = Client(headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        response = client.post("/api/cases", bodies[key], content_type="application/json")
        return response.status_code, response.json().get("number")

    results = run_together(submit, requests, THREADS)

    assert len(results) == SUBMISSIONS
    assert Counter(status for _key, (status, _n) in results) == {
        201: SUBMISSIONS - REPEATED,
        200: REPEATED,
    }
    numbers_by_key = {}
    for key, (_status, number) in results:
        numbers_by_key.setdefault(key, set()).add(number)
    assert all(len(numbers) == 1 for numbers in numbers_by_key.values())
    assert Case.objects.count() == SUBMISSIONS - REPEATED
    assert IdempotencyKey.objects.count() == SUBMISSIONS - REPEATED
    assert {number for (number,) in numbers_by_key.values()} == set(
        Case.objects.values_list("number", flat=True)
    )
    # One number per case, none skipped, one "submitted" event each.
    sequence = sorted(int(n[-5:]) for n in Case.objects.values_list("number", flat=True))
    assert sequence == list(range(1, SUBMISSIONS - REPEATED + 1))
    assert CaseEvent.objects.filter(kind="submitted").count() == SUBMISSIONS - REPEATED


@pytest.fixture
def slow_events(monkeypatch):
    """Hold the first transition inside its transaction a little, so the second one
    surely arrives while the first still has the case."""
    real = events.record

    def record(case, kind, **kwargs):
        time.sleep(0.2)
        return real(case, kind, **kwargs)

    monkeypatch.setattr(events, "record", record)


def _race(world, moves):
    """Start the (user, verb, data) moves at once on one submitted case."""
    case = actions.do_escalate(resident_case(world), "需受理", actor=world["worker"])
    version = case.version

    def move(item):
        user, verb, data = item
        client = Client()
        client.force_login(world[user])
        response = client.post(
            f"/api/cases/{case.number}/{verb}",
            {**data, "version": version},
            content_type="application/json",
        )
        return response.status_code, response.json()

    return case, version, [result for _item, result in run_together(move, moves, len(moves))]


def test_two_operators_accepting_at_once_make_one_transition(world, slow_events):
    moves = [("town_operator", "accept", {}), ("town_leader", "accept", {})]
    case, version, results = _race(world, moves)
    assert sorted(status for status, _body in results) == [200, 409]
    lost = next(body for status, body in results if status == 409)
    assert lost["code"] == "conflict" and "刚刚被他人处理" in lost["detail"]
    case.refresh_from_db()
    assert case.status == "accepted" and case.version == version + 1
    assert case.events.filter(kind="accepted").count() == 1


def test_accept_and_reject_at_once_one_wins(world, slow_events):
    moves = [
        ("town_operator", "accept", {"note": "受理"}),
        ("town_leader", "reject", {"ground": "invalid", "reason": "已自行消除"}),
    ]
    case, version, results = _race(world, moves)
    assert sorted(status for status, _body in results) == [200, 409]
    winner = next(body for status, body in results if status == 200)
    lost = next(body for status, body in results if status == 409)
    assert lost["code"] == "conflict"
    case.refresh_from_db()
    assert case.status == winner["status"] and case.version == version + 1
    kinds = list(
        case.events.filter(kind__in=["accepted", "rejected"]).values_list("kind", flat=True)
    )
    assert kinds == ["accepted" if winner["status"] == "accepted" else "rejected"]
