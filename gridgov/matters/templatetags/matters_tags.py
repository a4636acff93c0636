from django import template

from gridgov.accounts.scope import current_posts
from gridgov.matters.choices import AttributeType, RectificationGround, StaffDuty
from gridgov.orgs.choices import AREA_ROLES, DEPARTMENT_ROLES, EXCLUSIVE_GRID_ROLES, GRID_ROLES

register = template.Library()


@register.filter
def duty_label(value):
    return StaffDuty(value).label if value in StaffDuty.values else value


@register.filter
def ground_label(value):
    return RectificationGround(value).label if value in RectificationGround.values else value


@register.filter
def attribute_type_label(value):
    return AttributeType(value).label if value in AttributeType.values else value


@register.simple_tag(takes_context=True)
def matters_nav(context) -> dict:
    """Which matter pages the signed-in user may use (for the navigation bar)."""
    user = context["request"].user
    roles = {p.role for p in current_posts(user)} if user.is_authenticated else set()
    staff = bool(roles & {*AREA_ROLES, *DEPARTMENT_ROLES})
    return {
        "applications": staff,
        "agency": bool(roles & set(AREA_ROLES)),
        "tasks": staff,
        "my_tasks": bool(roles & {*GRID_ROLES, *EXCLUSIVE_GRID_ROLES}),
    }


@register.filter
def work_kind_label(value):
    from gridgov.matters.choices import WorkKind

    return WorkKind(value).label if value in WorkKind.values else value
