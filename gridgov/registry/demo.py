"""The demo's synthetic population (called by ``gridgov demo``; docs/registry-import.md).

Everything is made up and reproducible from the seed: standard addresses and houses in
every territorial grid of the chosen counties, households of plausible names (common
Han surnames and those of 钦州's Zhuang-speaking villages: 黄, 韦, 覃, 莫, 蒙, 陆, 农 …),
mostly 汉族 and 壮族, with relations, phones and ID numbers; renters (流动人口) in rental
houses with their landlords; care tags where they belong (独居老人 among the old living
alone, 留守儿童 among children living with grandparents, …); shops, schools and clinics
with unified social credit codes.

ID numbers are valid (GB 11643 check digit, via ``identity.make_resident_id``) and
fictitious: the real area codes of 钦州's counties (450702 钦南区, 450703 钦北区, 450721
灵山县, 450722 浦北县; renters also from elsewhere in Guangxi), a plausible birth date and
a sequence number whose parity matches the gender, partitioned by county so that two
runs for different counties never give one number to two people.

The rows go in through the import path (:mod:`gridgov.registry.importing`, as the system:
``actor=None``), so the demo passes the same checks as a department's file: addresses
located in grids by their points, identifiers checked, natural keys deduplicated,
every record with its first version. A county that already has residents is skipped, so
running the demo again changes nothing.

Default: one county (钦南区) fully populated at about 24 residents per grid (≈ 30,000
people, ≈ 15 s on SQLite). ``--population-scale S`` populates all four counties with
3.3 million × S people (S = 1: the city's 3.3 million; for benchmarks).
"""

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import shapely
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from gridgov.registry import importing
from gridgov.registry.identity import make_resident_id, ric_area_known

CITY_POPULATION = 3_300_000
DEFAULT_COUNTIES = ("450702",)
DEFAULT_PER_GRID = 24
COUNTY_ORDER = ("450702", "450703", "450721", "450722")
# Where renters' ID numbers come from (Guangxi counties stdnum knows).
ELSEWHERE = ("450102", "450126", "450521", "450881", "450902", "451402")
HUKOU = {
    "450702": "广西壮族自治区钦州市钦南区",
    "450703": "广西壮族自治区钦州市钦北区",
    "450721": "广西壮族自治区钦州市灵山县",
    "450722": "广西壮族自治区钦州市浦北县",
    "450102": "广西壮族自治区南宁市兴宁区",
    "450126": "广西壮族自治区南宁市宾阳县",
    "450521": "广西壮族自治区北海市合浦县",
    "450881": "广西壮族自治区贵港市桂平市",
    "450902": "广西壮族自治区玉林市玉州区",
    "451402": "广西壮族自治区崇左市江州区",
}
# 钦州 is mostly Han; the Zhuang live above all in the villages (GB/T 3304 codes).
ETHNICITY_WEIGHTS = (("01", 86), ("08", 12), ("13", 1), ("06", 1))  # 汉 壮 瑶 苗

URBAN_ROADS = (
    "人民路",
    "永福路",
    "新兴街",
    "子材大街",
    "扬帆大道",
    "钦州湾大道",
    "南珠大街",
    "文峰路",
    "向阳路",
    "民生路",
    "二马路",
    "北部湾大道",
    "安州大道",
    "鸿亭路",
    "建设路",
    "园博大道",
)
HAMLET_FIRST = "大小上下新老东西南北那平石竹榕沙塘坡岭"
HAMLET_SECOND = "岭塘坡垌坪湾村寨江河岭口头尾"
SHOP_KINDS = ("便利店", "小吃店", "五金店", "理发店", "药店", "海鲜排档", "粉店", "修车行")


@dataclass
class PopulationResult:
    counties: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    bad_rows: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(self.counts.values())

    def summary(self) -> str:
        if not self.counties:
            if self.skipped:
                return _("实有人口：各县（区）已有数据，未作改动")
            return _("实有人口：未生成")
        c = self.counts
        return _(
            "实有人口（合成数据）：%(counties)s 共 %(persons)s 人、%(households)s 户，"
            "标准地址 %(addresses)s 条，房屋 %(houses)s 套（出租 %(rentals)s 套），"
            "单位 %(units)s 个，关爱对象标签 %(tags)s 个，用时 %(s).1f 秒"
        ) % {
            "counties": "、".join(self.counties),
            "persons": f"{c.get('persons', 0):,}",
            "households": f"{c.get('households', 0):,}",
            "addresses": f"{c.get('addresses', 0):,}",
            "houses": f"{c.get('houses', 0):,}",
            "rentals": f"{c.get('rentals', 0):,}",
            "units": f"{c.get('units', 0):,}",
            "tags": f"{c.get('care_tags', 0):,}",
            "s": self.seconds,
        }


