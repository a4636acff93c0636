"""Writing the demo into the database.

Areas go in through ``gridgov.areas.loading`` (like any city's divisions) and grids
through ``gridgov.areas.actions`` (like any town's proposal approved by its county), so
the demo passes the same validation as real data. Organisations, staff and persona
accounts follow (``orgs.py``, ``people.py``). Each step skips what is already there, so
running the demo again changes nothing and an interrupted run resumes. A run that
changed anything leaves one audit event (导入数据) with what it created.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from gridgov.areas import actions
from gridgov.areas.choices import (
    AdjustmentKind,
    AdjustmentTrigger,
    AreaKind,
    AreaLevel,
    ExclusiveSubject,
    GridKind,
    GridStatus,
)
from gridgov.areas.loading import LoadReport, load_divisions
from gridgov.areas.models import Area, Grid
from gridgov.core import audit, keys
from gridgov.core.audit import AuditKind
from gridgov.core.geo import to_geojson
from gridgov.demo import config
from gridgov.demo.orgs import OrgsResult, ensure_orgs
from gridgov.demo.people import CreatedPersona, StaffResult, ensure_personas, ensure_staff
from gridgov.demo.plan import DemoPlan
from gridgov.matters.choices import TaskStatus
from gridgov.matters.models import Matter, Task, TaskAssignment
from gridgov.orgs.choices import AgencyKind
from gridgov.orgs.models import Agency, Department, DepartmentLevel, Post


class DemoConflict(Exception):
    """The database holds a demo made differently (another seed); the message says what to do."""


@dataclass
class DemoResult:
    divisions: LoadReport
    generated: LoadReport
    shapes_changed: int = 0
    departments_created: int = 0
    grids_created: int = 0
    towns_done: int = 0
    towns_skipped: int = 0
    orgs: OrgsResult = field(default_factory=OrgsResult)
    staff: StaffResult = field(default_factory=StaffResult)
    personas: list[CreatedPersona] = field(default_factory=list)
    # The personas' shared password, only in the run that created them.
    persona_password: str | None = None
    # Without keys the staff (whose phones are encrypted) and the audit event are skipped.
    staff_skipped: bool = False
    counts: dict = field(default_factory=dict)
    matters_created: int = 0
    tasks_created: int = 0
    matters_summary: str = ""

    @property
    def changed(self) -> int:
        return (
            self.divisions.changed
            + self.generated.changed
            + self.shapes_changed
            + self.departments_created
            + self.grids_created
            + self.orgs.changed
            + self.staff.users_created
            + self.staff.posts_created
            + len(self.personas)
            + self.matters_created
            + self.tasks_created
        )


def run_demo(
    *,
    seed: int = config.DEFAULT_SEED,
    scale: float = 1.0,
    counties: list[str] | None = None,
    log: Callable[[str], None] | None = None,
    plan: DemoPlan | None = None,
) -> DemoResult:
    """Load the Qinzhou demo. ``counties`` limits shapes and grids to some counties
    (all divisions are loaded regardless); a ready ``plan`` (instead of seed and scale)
    saves recomputing it. Both keep tests small."""
    log = log or (lambda message: None)
    plan = plan or DemoPlan(seed=seed, scale=scale)
    selected = sorted(counties) if counties else sorted(plan.county_local)
    unknown = set(selected) - set(plan.county_local)
    if unknown:
        raise DemoConflict(_("没有这些县（区）：%(codes)s") % {"codes": "、".join(sorted(unknown))})

    result = DemoResult(
        divisions=load_divisions(plan.division_rows + plan.real_village_rows, plan.boundaries),
        generated=load_divisions(plan.generated_village_rows, is_generated=True),
    )
    log(_("真实区划：%(s)s") % {"s": result.divisions.summary()})
    log(_("演示生成的村（社区）：%(s)s") % {"s": result.generated.summary()})
    result.shapes_changed = write_shapes(plan, selected)
    log(_("镇、村边界和海域：更新 %(n)d 处") % {"n": result.shapes_changed})
    departments, result.departments_created = ensure_departments()
    result.orgs = ensure_orgs()
    log(
        _("机构新建 %(a)d 个，管理区 %(z)d 个，联动部门 %(d)d 个")
        % {
            "a": result.orgs.agencies_created,
            "z": result.orgs.zones_created,
            "d": result.orgs.departments_created + result.departments_created,
        }
    )

    for county in selected:
        created = 0
        for town in Area.objects.filter(parent__code=county, level=AreaLevel.TOWN).order_by("code"):
            n = make_town_grids(plan, town, departments)
            if n is None:
                result.towns_skipped += 1
            else:
                result.towns_done += 1
                created += n
        result.grids_created += created
        log(
            _("%(county)s：新建网格 %(n)d 个")
            % {"county": Area.objects.get(code=county).name, "n": created}
        )
    if keys.configured():  # the command refuses to run without keys; tests may call this
        result.staff = ensure_staff(plan.seed, selected)
        log(
            _("演示人员：新建账户 %(u)d 个，岗位 %(p)d 个")
            % {"u": result.staff.users_created, "p": result.staff.posts_created}
        )
        result.personas, result.persona_password = ensure_personas()
        ensure_matter_demo(result, log)
        if result.changed:
            record_load(result, plan, selected)
    else:
        result.staff_skipped = True
    result.counts = demo_counts()
    return result


def ensure_matter_demo(result: DemoResult, log: Callable[[str], None]) -> None:
    """The city's matter list (第七条) and tasks in progress in a few towns."""
    from gridgov.matters import demo as matters_demo

    report = matters_demo.ensure_matters()
    tasks = matters_demo.ensure_tasks()
    result.matters_created = len(report.created)
    result.tasks_created = tasks.tasks_created
    result.matters_summary = matters_demo.summary(report, tasks)
    log(result.matters_summary)


