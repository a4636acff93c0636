"""Scope: which rows a user may act on, derived from their posts (岗位).

``Model.objects.restrict(user, action)`` asks :func:`scope_filter` for a ``Q`` built
from the rules below: each rule maps one post and one action to the rows that post
allows (or None). A user's scope is the union over their current posts. A grant on an
area covers its whole subtree (``code__startswith``); a grid post covers its grids; a
department post covers what belongs or was passed to that department.

A model joins by registering a rule with ``@rule("app_label.ModelName")``. A model
without a rule is reachable by nobody through restrict().
"""

from collections.abc import Callable

from django.db.models import Q

from gridgov.orgs.choices import (
    ADMIN_ROLES,
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
    ZONE_ROLES,
    Role,
)

ACTIONS = frozenset(
    {"view", "add", "change", "delete", "export", "unmask", "approve", "propose", "grant"}
)

Rule = Callable[["Post", str], Q | None]  # noqa: F821
RULES: dict[str, Rule] = {}
NOTHING = Q(pk__in=[])


def rule(label: str):
    """Register the scope rule of a model (``"areas.Grid"``)."""

    def register(func: Rule) -> Rule:
        RULES[label] = func
        return func

    return register


_POST_GEOMETRY = (
    "area__geometry",
    "area__sea_geometry",
    "grid__geometry",
    "department__area__geometry",
    "department__area__sea_geometry",
)


def current_posts(user) -> list:
    """The user's posts in force today, loaded once per user object (i.e. per request)."""
    cached = getattr(user, "_current_posts", None)
    if cached is None:
        from django.db.models import prefetch_related_objects

        from gridgov.orgs.models import Post

        # Asked on every request that touches data: no ordering, and the zones' areas
        # only for the few who hold a zone post.
        cached = list(
            Post.objects.current()
            .filter(user=user)
            .select_related("area", "grid", "department__area", "zone")
            # Boundaries are large (a county's polygon) and never needed for scope.
            .defer(*_POST_GEOMETRY)
            .order_by()
        )
        zone_posts = [post for post in cached if post.zone_id]
        if zone_posts:
            prefetch_related_objects(zone_posts, "zone__covers")
        user._current_posts = cached
    return cached