# People ------------------------------------------------------------------------------------


class Names:
    def __init__(self, rng: random.Random):
        from gridgov.demo.names import GIVEN_FEMALE, GIVEN_MALE, SURNAMES

        self.rng = rng
        self.surnames = [s for s, _w in SURNAMES]
        self.weights = [w for _s, w in SURNAMES]
        self.male, self.female = GIVEN_MALE, GIVEN_FEMALE

    def surname(self) -> str:
        return self.rng.choices(self.surnames, weights=self.weights)[0]

    def given(self, male: bool) -> str:
        pool = self.male if male else self.female
        if self.rng.random() < 0.75:
            first, second = self.rng.sample(pool, 2)
            return first + second
        return self.rng.choice(pool)


class Identities:
    """Unique valid fictitious ID numbers: (area, birth date, sequence) never repeats."""

    def __init__(self, county: str):
        index = COUNTY_ORDER.index(county) if county in COUNTY_ORDER else 0
        self.base = index * 125  # each county its own quarter of the sequence space
        self.used: dict[tuple[str, date], int] = {}

    def make(self, area: str, born: date, male: bool) -> str | None:
        k = self.used.get((area, born), 0)
        if k >= 125:
            return None
        self.used[(area, born)] = k + 1
        sequence = 2 * (self.base + k) + (1 if male else 0)  # 17th digit odd: male
        return make_resident_id(born, sequence, area)


@dataclass
class Resident:
    name: str
    id_number: str
    male: bool
    born: date
    relation: str
    phone: str = ""
    tags: list = field(default_factory=list)


