"""The deadline sweeper (``gridgov sweep``; the worker runs it every minute).

Overdue is a query on indexed columns; what the sweeper does is change colours, remind,
escalate and close what waited too long. It may run on several machines at once:

- every colour change is *claimed* with a conditional UPDATE (the precondition — still
  normal, warning time or deadline passed, still in a timed state — is part of the
  UPDATE's WHERE) that stamps the rows with this run's token; a row is changed by the one
  run whose UPDATE matched it, and only that run notifies;
- the claim, the timeline event and the notifications of a batch are written in one
  transaction: a run that dies half-way leaves nothing claimed and unannounced (the next
  run does it), and a run that commits has told everybody;
- notifications carry a dedupe key per case and stage as a second guard.

What it does:

- yellow (临期): ``warn_at`` passed → remind the holder;
- red (超期): ``due_at`` passed → remind the holder (also by SMS), tell the supervising
  agency (the one that dispatched, or the level above), and write a 预警 event;
- 缓办 whose date has come → back to 办理中 at the agency;
- 已反馈 cases not rated within the rating period → closed;
- supervision orders not answered in time → tell the issuing agency (once).

A new stage (a new holder, a signature, an approved extension…) starts with the colour
back at normal (``actions._start_stage``), so each stage is reminded once.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import actions, notify
from gridgov.cases.choices import TIMED_STATES, EventKind, Flag, Status, SupervisionStatus
from gridgov.cases.models import Case, CaseEvent, SupervisionOrder
from gridgov.core import clock

BATCH = 500
TIMED = sorted(TIMED_STATES)
# Per run, at most this many automatic closings and resumptions (the rest next minute).
MAX_SINGLE_STEPS = 10_000


@dataclass
class SweepResult:
    yellow: int = 0
    red: int = 0
    resumed: int = 0
    closed: int = 0
    supervision_overdue: int = 0
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "yellow": self.yellow,
            "red": self.red,
            "resumed": self.resumed,
            "closed": self.closed,
            "supervision_overdue": self.supervision_overdue,
        }

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())

    def summary(self) -> str:
        """One line for the command and the log: 临期 3，超期 1，…"""
        return (
            _(
                "临期 %(yellow)d，超期 %(red)d，恢复 %(resumed)d，自动结案 %(closed)d，"
                "督办逾期 %(supervision_overdue)d"
            )
            % self.as_dict()
        )


def _candidates(candidates) -> list[int]:
    """The next batch of rows that still match the precondition (by pk, so that two runs
    see the same rows in the same order)."""
    return list(candidates.order_by("pk").values_list("pk", flat=True)[:BATCH])


def _claim(candidates, token: str, handle, **changes) -> int:
    """Claim the rows of ``candidates`` batch by batch; ``handle(cases)`` is called with
    the cases this run won, inside the claiming transaction. Returns how many it won."""
    total = 0
    while True:
        pks = _candidates(candidates)
        if not pks:
            return total
        total += _claim_batch(candidates, pks, token, handle, changes)
        if len(pks) < BATCH:
            return total


def _claim_batch(candidates, pks: list[int], token: str, handle, changes: dict) -> int:
    with transaction.atomic():
        # The precondition is re-checked by the UPDATE itself: rows another run changed
        # since they were read no longer match, and keep that run's token.
        candidates.filter(pk__in=pks).update(flag_claim=token, **changes)
        won = list(
            Case.objects.filter(pk__in=pks, flag_claim=token)
            .select_related("matter", "holder_grid__village", "holder_area", "dispatching_area")
            .order_by("pk")
        )
        if won:
            handle(won)
    return len(won)


def _supervisors(case: Case) -> list:
    """Who hears of an overdue case besides its holder: the dispatching agency for a
    department's work, the level above for an agency's or a grid's."""
    from gridgov.cases.actions import escalation_target

    if case.holder_department_id and case.dispatching_area_id:
        return notify.area_users(case.dispatching_area)
    target = escalation_target(case)
    return notify.area_users(target) if target else []


def sweep(now: datetime | None = None) -> SweepResult:
    """One pass over everything due at ``now`` (default: the current time). Passing
    ``now`` also sets the clock the actions see, so the events carry that time."""
    if now is None:
        return _sweep(clock.now())
    with clock.at(now):
        return _sweep(now)


def _sweep(now: datetime) -> SweepResult:
    run = uuid.uuid4().hex[:30]
    result = SweepResult()

    # Who holds what, and who supervises them: asked once per holder in a run.
    holders: dict = {}
    supervisors: dict = {}

    # 1. Yellow: most of the time used.
    def remind(cases):
        notify.reminders(cases, "yellow", holders=holders)

    yellow = Case.objects.filter(
        flag=Flag.NORMAL, warn_at__lte=now, due_at__gt=now, status__in=TIMED
    )
    result.yellow = _claim(yellow, f"{run}:y", remind, flag=Flag.YELLOW)

    # 2. Red: overdue (also those that skipped yellow).
    def supervisors_of(case):
        key = (
            case.holder_grid_id,
            case.holder_area_id,
            case.holder_department_id,
            case.dispatching_area_id,
        )
        if key not in supervisors:
            supervisors[key] = _supervisors(case)
        return supervisors[key]

    def report(cases):
        notify.reminders(cases, "red", supervisors_of, holders=holders)
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=case,
                    kind=EventKind.FLAGGED,
                    at=now,
                    actor_name=_("系统"),
                    from_status=case.status,
                    to_status=case.status,
                    note=_("已超过办理期限，已提醒承办方并报告上级"),
                    data={"flag": Flag.RED, "stage": case.stage},
                )
                for case in cases
            ]
        )

    red = Case.objects.filter(
        flag__in=[Flag.NORMAL, Flag.YELLOW], due_at__lte=now, status__in=TIMED
    )
    result.red = _claim(red, f"{run}:r", report, flag=Flag.RED)

    # 3. 缓办 whose date has come.
    today = timezone.localdate(now)
    due_back = Case.objects.filter(status=Status.POSTPONED, postponed_until__lte=today)
    for pk in list(due_back.order_by("pk").values_list("pk", flat=True)[:MAX_SINGLE_STEPS]):
        if actions.do_resume_postponed(pk, now):
            result.resumed += 1

    # 4. Feedback given, no rating within the rating period: closed.
    expired = Case.objects.filter(status=Status.FED_BACK, due_at__lte=now)
    for pk in list(expired.order_by("pk").values_list("pk", flat=True)[:MAX_SINGLE_STEPS]):
        if actions.do_close_unrated(pk, now):
            result.closed += 1

    # 5. Supervision orders overdue: tell the issuing agency once.
    overdue_orders = SupervisionOrder.objects.filter(
        status=SupervisionStatus.OPEN, due_at__lte=now, overdue_notified=False
    )
    for pk in list(overdue_orders.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            won = SupervisionOrder.objects.filter(
                pk=pk, status=SupervisionStatus.OPEN, overdue_notified=False
            ).update(overdue_notified=True)
            if won:
                order = SupervisionOrder.objects.select_related("case", "issued_by_area").get(pk=pk)
                notify.supervision_overdue(order)
                result.supervision_overdue += 1
    return result