def scope_filter(user, model, action: str) -> Q | None:
    """A filter for ``model`` rows that ``user`` may ``action``, or None for nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    model_rule = RULES.get(model._meta.label)
    if model_rule is None:
        return None
    combined = None
    for post in current_posts(user):
        condition = model_rule(post, action)
        if condition is None:
            continue
        combined = condition if combined is None else combined | condition
    return combined


def can(user, action: str, obj) -> bool:
    """Whether ``user`` may ``action`` this object (the same rule as restrict())."""
    return type(obj).objects.filter(pk=obj.pk).restrict(user, action).exists()


def has_role(user, *roles) -> bool:
    return any(post.role in roles for post in current_posts(user))


# Where a post sits, as area codes ------------------------------------------------


def home_codes(post) -> list[str]:
    """The area codes whose subtrees a post covers."""
    if post.role in AREA_ROLES or post.role in VILLAGE_ROLES:
        return [post.area.code]
    if post.role in GRID_ROLES or post.role in EXCLUSIVE_GRID_ROLES:
        return [post.grid.code]
    if post.role in DEPARTMENT_ROLES:
        return [post.department.area.code]
    if post.role in ZONE_ROLES:
        # A zone reaches only the areas it is responsible for (none until they are set).
        return [area.code for area in post.zone.covers.all()]
    return []


def subtree(field: str, codes: list[str]) -> Q:
    condition = NOTHING
    for code in codes:
        condition |= Q(**{f"{field}__startswith": code})
    return condition


def ancestors(field: str, codes: list[str]) -> Q:
    """The areas above each code (city, county, town, village of a grid)."""
    prefixes = {code[:n] for code in codes for n in (4, 6, 9, 12) if n < len(code)}
    return Q(**{f"{field}__in": sorted(prefixes)}) if prefixes else NOTHING


def is_area_staff(post) -> bool:
    return post.role in AREA_ROLES or post.role in ZONE_ROLES


# Rules ------------------------------------------------------------------------------


@rule("areas.Area")
def _area(post, action):
    if action == "view":
        if post.role in ADMIN_ROLES:
            return Q()
        codes = home_codes(post)
        return subtree("code", codes) | ancestors("code", codes)
    if action == "propose" and post.role in AREA_ROLES and post.area.level == 3:
        # 第六条: the town (镇/街道) proposes changes to its grids.
        return Q(code=post.area.code)
    return None


@rule("areas.Grid")
def _grid(post, action):
    if action != "view":
        return None
    if post.role in ADMIN_ROLES:
        return Q()
    if post.role in DEPARTMENT_ROLES:
        # Exclusive grids are under dual management: the department sees its own.
        return Q(department=post.department_id) | subtree("code", home_codes(post))
    return subtree("code", home_codes(post))


@rule("areas.GridAdjustment")
def _adjustment(post, action):
    if not is_area_staff(post):
        return None
    codes = home_codes(post)
    if action == "view":
        return subtree("town__code", codes)
    if action == "approve" and post.role in AREA_ROLES and post.area.level == 2:
        # 第六条: the county agency approves its towns' adjustments.
        return subtree("town__code", codes)
    return None


@rule("orgs.Department")
def _department(post, action):
    if action == "view":
        return Q()
    return None


@rule("orgs.Agency")
def _agency(post, action):
    if action == "view":
        return Q()
    return None


@rule("orgs.Post")
def _post(post, action):
    if post.role == Role.SECURITY_ADMIN and action in {"view", "grant", "change"}:
        return Q()
    if post.role in (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN) and action == "view":
        return Q()
    if action == "view" and is_area_staff(post):
        # Agencies see who works in their area (for the staffing report).
        codes = home_codes(post)
        return subtree("area__code", codes) | subtree("grid__code", codes)
    return None


@rule("accounts.User")
def _user(post, action):
    if post.role == Role.SYSTEM_ADMIN and action in {"view", "add", "change"}:
        return Q()
    if post.role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN) and action == "view":
        return Q()
    return None


@rule("core.AuditEvent")
def _audit(post, action):
    if post.role == Role.AUDIT_ADMIN and action == "view":
        return Q()
    return None


# The matter list (事项清单) and tasks ----------------------------------------------------


@rule("matters.Matter")
def _matter(post, action):
    # The list is public (第七条); staff see every version, including past and future ones.
    return Q() if action == "view" else None


@rule("matters.MatterApplication")
def _matter_application(post, action):
    if post.role in DEPARTMENT_ROLES and action in {"view", "change"}:
        return Q(department=post.department_id)
    if post.role in AREA_ROLES:
        if action == "view":
            return subtree("area__code", home_codes(post))
        if action == "approve":
            # 第七条: the agency of the same level reviews.
            return Q(area=post.area_id)
    return None


@rule("matters.Rectification")
def _rectification(post, action):
    if post.role in DEPARTMENT_ROLES and action == "view":
        return Q(department=post.department_id)
    if post.role in AREA_ROLES:
        if action == "view":
            return subtree("area__code", home_codes(post))
        if action == "approve":
            return Q(area=post.area_id)
    return None


@rule("matters.Task")
def _task(post, action):
    if action != "view":
        return None
    if post.role in DEPARTMENT_ROLES:
        return Q(assigner_department=post.department_id)
    if post.role in GRID_ROLES or post.role in EXCLUSIVE_GRID_ROLES:
        from gridgov.matters.models import TaskAssignment

        return Q(pk__in=TaskAssignment.objects.filter(grid=post.grid_id).values("task_id"))
    if is_area_staff(post):
        # Tasks its agency gave, and tasks anyone gave to grids in its area (supervision).
        from gridgov.matters.models import TaskAssignment

        codes = home_codes(post)
        in_area = TaskAssignment.objects.filter(subtree("grid__code", codes)).values("task_id")
        return subtree("assigner_area__code", codes) | Q(pk__in=in_area)
    return None


@rule("matters.TaskAssignment")
def _task_assignment(post, action):
    if post.role in GRID_ROLES or post.role in EXCLUSIVE_GRID_ROLES:
        return Q(grid=post.grid_id) if action in {"view", "change"} else None
    if action != "view":
        return None
    if post.role in DEPARTMENT_ROLES:
        return Q(task__assigner_department=post.department_id)
    if is_area_staff(post):
        return subtree("grid__code", home_codes(post))
    return None
