"""The 事件 item of the navigation (with the inbox count), the dashboard's 我的待办 card,
and small display helpers of the case pages."""

from django import template

from gridgov.accounts.scope import current_posts
from gridgov.areas.models import Area
from gridgov.cases import inbox
from gridgov.cases.actions import may_edit_policy
from gridgov.cases.choices import Flag, Status, Urgency
from gridgov.core import clock
from gridgov.orgs.choices import ADMIN_ROLES, AREA_ROLES, EXCLUSIVE_GRID_ROLES, GRID_ROLES

register = template.Library()

CARD_CASES = 5
BADGE_CAP = 99

_URGENCY = {Urgency.NORMAL: "text-bg-light", Urgency.URGENT: "text-bg-warning"}
_URGENCY[Urgency.MAJOR] = "text-bg-danger"
_STATUS = {
    Status.CLOSED: "text-bg-secondary",
    Status.REJECTED: "text-bg-secondary",
    Status.MERGED: "text-bg-secondary",
    Status.POSTPONED: "text-bg-info",
    Status.PARKED: "text-bg-info",
    Status.FED_BACK: "text-bg-success",
    Status.RESOLVED: "text-bg-success",
}


def _inbox_count(request) -> int:
    cached = getattr(request, "_case_inbox_count", None)
    if cached is None:
        cached = inbox.count(request.user)
        request._case_inbox_count = cached
    return cached


def _is_case_staff(user) -> bool:
    if not user.is_authenticated:
        return False
    return any(post.role not in ADMIN_ROLES for post in current_posts(user))


@register.simple_tag(takes_context=True)
def cases_nav(context) -> dict:
    """Whether the user works with cases, and how many wait for them."""
    request = context.get("request")
    if request is None or not _is_case_staff(request.user):
        policy = request is not None and may_edit_policy(request.user)
        return {
            "show": False,
            "count": 0,
            "shown": "",
            "board": False,
            "new": False,
            "policy": policy,
        }
    roles = {post.role for post in current_posts(request.user)}
    count = _inbox_count(request)
    return {
        "show": True,
        "count": count,
        "shown": f"{BADGE_CAP}+" if count > BADGE_CAP else count,
        "board": bool(roles & set(AREA_ROLES)),
        "new": bool(roles & {*AREA_ROLES, *GRID_ROLES, *EXCLUSIVE_GRID_ROLES}),
        "policy": False,
    }


@register.inclusion_tag("cases/_inbox_card.html", takes_context=True)
def inbox_card(context) -> dict:
    """The dashboard card 我的待办: the count and the first few cases by due time."""
    request = context.get("request")
    if request is None or not inbox.holders_of(request.user):
        return {"show": False}
    cases = list(inbox.inbox(request.user).select_related("grid")[:CARD_CASES])
    return {"show": True, "count": _inbox_count(request), "cases": cases, "now": clock.now()}


@register.filter
def urgency_class(case) -> str:
    return _URGENCY.get(case.urgency, "text-bg-light")


@register.filter
def status_class(case) -> str:
    return _STATUS.get(case.status, "text-bg-primary")


@register.simple_tag
def due_state(case, now=None) -> str:
    """ "red" when overdue, "yellow" once the warning time has come, else ""."""
    now = now or clock.now()
    if case.due_at is None:
        return ""
    if case.flag == Flag.RED or case.due_at < now:
        return "red"
    if case.flag == Flag.YELLOW or (case.warn_at is not None and case.warn_at <= now):
        return "yellow"
    return ""


@register.filter
def place_of(case) -> str:
    """Where the case is: the address given, else the grid's name, else the name of the
    village or town it was placed in (``place_name``, set for a whole page at once by
    :func:`gridgov.cases.views.name_places`)."""
    if case.address:
        return case.address
    if case.grid_id:
        return case.grid.name
    name = getattr(case, "place_name", None)
    if name is None:  # a page that did not name its places: one look-up for this case
        name = Area.objects.filter(code=case.place_code).values_list("name", flat=True).first()
    return name or case.place_code


@register.filter
def wanted(bound_field) -> bool:
    """Whether the field is marked required (by the form, or as one the action needs)."""
    field = bound_field.field
    return bool(field.required or getattr(field, "wanted", False))