class Generator:
    """Rows for the import formats, for one county, from the seed."""

    def __init__(self, county, *, seed: int, per_grid: float, today: date):
        self.county = county
        self.rng = random.Random(f"{seed}:population:{county}")
        self.names = Names(self.rng)
        self.ids = Identities(county)
        self.per_grid = per_grid
        self.today = today
        self.ethnicities = [code for code, _w in ETHNICITY_WEIGHTS]
        self.ethnicity_weights = [w for _c, w in ETHNICITY_WEIGHTS]
        self.phone_prefixes = None
        self.units = 0
        self.credit_base = COUNTY_ORDER.index(county) * 10**6 if county in COUNTY_ORDER else 0
        # The county's own code on its residents' ID numbers (a made-up test county's
        # residents get 钦南区's).
        self.home_area = county if ric_area_known(county + "0" * 12) else COUNTY_ORDER[0]

    # -- one person --

    def born(self, age: int) -> date:
        year = self.today.year - age
        start = date(year, 1, 1)
        return min(start + timedelta(days=self.rng.randrange(365)), self.today)

    def phone(self) -> str:
        if self.phone_prefixes is None:
            from gridgov.demo.names import PHONE_PREFIXES

            self.phone_prefixes = PHONE_PREFIXES
        return self.rng.choice(self.phone_prefixes) + f"{self.rng.randrange(10**8):08d}"

    def person(self, surname, age, male, relation, area) -> Resident | None:
        age = max(0, min(age, 99))
        born = self.born(age)
        number = self.ids.make(area, born, male)
        if number is None:
            return None
        resident = Resident(
            name=surname + self.names.given(male),
            id_number=number,
            male=male,
            born=born,
            relation=relation,
        )
        if age >= 16 and self.rng.random() < 0.85:
            resident.phone = self.phone()
        return resident

    def household(self, *, area: str, renter: bool) -> list[Resident]:
        """One household: head, spouse, children, sometimes grandparents; or the old
        living alone, or grandparents with left-behind children."""
        rng = self.rng
        surname = self.names.surname()
        shape = rng.random()
        members: list[Resident | None] = []
        if renter:
            head_age = rng.randint(20, 50)
            male = rng.random() < 0.6
            members.append(self.person(surname, head_age, male, "户主", area))
            if rng.random() < 0.5:
                members.append(
                    self.person(surname, head_age + rng.randint(-3, 3), not male, "配偶", area)
                )
                for _n in range(rng.choice((0, 1, 1, 2))):
                    members.append(
                        self.person(surname, rng.randint(0, 12), rng.random() < 0.5, "子女", area)
                    )
        elif shape < 0.07:  # the old living alone
            alone = self.person(surname, rng.randint(66, 92), rng.random() < 0.4, "户主", area)
            if alone is not None:
                alone.tags.append("独居老人")
            members.append(alone)
        elif shape < 0.13:  # an old couple, the children away
            male_age = rng.randint(62, 85)
            members.append(self.person(surname, male_age, True, "户主", area))
            members.append(
                self.person(self.names.surname(), male_age - rng.randint(0, 4), False, "配偶", area)
            )
            for member in members:
                if member:
                    member.tags.append("空巢老人")
        elif shape < 0.20:  # grandparents with left-behind children
            age = rng.randint(58, 75)
            members.append(self.person(surname, age, True, "户主", area))
            members.append(
                self.person(self.names.surname(), age - rng.randint(0, 4), False, "配偶", area)
            )
            for _n in range(rng.randint(1, 3)):
                child = self.person(surname, rng.randint(3, 15), rng.random() < 0.5, "孙子", area)
                if child:
                    child.relation = "孙子女或外孙子女"
                    child.tags.append("留守儿童")
                    members.append(child)
        else:  # a family
            head_age = rng.randint(25, 65)
            male = rng.random() < 0.85
            members.append(self.person(surname, head_age, male, "户主", area))
            if rng.random() < 0.85:
                members.append(
                    self.person(
                        self.names.surname(), head_age + rng.randint(-4, 3), not male, "配偶", area
                    )
                )
            child_surname = surname if male else self.names.surname()
            for _n in range(rng.choice((0, 1, 1, 2, 2, 3))):
                age = head_age - rng.randint(22, 34)
                if age >= 0:
                    members.append(
                        self.person(child_surname, age, rng.random() < 0.52, "子女", area)
                    )
            if head_age < 50 and rng.random() < 0.2:
                members.append(
                    self.person(
                        surname, head_age + rng.randint(24, 32), rng.random() < 0.4, "父母", area
                    )
                )
        members = [m for m in members if m is not None]
        for member in members:
            roll = rng.random()
            if roll < 0.015:
                member.tags.append("残疾人")
            elif roll < 0.018:
                member.tags.append("重病")
            elif roll < 0.0195 and self.today.year - member.born.year >= 18:
                member.tags.append("严重精神障碍")
            elif roll < 0.0203 and self.today.year - member.born.year >= 18:
                member.tags.append("社区矫正")
            elif roll < 0.0215 and self.today.year - member.born.year >= 18:
                member.tags.append("刑满释放")
        if members and not renter and rng.random() < 0.03:
            for member in members:
                member.tags.append("低保")
        return members

    def ethnicity(self, hamlet: bool) -> str:
        if hamlet and self.rng.random() < 0.1:
            return "08"  # more Zhuang in the villages
        return self.rng.choices(self.ethnicities, weights=self.ethnicity_weights)[0]

    def credit_code(self, individual: bool) -> str:
        self.units += 1
        serial = self.credit_base + self.units
        prefix = "92" if individual else "91"
        body = f"{prefix}{self.county}MA{serial:07d}"[:17]
        code = body + uscc.calc_check_digit(body)
        assert uscc.is_valid(code)
        return code


# Places ------------------------------------------------------------------------------------


@dataclass
class Dwelling:
    """A home: an address path (a room in a building, or a rural house's door)."""

    village: str
    road: str
    door: str
    building: str = ""
    unit: str = ""
    room: str = ""
    lon: float | None = None
    lat: float | None = None
    use: str = "自住"
    area_m2: str = ""
    full_name: str = ""
    members: list = field(default_factory=list)
    owner: str = ""  # ID number
    renters: list = field(default_factory=list)
    grid: str = ""


