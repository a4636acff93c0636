"""What the Qinzhou demo is made of: the real files it loads and the knobs of the generator.

Coordinates here are WGS-84 lon/lat and approximate: they only make the synthetic layout
plausible (街道 around the urban centre, port and coastal towns by the sea). None of
this is used outside the demo.
"""

from dataclasses import dataclass

from gridgov.areas.choices import ExclusiveSubject, MaritimeKind
from gridgov.orgs.choices import Role

DEFAULT_SEED = 4507  # the city's code; any integer gives another, equally valid demo

# The real reference data shipped in gridgov/areas/data (see SOURCE.md there).
DIVISIONS_FILE = "qinzhou_divisions.csv"
DIVISIONS_SOURCE = "国家统计局统计用区划代码（2022年）"
VILLAGES_FILE = "qinzhou_villages.csv"
VILLAGES_SOURCE = "统计用区划代码（netnr/zoning 数据集，2020年前后）"
BOUNDARIES_FILE = "qinzhou_counties.geojson"
BOUNDARIES_CRS = "gcj02"  # DataV GeoAtlas
GENERATED_SOURCE = "演示数据生成（非官方区划）"

CITY_CODE = "4507"

# Qinzhou has about 1,042 village-level units, about 122 of them communities; the real
# file lists 683, so the demo generates the rest in the towns the file leaves empty.
VILLAGES_IN_ALL = 1042
COMMUNITIES_IN_ALL = 122

# Territorial grids at --scale 1: ≈ 550 residents a grid for 3.3 million residents
# (Guangxi's average is one grid per ≈ 433 residents).
TERRITORIAL_GRIDS_AT_SCALE_1 = 6000

# Relative grid density of a village by kind: urban communities, above all those of
# 街道, are split into more (and, being small, much smaller) grids than rural villages.
GRID_WEIGHT = {
    "street_community": 3.0,
    "community": 2.0,
    "village": 1.0,
    "village_like": 0.6,
}

# Target size of the urban core: km² per 街道 around the county seat, km² per community
# around a town's centre.
STREET_KM2 = 25.0
COMMUNITY_KM2 = 1.5
# Generated grids smaller than this (km²) are merged into a neighbour (slivers).
MIN_GRID_KM2 = 0.005

# The urban centre of each county, where its 街道 lie. 钦北区's 街道 are the part of the
# city proper that belongs to 钦北区 (the tongue of the district reaching into the city).
COUNTY_SEATS = {
    "450702": (108.640, 21.945),
    "450703": (108.640, 21.990),
    "450721": (109.289, 22.421),
    "450722": (109.552, 22.271),
}

# Approximate seats of a few towns whose place matters to the story: the port, the
# coastal towns that get maritime grids and the town of the 平陆运河 hub.
TOWN_ANCHORS = {
    "450702105": (108.590, 21.735),  # 龙门港镇, west of the bay entrance
    "450702112": (108.740, 21.655),  # 犀牛脚镇, on the southern coast
    "450702401": (108.640, 21.700),  # 钦州港经济技术开发区
    "450702402": (108.800, 21.640),  # 三娘湾旅游管理区
    "450702403": (108.700, 21.625),  # 广西钦州保税港区, on the port's southern spit
    "450702404": (108.660, 21.860),  # 中马钦州产业园区
    "450721111": (108.950, 22.320),  # 陆屋镇, on the 平陆运河 (马道枢纽)
}

# 钦南区's sea: this box (lon/lat) minus the land of all counties, the part along its coast.
SEA_COUNTY = "450702"
SEA_BOX = (108.50, 21.45, 109.13, 21.90)


@dataclass(frozen=True)
class DepartmentSpec:
    key: str
    name: str
    short_name: str
    kind: str


DEPARTMENTS = [
    DepartmentSpec("market", "钦州市市场监督管理局", "市市场监管局", "市场监管"),
    DepartmentSpec("education", "钦州市教育局", "市教育局", "教育"),
    DepartmentSpec("health", "钦州市卫生健康委员会", "市卫健委", "卫生健康"),
    DepartmentSpec("ocean", "钦州市海洋局", "市海洋局", "海洋"),
    DepartmentSpec("port_zone", "钦州港经济技术开发区管理委员会", "钦州港经开区管委会", "园区管理"),
    DepartmentSpec("canal", "平陆运河枢纽管理机构（演示）", "运河枢纽管理", "运河枢纽"),
]


@dataclass(frozen=True)
class ExclusiveSpec:
    """One exclusive grid: where (town, optionally the village), what, and how big.

    ``village`` None means: for land grids the ``index``-th village of the town (the
    largest for parks and the canal hub, communities for the others), for maritime grids
    the ``index``-th village nearest the sea.
    """

    town: str
    name: str
    subject: str
    department: str
    km2: float
    village: str | None = None
    maritime_kind: str = ""
    index: int = 0


