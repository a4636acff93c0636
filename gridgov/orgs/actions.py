"""Granting and ending posts (岗位). A security administrator grants; nobody grants a
role to themselves; the three administrator roles are never combined (三员分立).
Changing an account's posts ends its sessions, so new rights apply at once."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.actions import end_sessions
from gridgov.areas.choices import AreaLevel, GridKind, GridStatus
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.core.querysets import recheck_scope
from gridgov.orgs.choices import (
    ADMIN_ROLES,
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
    ZONE_ROLES,
    AgencyKind,
    Role,
)
from gridgov.orgs.models import Post


def _check_place(role, *, area, grid, department, zone) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if role in AREA_ROLES:
        if area is None or area.level not in (AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWN):
            add("area", _("网格化服务管理机构的岗位设在市、县（区）或镇（街道）"))
    elif role in VILLAGE_ROLES:
        if area is None or area.level != AreaLevel.VILLAGE:
            add("area", _("%(role)s设在村（社区）") % {"role": Role(role).label})
        if role == Role.CHIEF and department is not None:
            add("department", _("总网格长由村（社区）基层组织负责人担任，不属于部门"))
    elif role in GRID_ROLES:
        if grid is None or grid.kind == GridKind.EXCLUSIVE:
            add("grid", _("%(role)s设在城市社区网格或农村网格") % {"role": Role(role).label})
    elif role in EXCLUSIVE_GRID_ROLES:
        if grid is None or grid.kind != GridKind.EXCLUSIVE:
            add("grid", _("专属网格长、网格员设在专属网格（第十三条）"))
    elif role in DEPARTMENT_ROLES:
        if department is None:
            add("department", _("联动部门岗位须选择部门"))
    elif role in ZONE_ROLES:
        if zone is None or zone.kind != AgencyKind.ZONE:
            add("zone", _("管理区岗位须选择管理区机构"))
    elif role not in ADMIN_ROLES:
        add("role", _("未知的岗位"))
    if grid is not None and grid.status != GridStatus.ACTIVE:
        add("grid", _("网格 %(code)s 已撤销") % {"code": grid.code})
    return errors


def _current_or_future(user, on: date):
    return Post.objects.filter(user=user).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))


@transaction.atomic
def do_grant_post(
    user,
    role: str,
    *,
    actor,
    area=None,
    grid=None,
    department=None,
    zone=None,
    start_date: date | None = None,
    end_date: date | None = None,
    note: str = "",
) -> Post:
    from gridgov.accounts.scope import has_role

    if actor is not None:
        if actor.pk == user.pk:
            raise NotPermitted(_("不能给自己授予岗位"))
        if not has_role(actor, Role.SECURITY_ADMIN):
            raise NotPermitted(_("只有安全管理员可以授予岗位"))
    if not user.is_active:
        raise IllegalTransition(_("账户已停用，不能授予岗位"))
    start = start_date or timezone.localdate()
    if role not in DEPARTMENT_ROLES and role != Role.GUIDE:
        # Only a guide sent down by a department carries a department beside its place.
        department = None
    errors = _check_place(role, area=area, grid=grid, department=department, zone=zone)
    if end_date is not None and end_date < start:
        errors.setdefault("end_date", []).append(_("离任日期不能早于任职日期"))
    held = list(_current_or_future(user, start).values_list("role", flat=True))
    if role in ADMIN_ROLES:
        others = sorted({r for r in held if r in ADMIN_ROLES and r != role})
        if others:
            errors.setdefault("role", []).append(
                _("三员分立：该账户已是%(held)s，不能再担任%(role)s")
                % {"held": "、".join(str(Role(r).label) for r in others), "role": Role(role).label}
            )
    same = _current_or_future(user, start).filter(
        role=role, area=area, grid=grid, department=department, zone=zone
    )
    if same.exists():
        errors.setdefault("role", []).append(_("该账户已在此处担任此岗位"))
    if errors:
        raise ValidationError(errors)
    post = Post.objects.create(
        user=user,
        role=role,
        area=area if (role in AREA_ROLES or role in VILLAGE_ROLES) else None,
        grid=grid if (role in GRID_ROLES or role in EXCLUSIVE_GRID_ROLES) else None,
        department=department,
        zone=zone if role in ZONE_ROLES else None,
        start_date=start,
        end_date=end_date,
        granted_by=actor,
        note=note[:200],
    )
    recheck_scope(post, actor)
    end_sessions(user)
    audit.record(
        AuditKind.ROLE_GRANTED,
        actor=actor,
        target=user,
        after={
            "role": role,
            "place": str(post.place),
            "start": str(start),
            "end": str(end_date or ""),
        },
    )
    return post


@transaction.atomic
def do_end_post(post: Post, *, actor, end_date: date | None = None, note: str = "") -> Post:
    from gridgov.accounts.scope import has_role

    if actor is not None:
        if actor.pk == post.user_id:
            raise NotPermitted(_("不能变更自己的岗位"))
        if not has_role(actor, Role.SECURITY_ADMIN):
            raise NotPermitted(_("只有安全管理员可以免除岗位"))
    locked = Post.objects.select_for_update().get(pk=post.pk)
    end = end_date or timezone.localdate()
    if locked.end_date is not None and locked.end_date <= end:
        raise IllegalTransition(_("该岗位已于 %(date)s 免除") % {"date": locked.end_date})
    if end < locked.start_date:
        raise ValidationError({"end_date": [_("离任日期不能早于任职日期")]})
    locked.end_date = end
    locked.ended_by = actor
    if note:
        locked.note = note[:200]
    locked.save(update_fields=["end_date", "ended_by", "note"])
    end_sessions(locked.user)
    audit.record(
        AuditKind.ROLE_REVOKED,
        actor=actor,
        target=locked.user,
        before={"role": locked.role, "place": str(locked.place)},
        after={"end": str(end)},
    )
    return locked
