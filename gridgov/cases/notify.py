"""Who is told what about a case (in-app notifications; SMS to residents and for urgent
work), through :mod:`gridgov.notifications`. Called after the action's transaction."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.translation import gettext as _

from gridgov.orgs.choices import (
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
)

# The demo generator (gridgov/cases/demo.py) writes a year of back-dated history through
# the actions: nobody is told of it ("all"), and its made-up phone numbers never get a
# text ("sms": in-app notifications only).
_quiet: ContextVar[str] = ContextVar("gridgov_cases_quiet", default="")


@contextmanager
def quiet(level: str = "all"):
    """Within the block, tell nobody (``"all"``) or send no SMS (``"sms"``)."""
    token = _quiet.set(level)
    try:
        yield
    finally:
        _quiet.reset(token)


def _service():
    from gridgov.notifications import actions

    return actions


def link(case) -> str:
    from django.urls import reverse

    return reverse("cases:detail", args=[case.number])


def holder_users(case) -> list:
    """The people who hold the case now (everyone with a post at the holder), as user ids
    (what ``notify`` takes; no account rows to load and decrypt)."""
    from gridgov.orgs.models import Post

    if _quiet.get() == "all":
        return []  # nobody is told: spare the query

    posts = Post.objects.current()
    if case.holder_grid_id:
        posts = posts.filter(
            grid=case.holder_grid_id, role__in=[*GRID_ROLES, *EXCLUSIVE_GRID_ROLES]
        )
    elif case.holder_area_id:
        posts = posts.filter(area=case.holder_area_id, role__in=[*AREA_ROLES, *VILLAGE_ROLES])
    elif case.holder_department_id:
        posts = posts.filter(department=case.holder_department_id, role__in=DEPARTMENT_ROLES)
    else:
        return []
    return sorted(set(posts.values_list("user_id", flat=True)))


def area_users(area) -> list:
    from gridgov.orgs.models import Post

    posts = Post.objects.current().filter(area=area, role__in=[*AREA_ROLES, *VILLAGE_ROLES])
    return sorted(set(posts.values_list("user_id", flat=True)))


def department_users(department) -> list:
    from gridgov.orgs.models import Post

    posts = Post.objects.current().filter(department=department, role__in=DEPARTMENT_ROLES)
    return sorted(set(posts.values_list("user_id", flat=True)))


def _send(users, *, kind, title, case, body="", dedupe_key="", sms=False):
    level = _quiet.get()
    if not users or level == "all":
        return 0
    sms = sms and not level
    return _service().notify(
        users,
        kind=kind,
        title=title,
        body=body,
        link=link(case),
        target=case,
        dedupe_key=dedupe_key,
        sms=sms,
    )


def new_work(case, users=None) -> None:
    """The case arrived in somebody's inbox (``users``: its holders, if already known)."""
    urgent = case.urgency != "normal"
    _send(
        holder_users(case) if users is None else users,
        kind="new_work",
        title=_("待办事件 %(n)s：%(m)s") % {"n": case.number, "m": case.matter.name},
        case=case,
        dedupe_key=f"case:{case.number}:stage:{case.stage}:new",
        sms=urgent,
    )


def department(case, department, title) -> None:
    _send(department_users(department), kind="new_work", title=title, case=case)


def agency(case, area, title) -> None:
    _send(area_users(area), kind="new_work", title=title, case=case)


def urge(case, note: str) -> None:
    _send(
        holder_users(case),
        kind="urge",
        title=_("催办：事件 %(n)s 请尽快办理") % {"n": case.number},
        body=note,
        case=case,
        sms=True,
    )


def due_soon(case, claim: str) -> None:
    _send(
        holder_users(case),
        kind="due_soon",
        title=_("临期提醒：事件 %(n)s 即将到期") % {"n": case.number},
        case=case,
        dedupe_key=f"case:{case.number}:stage:{case.stage}:yellow",
    )


def overdue(case, supervisors) -> None:
    key = f"case:{case.number}:stage:{case.stage}:red"
    title = _("超期：事件 %(n)s 已超过办理期限") % {"n": case.number}
    _send(holder_users(case), kind="overdue", title=title, case=case, dedupe_key=key, sms=True)
    _send(supervisors, kind="overdue", title=title, case=case, dedupe_key=key)


def reminders(cases, flag: str, supervisors_of=None, holders: dict | None = None) -> int:
    """The sweeper's reminders for a batch of cases, in a few queries: 临期 (``flag``
    "yellow") to the holders, or 超期 ("red") to the holders (also by SMS) and to
    ``supervisors_of(case)``. The same messages and keys as :func:`due_soon` and
    :func:`overdue`, once per case and stage. ``holders`` caches who holds what across
    the batches of one sweep."""
    if _quiet.get() == "all":
        return 0
    holders = {} if holders is None else holders
    sms = not _quiet.get()
    messages = []
    for case in cases:
        held_by = (case.holder_grid_id, case.holder_area_id, case.holder_department_id)
        if held_by not in holders:
            holders[held_by] = holder_users(case)
        if flag == "yellow":
            title = _("临期提醒：事件 %(n)s 即将到期") % {"n": case.number}
        else:
            title = _("超期：事件 %(n)s 已超过办理期限") % {"n": case.number}
        common = {
            "title": title,
            "link": link(case),
            "target": case,
            "dedupe_key": f"case:{case.number}:stage:{case.stage}:{flag}",
        }
        if flag == "yellow":
            messages.append({**common, "recipients": holders[held_by], "kind": "due_soon"})
        else:
            messages.append(
                {**common, "recipients": holders[held_by], "kind": "overdue", "sms": sms}
            )
            messages.append({**common, "recipients": supervisors_of(case), "kind": "overdue"})
    return _service().notify_many(messages)


def supervision(order) -> None:
    case = order.case
    if order.target_department_id:
        users = department_users(order.target_department)
    elif order.target_area_id:
        users = area_users(order.target_area)
    else:
        users = holder_users(case)
    _send(
        users,
        kind="supervision",
        title=_("督办单 %(o)s：事件 %(n)s") % {"o": order.number, "n": case.number},
        body=order.demand,
        case=case,
        dedupe_key=f"supervision:{order.number}",
        sms=True,
    )


def supervision_overdue(order) -> None:
    _send(
        area_users(order.issued_by_area),
        kind="overdue",
        title=_("督办单 %(o)s 逾期未回复") % {"o": order.number},
        case=order.case,
        dedupe_key=f"supervision:{order.number}:overdue",
    )


def supervision_answered(order) -> None:
    _send(
        area_users(order.issued_by_area),
        kind="supervision",
        title=_("督办单 %(o)s 已回复") % {"o": order.number},
        body=order.answer,
        case=order.case,
    )


def requester(case, text: str) -> None:
    """The result, by SMS to the resident who left a number (no personal data in it)."""
    if case.anonymous or not case.reporter_phone or _quiet.get():
        return
    message = _("您反映的问题（查询码 %(code)s）已办理：%(text)s。请凭查询码在网上评价。") % {
        "code": case.tracking_code,
        "text": text[:60],
    }
    _service().send_sms(
        case.reporter_phone, message, dedupe_key=f"case:{case.number}:feedback:{case.stage}"
    )