_PARK = ExclusiveSubject.INDUSTRIAL_PARK
_SEA = ExclusiveSubject.MARITIME

EXCLUSIVE_GRIDS = [
    # 钦州港经济技术开发区: industrial parks under the zone's management committee.
    ExclusiveSpec("450702401", "钦州港石化产业园专属网格", _PARK, "port_zone", 4.0, index=0),
    ExclusiveSpec("450702401", "钦州港装备制造产业园专属网格", _PARK, "port_zone", 3.0, index=1),
    ExclusiveSpec("450702401", "钦州港物流园专属网格", _PARK, "port_zone", 2.0, index=2),
    # The 平陆运河 马道枢纽 in 陆屋镇.
    ExclusiveSpec(
        "450721111", "平陆运河马道枢纽专属网格", ExclusiveSubject.CANAL_HUB, "canal", 2.5
    ),
    # Markets (商圈市场) and schools/hospitals (企事业单位) in 街道.
    ExclusiveSpec("450702001", "向阳街道商圈市场专属网格", ExclusiveSubject.MARKET, "market", 0.15),
    ExclusiveSpec("450703002", "鸿亭街道农贸市场专属网格", ExclusiveSubject.MARKET, "market", 0.1),
    ExclusiveSpec("450721001", "灵城街道商圈市场专属网格", ExclusiveSubject.MARKET, "market", 0.12),
    ExclusiveSpec(
        "450702004", "南珠街道学校专属网格", ExclusiveSubject.INSTITUTION, "education", 0.1
    ),
    ExclusiveSpec(
        "450703001", "长田街道医院专属网格", ExclusiveSubject.INSTITUTION, "health", 0.08
    ),
    ExclusiveSpec(
        "450722001", "小江街道学校专属网格", ExclusiveSubject.INSTITUTION, "education", 0.1
    ),
    # At sea off 钦南区's coast, belonging to the coastal villages of 犀牛脚镇 (450702112),
    # 龙门港镇 (450702105) and 三娘湾旅游管理区 (450702402, whose 三娘湾村委会 is 450702402201).
    ExclusiveSpec(
        "450702112",
        "犀牛脚渔船编组海上网格",
        _SEA,
        "ocean",
        6.0,
        maritime_kind=MaritimeKind.VESSEL_GROUP,
        index=0,
    ),
    ExclusiveSpec(
        "450702112",
        "犀牛脚近海养殖海上网格",
        _SEA,
        "ocean",
        4.0,
        maritime_kind=MaritimeKind.AQUACULTURE,
        index=1,
    ),
    ExclusiveSpec(
        "450702112",
        "犀牛脚海上作业区网格",
        _SEA,
        "ocean",
        8.0,
        maritime_kind=MaritimeKind.SEA_WORK_AREA,
        index=2,
    ),
    ExclusiveSpec(
        "450702105",
        "龙门港蚝排养殖海上网格",
        _SEA,
        "ocean",
        4.0,
        maritime_kind=MaritimeKind.AQUACULTURE,
        index=0,
    ),
    ExclusiveSpec(
        "450702105",
        "龙门港渔船编组海上网格",
        _SEA,
        "ocean",
        5.0,
        maritime_kind=MaritimeKind.VESSEL_GROUP,
        index=1,
    ),
    ExclusiveSpec(
        "450702402",
        "三娘湾海上作业区网格",
        _SEA,
        "ocean",
        6.0,
        village="450702402201",
        maritime_kind=MaritimeKind.SEA_WORK_AREA,
        index=0,
    ),
    ExclusiveSpec(
        "450702402",
        "三娘湾近海养殖海上网格",
        _SEA,
        "ocean",
        3.0,
        village="450702402201",
        maritime_kind=MaritimeKind.AQUACULTURE,
        index=1,
    ),
]

ADJUSTMENT_REASON = "初次划分网格（演示数据）"


# Organisations (第四条) ---------------------------------------------------------------
#
# One grid-management agency per city, county and town: "中心" at city and county level,
# "站" in towns. Names are "<area name><suffix>".
AGENCY_SUFFIX = {1: "网格化服务管理中心", 2: "网格化服务管理中心", 3: "网格化服务管理站"}


@dataclass(frozen=True)
class ZoneSpec:
    """A management zone (管理区机构): the county (or city) it sits in and the town-level
    units it is responsible for. ``key`` goes into the demo usernames."""

    key: str
    name: str
    area: str
    covers: tuple[str, ...]


