"""Each person's inbox (待办): the cases they hold now, by due time, and the other work
waiting for them (assisting a case, approving an extension, answering a supervision order).
"""

from dataclasses import dataclass

from django.db.models import Q

from gridgov.accounts.scope import current_posts
from gridgov.cases.choices import OPEN_STATES, AssignmentRole, AssignmentStatus, Status
from gridgov.cases.models import Case, CaseAssignment, SupervisionOrder
from gridgov.orgs.choices import (
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
)

# Waiting for somebody else (the requester's rating) or paused: not in the inbox.
ACTIONABLE = sorted(OPEN_STATES - {Status.FED_BACK, Status.POSTPONED, Status.PARKED})


@dataclass
class Holders:
    grids: list
    areas: list
    departments: list

    def __bool__(self):
        return bool(self.grids or self.areas or self.departments)


def holders_of(user) -> Holders:
    posts = current_posts(user) if user and user.is_authenticated else []
    grids = sorted({p.grid_id for p in posts if p.role in (*GRID_ROLES, *EXCLUSIVE_GRID_ROLES)})
    areas = sorted({p.area_id for p in posts if p.role in (*AREA_ROLES, *VILLAGE_ROLES)})
    departments = sorted({p.department_id for p in posts if p.role in DEPARTMENT_ROLES})
    return Holders(grids, areas, departments)


def _held(h: Holders) -> Q:
    condition = Q(pk__in=[])
    if h.grids:
        condition |= Q(holder_grid__in=h.grids)
    if h.areas:
        condition |= Q(holder_area__in=h.areas)
    if h.departments:
        condition |= Q(holder_department__in=h.departments)
    return condition


def inbox(user):
    """The cases ``user`` must act on now, soonest deadline first."""
    h = holders_of(user)
    if not h:
        return Case.objects.none()
    return (
        Case.objects.filter(_held(h), status__in=ACTIONABLE)
        .select_related("matter", "holder_area", "holder_department", "holder_grid")
        .order_by("due_at", "pk")
    )


def paused(user):
    """缓办 and 挂账 cases held by the user's agency."""
    h = holders_of(user)
    if not h:
        return Case.objects.none()
    return Case.objects.filter(_held(h), status__in=[Status.POSTPONED, Status.PARKED]).order_by(
        "postponed_until", "pk"
    )


def assisting(user):
    """Cases the user's department assists and has not answered yet."""
    h = holders_of(user)
    if not h.departments:
        return CaseAssignment.objects.none()
    return (
        CaseAssignment.objects.filter(
            department__in=h.departments,
            active=True,
            role=AssignmentRole.ASSIST,
            status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED],
        )
        .select_related("case", "case__matter", "department")
        .order_by("reply_due_at")
    )


def extensions(user):
    """Extension requests waiting for the user's agency."""
    h = holders_of(user)
    if not h.areas:
        return CaseAssignment.objects.none()
    return (
        CaseAssignment.objects.filter(
            case__dispatching_area__in=h.areas,
            case__status=Status.HANDLING,
            active=True,
            role=AssignmentRole.LEAD,
            extension_status="pending",
        )
        .select_related("case", "department")
        .order_by("extension_until")
    )


def supervision(user):
    """Open supervision orders addressed to the user's grid, agency or department."""
    h = holders_of(user)
    if not h:
        return SupervisionOrder.objects.none()
    condition = Q(pk__in=[])
    if h.grids:
        condition |= Q(target_grid__in=h.grids)
    if h.areas:
        condition |= Q(target_area__in=h.areas)
    if h.departments:
        condition |= Q(target_department__in=h.departments)
    return (
        SupervisionOrder.objects.filter(condition, status="open")
        .select_related("case")
        .order_by("due_at")
    )


def count(user) -> int:
    """The number shown in the navigation."""
    h = holders_of(user)
    if not h:
        return 0
    total = inbox(user).count() + supervision(user).count()
    if h.departments:
        total += assisting(user).count()
    if h.areas:
        total += extensions(user).count()
    return total
