"""Scope rules of the registry (imported from RegistryConfig.ready()).

- Grid staff (网格长、网格员, 专属网格长/员) see and collect the records of their grid;
  the 网格长 (``Role.LEADER`` / ``EXCLUSIVE_LEADER``) verifies them.
- Village posts and the agencies of village, town, county and city see their subtree;
  the town agency (镇/街道) verifies.
- Department staff see nothing, except persons carrying a care tag whose kind names
  their department's kind (司法行政 → 社区矫正 …), within the department's area.
- Administrators (三员) see no registry data at all.

Care tags are filtered by the blind index of the kinds a post may see (the kind is
stored encrypted, see models.CareTag).
"""

from django.db.models import Q

from gridgov.accounts.scope import home_codes, rule, subtree
from gridgov.areas.choices import AreaLevel
from gridgov.orgs.choices import (
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
    ZONE_ROLES,
    Role,
)

ON_GRID = (*GRID_ROLES, *EXCLUSIVE_GRID_ROLES)
VERIFYING_GRID_ROLES = (Role.LEADER, Role.EXCLUSIVE_LEADER)
# Who may see a full ID number or phone (audited, daily limit; masking.reveal).
UNMASKING_GRID_ROLES = (Role.LEADER, Role.FULLTIME, Role.EXCLUSIVE_LEADER)


def is_town_agency(post) -> bool:
    return post.role in AREA_ROLES and post.area.level == AreaLevel.TOWN


def _area_like(post) -> bool:
    return post.role in AREA_ROLES or post.role in VILLAGE_ROLES or post.role in ZONE_ROLES


def record_scope(post, action: str, field: str = "grid__code") -> Q | None:
    """The common rule of the registry's records (by their grid)."""
    if post.role in ON_GRID:
        mine = subtree(field, [post.grid.code])
        if action in {"view", "add", "change"}:
            return mine
        if action == "approve" and post.role in VERIFYING_GRID_ROLES:
            return mine
        if action == "unmask" and post.role in UNMASKING_GRID_ROLES:
            return mine
        if action == "export" and post.role in VERIFYING_GRID_ROLES:
            return mine
        return None
    if _area_like(post):
        codes = home_codes(post)
        if action == "view":
            return subtree(field, codes)
        if post.role in AREA_ROLES and action in {"unmask", "export"}:
            return subtree(field, codes)
        if action == "approve" and is_town_agency(post):
            return subtree(field, codes)
        return None
    return None


def village_scope(post, action: str) -> Q | None:
    """For rows that may have no grid (a road, a submission about one): by village too."""
    if post.role in ON_GRID:
        condition = record_scope(post, action)
        if condition is None:
            return None
        return condition | Q(grid__isnull=True, village__code=post.grid.code[:12])
    if _area_like(post):
        return record_scope(post, action, field="village__code")
    return None


# Care tags ------------------------------------------------------------------------------


def visible_tag_codes(post) -> list[str]:
    """The care-tag kinds a post may see (cached on the post for the request)."""
    cached = getattr(post, "_registry_tag_codes", None)
    if cached is not None:
        return cached
    from gridgov.registry.models import CareTagKind

    codes = []
    for kind in CareTagKind.objects.all():
        if post.role in DEPARTMENT_ROLES:
            if post.department.kind in (kind.department_kinds or []):
                codes.append(kind.code)
        elif (post.role in ON_GRID or _area_like(post)) and (
            not kind.sensitive or post.role in (kind.roles or [])
        ):
            codes.append(kind.code)
    post._registry_tag_codes = codes
    return codes


def tag_indexes(codes) -> list[str]:
    from gridgov.registry.models import CareTag

    field = CareTag._meta.get_field("kind_code")
    return [field.index_of(code) for code in codes]


def _department_persons(post) -> Q | None:
    from gridgov.registry.models import CareTag

    codes = visible_tag_codes(post)
    if not codes:
        return None
    tagged = CareTag.objects.filter(
        subtree("grid__code", home_codes(post)), kind_index__in=tag_indexes(codes)
    ).values("person_id")
    return Q(pk__in=tagged)


@rule("registry.CareTag")
def _care_tag(post, action):
    codes = visible_tag_codes(post)
    if not codes:
        return None
    if post.role in DEPARTMENT_ROLES:
        if action != "view":
            return None
        where = subtree("grid__code", home_codes(post))
    else:
        # Whoever may see a kind in their area may also record it there (grid staff and
        # the agencies); verification does not apply to tags, every change is audited.
        if action in {"add", "change", "delete"}:
            may_record = post.role in ON_GRID or post.role in AREA_ROLES
            base = record_scope(post, "view") if may_record else None
        else:
            base = record_scope(post, action)
        if base is None:
            return None
        where = base
    return where & Q(kind_index__in=tag_indexes(codes))


# Records -------------------------------------------------------------------------------


@rule("registry.Person")
def _person(post, action):
    if post.role in DEPARTMENT_ROLES:
        return _department_persons(post) if action == "view" else None
    return record_scope(post, action)


@rule("registry.Household")
def _household(post, action):
    return record_scope(post, action)


@rule("registry.House")
def _house(post, action):
    return record_scope(post, action)


@rule("registry.Rental")
def _rental(post, action):
    return record_scope(post, action)


@rule("registry.Unit")
def _unit(post, action):
    return record_scope(post, action)


@rule("registry.Vessel")
def _vessel(post, action):
    return record_scope(post, action)


@rule("registry.Address")
def _address(post, action):
    return village_scope(post, action)


@rule("registry.Submission")
def _submission(post, action):
    return village_scope(post, action)


@rule("registry.Conflict")
def _conflict(post, action):
    return village_scope(post, action)