def record_load(result: DemoResult, plan: DemoPlan, counties: list[str]) -> None:
    """One audit event for the whole load (not one per demo account)."""
    audit.record(
        AuditKind.IMPORT,
        target=audit.Target("demo.dataset", config.CITY_CODE, _("钦州市演示数据")),
        detail={
            "seed": plan.seed,
            "scale": plan.scale,
            "counties": counties,
            "areas_changed": result.divisions.changed + result.generated.changed,
            "shapes_changed": result.shapes_changed,
            "grids_created": result.grids_created,
            "agencies_created": result.orgs.agencies_created,
            "zones_created": result.orgs.zones_created,
            "departments_created": result.departments_created + result.orgs.departments_created,
            "users_created": result.staff.users_created,
            "posts_created": result.staff.posts_created,
            "personas_created": [p.username for p in result.personas],
            "matters_created": result.matters_created,
            "tasks_created": result.tasks_created,
        },
    )


def write_shapes(plan: DemoPlan, counties: list[str]) -> int:
    """Store the generated town and village boundaries and the sea; returns how many changed."""
    changed = 0
    with transaction.atomic():
        in_scope = Q()
        for county in counties:
            in_scope |= Q(code__startswith=county)
        areas = {
            a.code: a
            for a in Area.objects.filter(in_scope, level__in=(AreaLevel.TOWN, AreaLevel.VILLAGE))
        }
        mapped = _towns_with_grids(counties)
        for county in counties:
            for town_code in plan.town_shapes(county):
                town = areas[town_code]
                shape = plan.town_lonlat[town_code]
                if town.geometry != to_geojson(shape) and town_code in mapped:
                    raise DemoConflict(
                        _(
                            "%(town)s已有网格，但边界与这次（种子 %(seed)d）生成的不同："
                            "请在空数据库上运行，或使用上次的种子"
                        )
                        % {"town": town.name, "seed": plan.seed}
                    )
                changed += _store(town, shape)
                for village_code in plan.village_shapes(town_code):
                    changed += _store(areas[village_code], plan.village_lonlat[village_code])
        if config.SEA_COUNTY in counties:
            coast = Area.objects.get(code=config.SEA_COUNTY)
            sea = to_geojson(plan.sea_lonlat)
            if coast.sea_geometry != sea:
                coast.sea_geometry = sea
                coast.save(update_fields=["sea_geometry"])
                changed += 1
    return changed


def _towns_with_grids(counties: list[str]) -> set[str]:
    codes = Grid.objects.filter(
        Q(*[Q(code__startswith=c) for c in counties], _connector=Q.OR)
    ).values_list("code", flat=True)
    return {code[:9] for code in codes}


def _store(area: Area, shape) -> int:
    if area.geometry == to_geojson(shape):
        return 0
    area.set_geometry(shape)
    area.save(update_fields=["geometry", "min_lon", "min_lat", "max_lon", "max_lat"])
    return 1


