"""Demo organisations (第四条): grid-management agencies of the city, counties and towns,
management zones, and linkage departments at city, county and (a few) town level.

Everything is made from the divisions in the database and the specs in ``config``; what
exists is kept (matched by area and name, agencies by area), so a rerun creates nothing.
"""

from dataclasses import dataclass

from django.db import transaction

from gridgov.areas.choices import AreaKind, AreaLevel
from gridgov.areas.models import Area
from gridgov.demo import config
from gridgov.orgs.choices import AgencyKind
from gridgov.orgs.models import Agency, Department, DepartmentLevel

_TOWN_SUFFIXES = ("街道", "镇", "乡")
_TOWN_LINKAGE_KINDS = (AreaKind.SUBDISTRICT, AreaKind.TOWN, AreaKind.TOWNSHIP)


@dataclass(frozen=True)
class PlannedDepartment:
    """A department the demo wants: where, what, and the key its demo usernames use."""

    area_code: str
    name: str
    short_name: str
    kind: str
    level: str
    key: str

    @property
    def username_stem(self) -> str:
        return f"d{self.area_code}-{self.key}"


@dataclass
class OrgsResult:
    agencies_created: int = 0
    zones_created: int = 0
    departments_created: int = 0

    @property
    def changed(self) -> int:
        return self.agencies_created + self.zones_created + self.departments_created


def ensure_orgs() -> OrgsResult:
    with transaction.atomic():
        return OrgsResult(
            agencies_created=ensure_agencies(),
            zones_created=ensure_zones(),
            departments_created=ensure_linkage_departments(),
        )


def agency_name(area: Area) -> str:
    return f"{area.name}{config.AGENCY_SUFFIX[area.level]}"


def ensure_agencies() -> int:
    """One agency per city, county and town (an existing one, whatever its name, stays)."""
    areas = Area.objects.filter(
        code__startswith=config.CITY_CODE,
        level__in=(AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWN),
    ).order_by("code")
    have = set(Agency.objects.filter(kind=AgencyKind.AGENCY).values_list("area_id", flat=True))
    new = [
        Agency(name=agency_name(area), kind=AgencyKind.AGENCY, area=area)
        for area in areas
        if area.pk not in have
    ]
    Agency.objects.bulk_create(new)
    return len(new)


def ensure_zones() -> int:
    created = 0
    areas = {
        a.code: a
        for a in Area.objects.filter(
            code__in={z.area for z in config.ZONES} | {c for z in config.ZONES for c in z.covers}
        )
    }
    for spec in config.ZONES:
        if spec.area not in areas:
            continue
        zone, was_created = Agency.objects.get_or_create(
            kind=AgencyKind.ZONE, name=spec.name, defaults={"area": areas[spec.area]}
        )
        if was_created:
            zone.covers.set([areas[c] for c in spec.covers if c in areas])
            created += 1
    return created


def short_town_name(name: str) -> str:
    for suffix in _TOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _short_county_name(name: str) -> str:
    return name[:-1] if name[-1:] in ("区", "县", "市") and len(name) > 2 else name


def planned_departments() -> list[PlannedDepartment]:
    """All departments of the demo, those the exclusive grids use first."""
    city = Area.objects.get(code=config.CITY_CODE)
    planned = [
        PlannedDepartment(city.code, s.name, s.short_name, s.kind, DepartmentLevel.CITY, s.key)
        for s in config.DEPARTMENTS
    ]
    fill = {"city": city.name}
    for spec in config.LINKAGE_DEPARTMENTS:
        planned.append(
            PlannedDepartment(
                city.code,
                spec.city.format(**fill),
                spec.city_short.format(**fill),
                spec.kind,
                DepartmentLevel.CITY,
                spec.key,
            )
        )
    counties = Area.objects.filter(parent=city, level=AreaLevel.COUNTY).order_by("code")
    for county in counties:
        names = {**fill, "county": county.name, "short": _short_county_name(county.name)}
        district = county.kind == AreaKind.DISTRICT
        for spec in config.LINKAGE_DEPARTMENTS:
            if spec.counties is not None and county.code not in spec.counties:
                continue
            name = spec.district if district and spec.district else spec.county
            short = spec.district_short if district and spec.district_short else spec.county_short
            planned.append(
                PlannedDepartment(
                    county.code,
                    name.format(**names),
                    short.format(**names),
                    spec.kind,
                    DepartmentLevel.COUNTY,
                    spec.key,
                )
            )
    for town in linkage_towns():
        names = {"town": short_town_name(town.name)}
        for spec in config.TOWN_LINKAGE_DEPARTMENTS:
            name = spec.name.format(**names)
            planned.append(
                PlannedDepartment(town.code, name, name, spec.kind, DepartmentLevel.TOWN, spec.key)
            )
    # The same department may be planned twice (a city bureau that is also the
    # responsible department of exclusive grids): keep the first.
    seen, unique = set(), []
    for p in planned:
        if (p.area_code, p.name) not in seen:
            seen.add((p.area_code, p.name))
            unique.append(p)
    return unique


def linkage_towns() -> list[Area]:
    towns = Area.objects.filter(level=AreaLevel.TOWN, code__startswith=config.CITY_CODE)
    return [
        t
        for t in towns.order_by("code")
        if (t.code[:6] in config.TOWN_LINKAGE_COUNTIES and t.kind in _TOWN_LINKAGE_KINDS)
        or t.code in config.TOWN_LINKAGE_TOWNS
    ]


def ensure_linkage_departments() -> int:
    planned = planned_departments()
    areas = dict(
        Area.objects.filter(code__in={p.area_code for p in planned}).values_list("code", "id")
    )
    have = set(Department.objects.values_list("area_id", "name"))
    new = [
        Department(
            area_id=areas[p.area_code],
            name=p.name,
            short_name=p.short_name[:30],
            kind=p.kind,
            level=p.level,
        )
        for p in planned
        if p.area_code in areas and (areas[p.area_code], p.name) not in have
    ]
    Department.objects.bulk_create(new)
    return len(new)


def department_ids() -> dict[tuple[str, str], int]:
    """(area code, name) → id of the city's departments."""
    rows = Department.objects.filter(area__code__startswith=config.CITY_CODE).values_list(
        "area__code", "name", "id"
    )
    return {(code, name): pk for code, name, pk in rows}