ZONES = [
    # The free-trade zone's Qinzhou port area: the port's development zone and the bonded
    # port area (中马钦州产业园区 450702404 stays with 钦南区).
    ZoneSpec("ftz", "中国（广西）自由贸易试验区钦州港片区", "450702", ("450702401", "450702403")),
    ZoneSpec("sanniang", "三娘湾旅游管理区", "450702", ("450702402",)),
    # The town holding the demo's canal-hub exclusive grid (马道枢纽, 陆屋镇).
    ZoneSpec("canal", "平陆运河枢纽", "450721", ("450721111",)),
    # Set up in 2013 over the 丽光华侨农场 (450702400).
    ZoneSpec("huaqiao", "钦州市北部湾华侨投资区", "450702", ("450702400",)),
    # No statistical unit of its own: attached to the county only (see docs/demo-data.md).
    ZoneSpec("hitech", "钦州高新区", "450702", ()),
]


@dataclass(frozen=True)
class LinkageSpec:
    """A linkage department category (网格化服务联动部门) and its names.

    ``kind`` is the category in the words of 第四条 (reports group by it). Templates:
    ``{city}`` 钦州市; ``{county}`` 钦南区, ``{short}`` 钦南. ``district`` is the name in a
    市辖区 when it differs (branches of the city bureau). ``counties`` limits the county
    level to some counties (None: all).
    """

    key: str
    kind: str
    city: str
    city_short: str
    county: str
    county_short: str
    district: str = ""
    district_short: str = ""
    counties: tuple[str, ...] | None = None


LINKAGE_DEPARTMENTS = [
    LinkageSpec(
        "police",
        "公安",
        "{city}公安局",
        "市公安局",
        "{county}公安局",
        "{short}县公安局",
        district="{city}公安局{short}分局",
        district_short="{short}公安分局",
    ),
    LinkageSpec("civil", "民政", "{city}民政局", "市民政局", "{county}民政局", "{short}民政局"),
    LinkageSpec(
        "justice", "司法行政", "{city}司法局", "市司法局", "{county}司法局", "{short}司法局"
    ),
    LinkageSpec(
        "enforce",
        "城管执法",
        "{city}城市管理综合行政执法支队",
        "市城管执法支队",
        "{county}城市管理综合行政执法大队",
        "{short}城管执法大队",
    ),
    LinkageSpec("finance", "财政", "{city}财政局", "市财政局", "{county}财政局", "{short}财政局"),
    LinkageSpec(
        "hrss",
        "人力资源社会保障",
        "{city}人力资源和社会保障局",
        "市人社局",
        "{county}人力资源和社会保障局",
        "{short}人社局",
    ),
    LinkageSpec(
        "market",
        "市场监管",
        "{city}市场监督管理局",
        "市市场监管局",
        "{county}市场监督管理局",
        "{short}市场监管局",
    ),
    LinkageSpec(
        "govservice",
        "政务服务管理",
        "{city}大数据和行政审批局",
        "市审批局",
        "{county}大数据和行政审批局",
        "{short}审批局",
    ),
    LinkageSpec(
        "eco",
        "生态环境",
        "{city}生态环境局",
        "市生态环境局",
        "{city}生态环境局{short}分局",
        "{short}生态环境分局",
    ),
    LinkageSpec(
        "emergency",
        "应急管理",
        "{city}应急管理局",
        "市应急局",
        "{county}应急管理局",
        "{short}应急局",
    ),
    LinkageSpec(
        "health",
        "卫生健康",
        "{city}卫生健康委员会",
        "市卫健委",
        "{county}卫生健康局",
        "{short}卫健局",
    ),
    LinkageSpec(
        "urban", "城市管理", "{city}城市管理局", "市城管局", "{county}城市管理局", "{short}城管局"
    ),
    # Beyond 第四条's list: the departments of the demo's exclusive grids (schools,
    # the canal hub, fishing vessels and the sea).
    LinkageSpec("education", "教育", "{city}教育局", "市教育局", "{county}教育局", "{short}教育局"),
    LinkageSpec(
        "transport",
        "交通运输",
        "{city}交通运输局",
        "市交通运输局",
        "{county}交通运输局",
        "{short}交通运输局",
    ),
    LinkageSpec(
        "agri",
        "农业农村",
        "{city}农业农村局",
        "市农业农村局",
        "{county}农业农村局",
        "{short}农业农村局",
    ),
    LinkageSpec(
        "ocean",
        "海洋",
        "{city}海洋局",
        "市海洋局",
        "{county}海洋局",
        "{short}海洋局",
        counties=(SEA_COUNTY,),
    ),
]