def _points(shape, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """``n`` points inside a polygon (rejection sampling in its bounds)."""
    prepared = shape
    shapely.prepare(prepared)
    min_x, min_y, max_x, max_y = shape.bounds
    out = []
    tries = 0
    while len(out) < n and tries < n * 200:
        tries += 1
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if shapely.contains_xy(prepared, x, y):
            out.append((round(x, 6), round(y, 6)))
    return out


def _plan_county(gen: Generator, county: str, grids, villages) -> tuple[list, list]:
    """(dwellings, units) of every territorial grid of the county."""
    from gridgov.core.geo import from_geojson

    rng = gen.rng
    dwellings: list[Dwelling] = []
    units: list[dict] = []
    by_village: dict[str, list] = {}
    for grid in grids:
        by_village.setdefault(grid.village.code, []).append(grid)
    towns_with_school: set[str] = set()
    for village_code, village_grids in sorted(by_village.items()):
        for index, grid in enumerate(village_grids):
            urban = grid.kind == "urban"
            target = max(3, round(gen.per_grid * rng.uniform(0.8, 1.2)))
            homes = max(1, round(target / 2.8))
            shape = from_geojson(grid.geometry)
            if urban:
                road = URBAN_ROADS[index % len(URBAN_ROADS)]
                if index >= len(URBAN_ROADS):
                    road = f"{road[:-1]}{index // len(URBAN_ROADS) + 1}{road[-1]}"
                doors = max(1, (homes + 11) // 12)
                points = _points(shape, doors + 1, rng)
                if len(points) < doors + 1:
                    continue
                made = 0
                for d in range(doors):
                    door = f"{d * 2 + 1}号"
                    for b in range(1, 3):
                        for u in range(1, 3):
                            for floor in range(1, 7):
                                for r in (1, 2):
                                    if made >= homes:
                                        break
                                    made += 1
                                    dwellings.append(
                                        Dwelling(
                                            village=village_code,
                                            road=road,
                                            door=door,
                                            building=f"{b}栋",
                                            unit=f"{u}单元",
                                            room=f"{floor}0{r}室",
                                            lon=points[d][0],
                                            lat=points[d][1],
                                            area_m2=str(rng.choice((65, 78, 89, 96, 110, 125))),
                                            grid=grid.code,
                                        )
                                    )
                shop_point = points[-1]
                for s in range(rng.randint(1, 2)):
                    units.append(
                        {
                            "village": village_code,
                            "road": road,
                            "door": f"{200 + s * 2}号",
                            "lon": shop_point[0],
                            "lat": shop_point[1],
                            "grid": grid.code,
                            "name": f"{gen.names.surname()}记{rng.choice(SHOP_KINDS)}",
                            "kind": "个体工商户",
                            "staff": rng.randint(1, 6),
                        }
                    )
            else:
                hamlet = (
                    HAMLET_FIRST[(index * 7 + len(village_code)) % len(HAMLET_FIRST)]
                    + HAMLET_SECOND[index % len(HAMLET_SECOND)]
                    + "屯"
                )
                if index >= len(HAMLET_SECOND):
                    hamlet = f"{hamlet[:-1]}{index // len(HAMLET_SECOND) + 1}队"
                points = _points(shape, homes, rng)
                for d, (lon, lat) in enumerate(points):
                    dwellings.append(
                        Dwelling(
                            village=village_code,
                            road=hamlet,
                            door=f"{d + 1}号",
                            lon=lon,
                            lat=lat,
                            area_m2=str(rng.choice((90, 120, 150, 180, 240))),
                            grid=grid.code,
                        )
                    )
            town = village_code[:9]
            if town not in towns_with_school and index == 0:
                towns_with_school.add(town)
                point = _points(shape, 1, rng)
                if point:
                    name = (
                        villages[village_code]
                        .name.replace("居民委员会", "")
                        .replace("村民委员会", "")
                    )
                    for label, key, kind in (
                        (f"{name}中心小学", "学校", "事业单位"),
                        (f"{name}卫生院", "医院", "事业单位"),
                    ):
                        units.append(
                            {
                                "village": village_code,
                                "road": "学府路" if "小学" in label else "健康路",
                                "door": "1号",
                                "lon": point[0][0],
                                "lat": point[0][1],
                                "grid": grid.code,
                                "name": label,
                                "kind": kind,
                                "key": key,
                                "staff": rng.randint(20, 120),
                            }
                        )
    return dwellings, units


def _fill(gen: Generator, dwellings: list[Dwelling]) -> None:
    """Households into homes; some homes let to renters, some empty."""
    rng = gen.rng
    elsewhere = [c for c in COUNTY_ORDER if c != gen.county] + list(ELSEWHERE)
    owners_by_grid: dict[str, list[str]] = {}
    for dwelling in dwellings:
        roll = rng.random()
        urban = bool(dwelling.building)
        if roll < (0.14 if urban else 0.05):
            dwelling.use = "出租"
            dwelling.members = gen.household(area=rng.choice(elsewhere), renter=True)
        elif roll < (0.20 if urban else 0.08):
            dwelling.use = "空置"
        else:
            area = gen.home_area if rng.random() < 0.8 else rng.choice(COUNTY_ORDER)
            dwelling.members = gen.household(area=area, renter=False)
            if dwelling.members:
                dwelling.owner = dwelling.members[0].id_number
                owners_by_grid.setdefault(dwelling.grid, []).append(dwelling.owner)
    for dwelling in dwellings:
        if dwelling.use in ("出租", "空置"):
            candidates = owners_by_grid.get(dwelling.grid) or []
            dwelling.owner = rng.choice(candidates) if candidates else ""
            if dwelling.use == "出租" and not dwelling.owner:
                dwelling.use = "自住"


# Rows for the import formats ----------------------------------------------------------------


def _address_rows(dwellings, units) -> Iterator[tuple[int, dict]]:
    number = 1
    for d in dwellings:
        number += 1
        yield (
            number,
            {
                "village": d.village,
                "road": d.road,
                "door": d.door,
                "building": d.building,
                "unit": d.unit,
                "room": d.room,
                "lon": d.lon,
                "lat": d.lat,
            },
        )
    for u in units:
        number += 1
        yield number, {k: u[k] for k in ("village", "road", "door", "lon", "lat")} | {"use": "经营"}


def _path_name(village_name: str, d) -> str:
    parts = (
        [d.road, d.door, d.building, d.unit, d.room]
        if isinstance(d, Dwelling)
        else [
            d["road"],
            d["door"],
        ]
    )
    return (village_name + "".join(p for p in parts if p))[:300]


def _person_rows(gen: Generator, dwellings, codes) -> Iterator[tuple[int, dict]]:
    number = 1
    start_floor = date(2000, 1, 1)
    for index, d in enumerate(dwellings):
        code = codes.get((d.village, d.full_name))
        if code is None or not d.members:
            continue
        household = f"{d.grid}-{index:05d}"
        renter = d.use == "出租"
        for member in d.members:
            number += 1
            since = max(member.born, start_floor) + timedelta(days=gen.rng.randrange(0, 3000))
            yield (
                number,
                {
                    "name": member.name,
                    "id_number": member.id_number,
                    "ethnicity": gen.ethnicity(not d.building),
                    "phone": member.phone,
                    "hukou_place": HUKOU.get(member.id_number[:6], ""),
                    "category": "流动人口" if renter else "户籍人口",
                    "residence": code,
                    "household": household,
                    "relation": member.relation,
                    "residence_start": min(since, gen.today),
                },
            )


def _house_rows(dwellings, codes) -> Iterator[tuple[int, dict]]:
    number = 1
    for d in dwellings:
        code = codes.get((d.village, d.full_name))
        if code is None:
            continue
        number += 1
        yield (
            number,
            {
                "village": d.village,
                "code": code,
                "use": d.use,
                "floor_area": d.area_m2,
                "owner_id_number": d.owner,
            },
        )


def _tag_rows(dwellings) -> Iterator[tuple[int, dict]]:
    number = 1
    for d in dwellings:
        for member in d.members:
            for tag in member.tags:
                number += 1
                yield number, {"id_number": member.id_number, "kind": tag}


def _rental_rows(gen, dwellings, codes) -> Iterator[tuple[int, dict]]:
    number = 1
    for d in dwellings:
        code = codes.get((d.village, d.full_name))
        if d.use != "出租" or not d.members or not d.owner or code is None:
            continue
        number += 1
        start = gen.today - timedelta(days=gen.rng.randrange(30, 900))
        yield (
            number,
            {
                "house": code,
                "landlord": d.owner,
                "tenants": "；".join(
                    m.id_number for m in d.members if m.born.year <= gen.today.year - 16
                )
                or d.members[0].id_number,
                "start_date": start,
                "end_date": start + timedelta(days=365 * gen.rng.choice((1, 2, 3))),
            },
        )


def _unit_rows(gen, units, codes, villages) -> Iterator[tuple[int, dict]]:
    number = 1
    for u in units:
        code = codes.get((u["village"], _path_name(villages[u["village"]].name, u)))
        if code is None:
            continue
        number += 1
        key = u.get("key", "")
        yield (
            number,
            {
                "name": u["name"],
                "credit_code": gen.credit_code(u["kind"] == "个体工商户"),
                "kind": u["kind"],
                "address": code,
                "legal_representative": gen.names.surname() + gen.names.given(True),
                "contact_phone": gen.phone(),
                "staff_count": u["staff"],
                "key_place_kind": key,
                "patrol_frequency": "每周" if key else "",
            },
        )


# Running ------------------------------------------------------------------------------------


def ensure_population(
    *,
    seed: int,
    scale: float | None = None,
    counties: list[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> PopulationResult:
    """Populate the counties (default: 钦南区 at a modest density); skip those that have
    residents already. ``scale`` S gives 3.3 million × S people over the counties."""
    from gridgov.areas.models import Area, Grid
    from gridgov.registry.models import Address, Person

    log = log or (lambda message: None)
    started = time.monotonic()
    result = PopulationResult()
    if scale is not None and scale <= 0:
        return result
    wanted = list(counties or (COUNTY_ORDER if scale is not None else DEFAULT_COUNTIES))
    territorial = Grid.objects.filter(status="active", kind__in=("urban", "rural"))
    grid_total = sum(territorial.filter(code__startswith=c).count() for c in wanted)
    if not grid_total:
        return result
    per_grid = DEFAULT_PER_GRID if scale is None else CITY_POPULATION * scale / grid_total
    today = timezone.localdate()
    counts: dict[str, int] = {}
    for county_code in wanted:
        county = Area.objects.filter(code=county_code).first()
        if county is None:
            continue
        if Person.objects.filter(grid__code__startswith=county_code).exists():
            result.skipped.append(county.name)
            continue
        grids = list(territorial.filter(code__startswith=county_code).select_related("village"))
        if not grids:
            continue
        villages = {g.village.code: g.village for g in grids}
        gen = Generator(county_code, seed=seed, per_grid=per_grid, today=today)
        dwellings, units = _plan_county(gen, county_code, grids, villages)
        _fill(gen, dwellings)
        for d in dwellings:
            d.full_name = _path_name(villages[d.village].name, d)

        def run(kind, rows, county=county):
            outcome = importing.import_rows(kind, rows, actor=None, area=county, note=_("演示数据"))
            result.bad_rows += outcome.bad_rows
            return outcome

        before_addresses = Address.objects.count()
        run("addresses", _address_rows(dwellings, units))
        # Village names repeat across towns (演示社区1 …): key by village code too.
        codes = {
            (village, name): code
            for village, name, code in Address.objects.filter(
                village__code__startswith=county_code
            ).values_list("village__code", "full_name", "code")
        }
        counts["addresses"] = (
            counts.get("addresses", 0) + Address.objects.count() - before_addresses
        )
        persons = run("persons", _person_rows(gen, dwellings, codes))
        counts["persons"] = counts.get("persons", 0) + persons.created
        houses = run("addresses", _house_rows(dwellings, codes))
        counts["houses"] = counts.get("houses", 0) + houses.created + houses.updated
        rentals = run("rentals", _rental_rows(gen, dwellings, codes))
        counts["rentals"] = counts.get("rentals", 0) + rentals.created
        tags = run("care_tags", _tag_rows(dwellings))
        counts["care_tags"] = counts.get("care_tags", 0) + tags.created
        unit_outcome = run("units", _unit_rows(gen, units, codes, villages))
        counts["units"] = counts.get("units", 0) + unit_outcome.created
        counts["households"] = counts.get("households", 0) + sum(1 for d in dwellings if d.members)
        result.counties.append(county.name)
        log(_("%(county)s：%(n)s 人") % {"county": county.name, "n": f"{persons.created:,}"})
    result.counts = counts
    result.seconds = time.monotonic() - started
    if result.changed:
        record(result, seed, scale)
    return result


def record(result: PopulationResult, seed: int, scale) -> None:
    """One audit event for the whole population (counts only)."""
    from gridgov.core import audit
    from gridgov.core.audit import AuditKind

    audit.record(
        AuditKind.IMPORT,
        target=audit.Target("registry.demo", "population", _("演示实有人口")),
        detail={"seed": seed, "scale": scale, "counties": result.counties, **result.counts},
    )
