"""Who sees which cases (registered with the scope rules of gridgov.accounts.scope).

Agency staff see the cases located in their area's subtree; grid staff those in their
grids and those handed down to them; a department the cases ever passed to it. The
administrators see none. Whether someone may *act* on a case is decided by who holds it
(:func:`gridgov.cases.actions.holder_post`).
"""

from django.db.models import Q

from gridgov.accounts.scope import home_codes, is_area_staff, rule, subtree
from gridgov.orgs.choices import (
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
)


def case_condition(post, prefix: str = "") -> Q | None:
    """The cases a post may see, with field names under ``prefix`` (e.g. ``"case__"``)."""
    if post.role in GRID_ROLES or post.role in EXCLUSIVE_GRID_ROLES:
        return subtree(f"{prefix}place_code", [post.grid.code]) | Q(
            **{f"{prefix}holder_grid": post.grid_id}
        )
    if is_area_staff(post) or post.role in VILLAGE_ROLES:
        return subtree(f"{prefix}place_code", home_codes(post))
    if post.role in DEPARTMENT_ROLES:
        from gridgov.cases.models import CaseAssignment

        passed = CaseAssignment.objects.filter(department=post.department_id).values("case_id")
        return Q(**{f"{prefix}pk__in": passed}) if not prefix else Q(case_id__in=passed)
    return None


@rule("cases.Case")
def _case(post, action):
    if action in {"view", "change"}:
        return case_condition(post)
    if action == "unmask" and post.role in AREA_ROLES:
        # The reporter's full contact: the agency holding the case or that dispatched it.
        return Q(holder_area=post.area_id) | Q(dispatching_area=post.area_id)
    return None


@rule("cases.CaseEvent")
def _case_event(post, action):
    return case_condition(post, "case__") if action == "view" else None


@rule("cases.CaseAssignment")
def _case_assignment(post, action):
    if action != "view":
        return None
    if post.role in DEPARTMENT_ROLES:
        return Q(department=post.department_id)
    return case_condition(post, "case__")


@rule("cases.SupervisionOrder")
def _supervision(post, action):
    if action != "view":
        return None
    if post.role in DEPARTMENT_ROLES:
        return Q(target_department=post.department_id)
    return case_condition(post, "case__")