@dataclass(frozen=True)
class TownLinkageSpec:
    key: str
    kind: str
    name: str  # {town}: the town's name without 镇/乡/街道 (犀牛脚)


# Town-level stations of linkage departments, in the towns below.
TOWN_LINKAGE_DEPARTMENTS = [
    TownLinkageSpec("police", "公安", "{town}派出所"),
    TownLinkageSpec("justice", "司法行政", "{town}司法所"),
]
# Every 镇 and 街道 of these counties, and these towns besides.
TOWN_LINKAGE_COUNTIES = ("450702",)
TOWN_LINKAGE_TOWNS = ("450721111",)


# Demo staff (第十一、十二、十三条) --------------------------------------------------
#
# Shares of grids and villages, decided per grid or village from the seed (so the same
# grid gets the same staff whichever counties a run writes).
STAFFING = {
    "urban_second_fulltime": 0.2,  # urban grids with a second 专职网格员
    "rural_fulltime": 0.3,  # rural grids with a 专职网格员 (第十二条: 有条件的农村网格)
    "urban_parttime": 0.4,  # urban grids with a 兼职网格员
    "rural_parttime": 0.7,  # rural grids with one 兼职网格员 …
    "rural_second_parttime": 0.2,  # … of which these have a second
    "exclusive_second_member": 0.5,  # exclusive grids with two 专属网格员
    "guide_from_department": 0.35,  # 网格指导员 sent down by a linkage department
    "town_second_operator": 0.5,  # town agencies with two operators (city, county: two)
}
# Planted gaps for the staffing report, same rule.
GAPS = {
    "grid_without_leader": 0.0025,  # territorial grids without 网格长
    "urban_without_fulltime": 0.01,  # urban grids without 专职网格员 (第十二条 says must)
    "village_without_chief": 0.005,  # villages without 总网格长
    "village_two_chiefs": 0.005,  # villages with two 总网格长
}
# Categories of the departments that send 网格指导员 down to villages.
GUIDE_DEPARTMENT_KINDS = ("公安", "民政", "司法行政", "卫生健康", "农业农村", "人力资源社会保障")
# Demo posts start between these dates.
STAFF_SINCE = (2019, 1, 1)
STAFF_SPAN_DAYS = 6 * 365
DEMO_NOTE = "演示数据"


# Persona accounts: people trying the demo log in with these. ---------------------------


@dataclass(frozen=True)
class PersonaSpec:
    """``place``: an area code (agency posts), a town code (a grid of that town, for grid
    posts), ``(area code, department name)`` for department posts, None for administrators."""

    username: str
    full_name: str
    role: str
    place: str | tuple[str, str] | None
    what: str  # the printout's description


PERSONAS = [
    PersonaSpec(
        "demo-city",
        "演示·市中心操作员",
        Role.AGENCY_OPERATOR,
        CITY_CODE,
        "钦州市网格化服务管理中心 工作人员（全市）",
    ),
    PersonaSpec(
        "demo-qinnan",
        "演示·钦南区操作员",
        Role.AGENCY_OPERATOR,
        "450702",
        "钦南区网格化服务管理中心 工作人员（审批钦南区的网格调整）",
    ),
    PersonaSpec(
        "demo-xiniujiao",
        "演示·犀牛脚镇操作员",
        Role.AGENCY_OPERATOR,
        "450702112",
        "犀牛脚镇网格化服务管理站 工作人员（提出网格调整）",
    ),
    PersonaSpec(
        "demo-gridworker",
        "演示·专职网格员",
        Role.FULLTIME,
        "450702112",
        "犀牛脚镇一个网格的专职网格员",
    ),
    PersonaSpec(
        "demo-village",
        "演示·社区总网格长",
        Role.CHIEF,
        "450702112",
        "上述网格所在社区的总网格长（受理网格员上报的事件）",
    ),
    PersonaSpec(
        "demo-police",
        "演示·公安经办人",
        Role.DEPARTMENT_HANDLER,
        (CITY_CODE, "钦州市公安局"),
        "钦州市公安局 联动部门经办人",
    ),
    PersonaSpec(
        "demo-pubei",
        "演示·浦北县街道操作员",
        Role.AGENCY_OPERATOR,
        "450722001",
        "浦北县小江街道网格化服务管理站 工作人员（看不到钦南区）",
    ),
    PersonaSpec(
        "demo-security", "演示·安全管理员", Role.SECURITY_ADMIN, None, "安全管理员（授予岗位）"
    ),
    PersonaSpec(
        "demo-audit", "演示·审计管理员", Role.AUDIT_ADMIN, None, "审计管理员（查看审计日志）"
    ),
]
