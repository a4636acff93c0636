"""The staffing report (网格力量配备): where the posts the regulation requires are missing.

- every village or community (村、社区) has exactly one current 总网格长 (第十一条);
- every active grid has a current 网格长, an exclusive grid a 专属网格长 (第十一、十三条);
- every urban community grid has a current 专职网格员 (第十二条; rural grids "根据需要").

A report, not a block: posts are granted one at a time and in any order, so the rules
are never enforced on a grant; agency staff see the gaps of their area and close them.

Counted in the database: one aggregate query per kind of place, then one query per
page of a list, however many grids there are. Scope: the rows come from
``Area/Grid.objects.restrict(user, "view")``, narrowed to the areas of the viewer's
agency and zone posts (a person who is also a grid worker somewhere else does not get
that village in their agency's report).
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.scope import NOTHING, current_posts, has_role, home_codes, subtree
from gridgov.areas.choices import AreaLevel, GridKind, GridStatus
from gridgov.areas.models import Area, Grid
from gridgov.orgs.choices import AREA_ROLES, ZONE_ROLES, Role

# Who sees the report: the agencies of the city, counties and towns, and the zones.
STAFF_ROLES = (*AREA_ROLES, *ZONE_ROLES)


class Gap:
    """The lists of the report (the ``gap`` parameter of the page and the API)."""

    VILLAGES = "villages"
    LEADERS = "leaders"
    FULLTIME = "fulltime"

    CHOICES = (
        (VILLAGES, _("村（社区）总网格长")),
        (LEADERS, _("网格长")),
        (FULLTIME, _("城市社区网格专职网格员")),
    )


def may_view(user) -> bool:
    return has_role(user, *STAFF_ROLES)


def region_codes(user) -> list[str]:
    """The area codes of the viewer's agency and zone posts."""
    codes: set[str] = set()
    for post in current_posts(user):
        if post.role in STAFF_ROLES:
            codes.update(home_codes(post))
    # A code inside another one adds nothing.
    ordered = sorted(codes, key=len)
    return [c for i, c in enumerate(ordered) if not any(c.startswith(p) for p in ordered[:i])]


def _current(prefix: str, day) -> Q:
    """Posts (reached through ``prefix``) in force on ``day``."""
    return Q(**{f"{prefix}__start_date__lte": day}) & (
        Q(**{f"{prefix}__end_date__isnull": True}) | Q(**{f"{prefix}__end_date__gte": day})
    )


def _in_force(day) -> Q:
    return Q(valid_to__isnull=True) | Q(valid_to__gte=day)


def villages(user, *, within: str = "", on=None):
    """The viewer's villages in force (not annotated: see :func:`_chiefs`)."""
    day = on or timezone.localdate()
    codes = region_codes(user)
    qs = (
        Area.objects.restrict(user, "view")
        .filter(subtree("code", codes) if codes else NOTHING)
        .filter(_in_force(day), level=AreaLevel.VILLAGE)
    )
    return qs.filter(code__startswith=within) if within else qs


def grids(user, *, within: str = "", on=None):
    """The viewer's active grids (not annotated: see :func:`_staff_counts`)."""
    codes = region_codes(user)
    qs = (
        Grid.objects.restrict(user, "view")
        .filter(subtree("code", codes) if codes else NOTHING)
        .filter(status=GridStatus.ACTIVE)
    )
    return qs.filter(code__startswith=within) if within else qs


def _chiefs(day) -> dict:
    """``chiefs``: current 总网格长 of a village, counted as persons."""
    current = _current("posts", day)
    return {
        "chiefs": Count("posts__user", distinct=True, filter=current & Q(posts__role=Role.CHIEF))
    }


def _staff_counts(day) -> dict:
    """``leaders``: current 网格长 (专属网格长 for an exclusive grid); ``fulltime``:
    current 专职网格员 — of a grid, counted as persons."""
    current = _current("posts", day)
    leader_role = (Q(kind=GridKind.EXCLUSIVE) & Q(posts__role=Role.EXCLUSIVE_LEADER)) | (
        ~Q(kind=GridKind.EXCLUSIVE) & Q(posts__role=Role.LEADER)
    )
    return {
        "leaders": Count("posts__user", distinct=True, filter=current & leader_role),
        "fulltime": Count(
            "posts__user", distinct=True, filter=current & Q(posts__role=Role.FULLTIME)
        ),
    }


@dataclass(frozen=True)
class Summary:
    villages: int
    villages_without_chief: int
    villages_with_several_chiefs: int
    grids: int
    grids_without_leader: int
    urban_grids: int
    urban_grids_without_fulltime: int

    @property
    def villages_with_gap(self) -> int:
        return self.villages_without_chief + self.villages_with_several_chiefs

    def count_of(self, gap: str) -> int:
        return {
            Gap.VILLAGES: self.villages_with_gap,
            Gap.LEADERS: self.grids_without_leader,
            Gap.FULLTIME: self.urban_grids_without_fulltime,
        }[gap]


def summary(user, *, within: str = "", on=None) -> Summary:
    """The counts of the report: two queries."""
    day = on or timezone.localdate()
    # Grouped by the primary key only (not by every column, geometry included).
    v = (
        villages(user, within=within, on=day)
        .values("pk")
        .annotate(**_chiefs(day))
        .aggregate(
            total=Count("pk"),
            none=Count("pk", filter=Q(chiefs=0)),
            several=Count("pk", filter=Q(chiefs__gt=1)),
        )
    )
    g = (
        grids(user, within=within, on=day)
        .values("pk", "kind")
        .annotate(**_staff_counts(day))
        .aggregate(
            total=Count("pk"),
            no_leader=Count("pk", filter=Q(leaders=0)),
            urban=Count("pk", filter=Q(kind=GridKind.URBAN)),
            no_fulltime=Count("pk", filter=Q(kind=GridKind.URBAN, fulltime=0)),
        )
    )
    return Summary(
        villages=v["total"],
        villages_without_chief=v["none"],
        villages_with_several_chiefs=v["several"],
        grids=g["total"],
        grids_without_leader=g["no_leader"],
        urban_grids=g["urban"],
        urban_grids_without_fulltime=g["no_fulltime"],
    )


def gaps(user, gap: str, *, within: str = "", on=None):
    """The places of one list, ordered by code (a queryset: paginate it)."""
    day = on or timezone.localdate()
    if gap == Gap.VILLAGES:
        return (
            villages(user, within=within, on=day)
            .select_related("parent")
            .only("code", "name", "parent__code", "parent__name")
            .annotate(**_chiefs(day))
            .exclude(chiefs=1)
            .order_by("code")
        )
    qs = grids(user, within=within, on=day).select_related("village__parent")
    qs = qs.only(
        "code",
        "name",
        "kind",
        "subject",
        "village__code",
        "village__name",
        "village__parent__code",
        "village__parent__name",
    ).annotate(**_staff_counts(day))
    if gap == Gap.LEADERS:
        return qs.filter(leaders=0).order_by("code")
    if gap == Gap.FULLTIME:
        return qs.filter(kind=GridKind.URBAN, fulltime=0).order_by("code")
    raise ValueError(f"unknown gap {gap!r}")