def ensure_departments() -> tuple[dict[str, Department], int]:
    """The city departments responsible for the demo's exclusive grids."""
    city = Area.objects.get(code=config.CITY_CODE)
    departments, created = {}, 0
    for spec in config.DEPARTMENTS:
        department, was_created = Department.objects.get_or_create(
            area=city,
            name=spec.name,
            defaults={
                "short_name": spec.short_name,
                "kind": spec.kind,
                "level": DepartmentLevel.CITY,
            },
        )
        departments[spec.key] = department
        created += was_created
    return departments, created


def make_town_grids(plan: DemoPlan, town: Area, departments: dict[str, Department]) -> int | None:
    """The town's first grid division, proposed and approved through the actions.

    Returns the number of grids created, or None when the town already has grids.
    """
    if Grid.objects.filter(code__startswith=town.code).exists():
        return None
    items = territorial_items(plan, town.code) + exclusive_items(plan, town.code, departments)
    if not items:
        return 0
    with transaction.atomic():
        adjustment = actions.do_propose_adjustment(
            town=town,
            kind=AdjustmentKind.CREATE,
            trigger=AdjustmentTrigger.OTHER,
            reason=config.ADJUSTMENT_REASON,
            old_grid_codes=[],
            items=items,
            actor=None,
            source="demo",
        )
        created = actions.do_approve_adjustment(adjustment, actor=None)
    return len(created)


def territorial_items(plan: DemoPlan, town_code: str) -> list[actions.ProposedGrid]:
    kinds = {a.code: a.kind for a in plan.children(town_code)}
    items = []
    for village_code in sorted(plan.village_shapes(town_code)):
        kind = GridKind.URBAN if kinds[village_code] == AreaKind.COMMUNITY else GridKind.RURAL
        for shape in plan.grid_lonlat.get(village_code, []):
            items.append(
                actions.ProposedGrid(
                    village_code=village_code, kind=kind, geometry=to_geojson(shape)
                )
            )
    return items


def exclusive_items(
    plan: DemoPlan, town_code: str, departments: dict[str, Department]
) -> list[actions.ProposedGrid]:
    return [
        actions.ProposedGrid(
            village_code=planned.village_code,
            kind=GridKind.EXCLUSIVE,
            geometry=to_geojson(planned.shape),
            name=planned.spec.name,
            subject=planned.spec.subject,
            maritime_kind=planned.spec.maritime_kind,
            department_id=departments[planned.spec.department].pk,
        )
        for planned in plan.exclusive_grids(town_code)
    ]


def demo_counts() -> dict:
    """What the city holds now, for the summary."""
    city = config.CITY_CODE
    areas = Counter(
        dict(
            Area.objects.filter(code__startswith=city)
            .values_list("level")
            .annotate(n=Count("id"))
            .values_list("level", "n")
        )
    )
    grids = Counter(
        dict(
            Grid.objects.filter(code__startswith=city, status=GridStatus.ACTIVE)
            .values_list("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        )
    )
    return {
        "counties": areas[AreaLevel.COUNTY],
        "towns": areas[AreaLevel.TOWN],
        "villages": areas[AreaLevel.VILLAGE],
        "generated_villages": Area.objects.filter(
            code__startswith=city, level=AreaLevel.VILLAGE, is_generated=True
        ).count(),
        "urban": grids[GridKind.URBAN],
        "rural": grids[GridKind.RURAL],
        "exclusive": grids[GridKind.EXCLUSIVE],
        "maritime": Grid.objects.filter(
            code__startswith=city, status=GridStatus.ACTIVE, subject=ExclusiveSubject.MARITIME
        ).count(),
        "agencies": Agency.objects.filter(
            kind=AgencyKind.AGENCY, area__code__startswith=city
        ).count(),
        "zones": Agency.objects.filter(kind=AgencyKind.ZONE, area__code__startswith=city).count(),
        "departments": Department.objects.filter(area__code__startswith=city).count(),
        "staff_posts": dict(
            Post.objects.filter(note=config.DEMO_NOTE)
            .values_list("role")
            .annotate(n=Count("id"))
            .values_list("role", "n")
        ),
        "staff": Post.objects.filter(note=config.DEMO_NOTE).values("user").distinct().count(),
        "matters": Matter.objects.in_force().filter(area__code=city).count(),
        "temporary_matters": Matter.objects.in_force()
        .filter(area__code=city, is_temporary=True)
        .count(),
        "tasks": Task.objects.filter(assignments__grid__code__startswith=city).distinct().count(),
        "open_assignments": TaskAssignment.objects.filter(
            grid__code__startswith=city,
            status__in=(TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS),
        ).count(),
    }
