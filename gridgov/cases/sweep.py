"""The deadline sweeper (``gridgov sweep``; the worker runs it every minute).

Overdue is a query on indexed columns; what the sweeper does is change colours, remind,
escalate and close what waited too long. It may run on several machines at once: every
change is claimed with a conditional UPDATE that stamps the rows with this run's token,
so each row is changed — and each reminder sent — by exactly one run. Notifications
carry a dedupe key as a second guard.

- yellow (临期): ``warn_at`` passed → remind the holder;
- red (超期): ``due_at`` passed → remind the holder and tell the supervising agency
  (the one that dispatched, or the level above);
- 缓办 whose date has come → back to 办理中 at the agency;
- 已反馈 cases not rated within the rating period → closed;
- supervision orders not answered in time → tell the issuing agency (once).
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import events, notify
from gridgov.cases.choices import TIMED_STATES, EventKind, Flag, Status, SupervisionStatus
from gridgov.cases.models import Case, CaseEvent, SupervisionOrder
from gridgov.core import clock

BATCH = 500
TIMED = sorted(TIMED_STATES)


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


def _claim(candidates, token: str, **changes) -> list[int]:
    """Claim up to BATCH rows of ``candidates`` (a queryset still matching the
    precondition); returns the pks this run won."""
    won = []
    while True:
        pks = list(candidates.values_list("pk", flat=True)[:BATCH])
        if not pks:
            return won
        with transaction.atomic():
            candidates.filter(pk__in=pks).update(flag_claim=token, **changes)
            batch = list(
                Case.objects.filter(pk__in=pks, flag_claim=token).values_list("pk", flat=True)
            )
        won.extend(batch)
        if len(pks) < BATCH:
            return won


def _supervisors(case: Case) -> list:
    """Who hears of an overdue case besides its holder: the dispatching agency for a
    department's work, the level above for an agency's or a grid's."""
    from gridgov.cases.actions import escalation_target

    if case.holder_department_id and case.dispatching_area_id:
        return notify.area_users(case.dispatching_area)
    target = escalation_target(case)
    return notify.area_users(target) if target else []


def sweep(now: datetime | None = None) -> SweepResult:
    now = now or clock.now()
    token = uuid.uuid4().hex
    result = SweepResult()

    # 1. Yellow: most of the time used.
    yellow = Case.objects.filter(
        flag=Flag.NORMAL, warn_at__lte=now, due_at__gt=now, status__in=TIMED
    )
    won = _claim(yellow, token, flag=Flag.YELLOW)
    result.yellow = len(won)
    holders_cache: dict = {}
    for case in Case.objects.filter(pk__in=won).select_related("matter"):
        notify.due_soon(case, token)

    # 2. Red: overdue (also those that skipped yellow).
    red = Case.objects.filter(
        flag__in=[Flag.NORMAL, Flag.YELLOW], due_at__lte=now, status__in=TIMED
    )
    won = _claim(red, token, flag=Flag.RED)
    result.red = len(won)
    flagged = []
    for case in Case.objects.filter(pk__in=won).select_related(
        "matter", "holder_grid__village", "holder_area", "dispatching_area"
    ):
        key = (case.holder_grid_id, case.holder_area_id, case.holder_department_id)
        if key not in holders_cache:
            holders_cache[key] = _supervisors(case)
        notify.overdue(case, holders_cache[key])
        flagged.append(
            CaseEvent(
                case=case,
                kind=EventKind.FLAGGED,
                at=now,
                actor_name=_("系统"),
                from_status=case.status,
                to_status=case.status,
                note=_("已超过办理期限，已提醒承办方并报告上级"),
                data={"flag": "red", "stage": case.stage},
            )
        )
    CaseEvent.objects.bulk_create(flagged)

    # 3. 缓办 whose date has come.
    today = timezone.localdate(now)
    for case in Case.objects.filter(status=Status.POSTPONED, postponed_until__lte=today):
        if _resume(case, now):
            result.resumed += 1

    # 4. Feedback given, no rating within the rating period: closed.
    expired = Case.objects.filter(status=Status.FED_BACK, due_at__lte=now)
    for pk in list(expired.values_list("pk", flat=True)[:10_000]):
        if _close_unrated(pk, now):
            result.closed += 1

    # 5. Supervision orders overdue: tell the issuing agency once.
    for order in SupervisionOrder.objects.filter(
        status=SupervisionStatus.OPEN, due_at__lte=now, overdue_notified=False
    ).select_related("case", "issued_by_area"):
        won = SupervisionOrder.objects.filter(pk=order.pk, overdue_notified=False).update(
            overdue_notified=True
        )
        if won:
            notify.supervision_overdue(order)
            result.supervision_overdue += 1
    return result


def _resume(case: Case, now) -> bool:
    from gridgov.cases.actions import _stage_workdays, _start_stage

    with transaction.atomic():
        locked = Case.objects.select_for_update().filter(pk=case.pk, status=Status.POSTPONED)
        locked = locked.first()
        if locked is None:
            return False
        locked.status = Status.ACCEPTED
        locked.side_reason, locked.postponed_until = "", None
        from gridgov.core.workdays import add_workdays

        due = add_workdays(now, _stage_workdays(Status.ACCEPTED), locked.place_code)
        _start_stage(locked, due, now=now)
        locked.version = F("version") + 1
        locked.updated_at = now
        locked.save()
        locked.refresh_from_db()
        events.record(
            locked,
            EventKind.RESUMED,
            actor_name=_("系统"),
            from_status=Status.POSTPONED,
            note=_("缓办期满，自动恢复办理"),
        )
    notify.new_work(locked)
    return True


def _close_unrated(pk: int, now) -> bool:
    with transaction.atomic():
        won = Case.objects.filter(pk=pk, status=Status.FED_BACK, due_at__lte=now).update(
            status=Status.CLOSED,
            closed_at=now,
            due_at=None,
            warn_at=None,
            holder_grid=None,
            holder_area=None,
            holder_department=None,
            stage=F("stage") + 1,
            version=F("version") + 1,
            updated_at=now,
        )
        if not won:
            return False
        case = Case.objects.get(pk=pk)
        events.record(
            case,
            EventKind.CLOSED,
            actor_name=_("系统"),
            from_status=Status.FED_BACK,
            note=_("评价期内未评价，自动结案"),
            public_note=_("已结案"),
        )
    return True
