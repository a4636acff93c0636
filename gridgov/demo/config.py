"""What the Qinzhou demo is made of: the real files it loads and the knobs of the generator.

Coordinates here are WGS-84 lon/lat and approximate: they only make the synthetic layout
plausible (街道 around the urban centre, port and coastal towns by the sea). None of
this is used outside the demo.
"""

from dataclasses import dataclass

from gridgov.areas.choices import ExclusiveSubject, MaritimeKind

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
