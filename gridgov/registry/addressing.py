"""Free-text Chinese addresses → parts of a standard address (for imports and search).

Two layers, kept apart on purpose (docs/registry.md says the same):

1. **jionlp** (``jionlp.parse_location``, Apache-2.0) recognises the administrative part —
   province, city, county, and where its dictionary knows them, town and village — and
   normalises short forms (``广西钦州钦南`` → 广西壮族自治区 钦州市 钦南区). It knows nothing of
   roads, door numbers, buildings, units or rooms: it returns them as ``detail``.
2. **Our code** then (a) matches the town and village against this deployment's own
   areas (the demo's generated villages and a city's newest ones are not in jionlp's
   dictionary), eating their names from the front of the detail, and (b) splits the rest
   with a small normaliser of the 街路巷 / 门牌 / 楼栋 / 单元 / 户室 patterns (full-width
   digits, ``幢``/``座`` → ``栋``, Chinese numerals in ``三单元``), giving the standard
   names used in :class:`~gridgov.registry.models.Address` (``12号``, ``3栋``,
   ``2单元``, ``301室``).

jionlp prints a banner on import and unpacks its dictionaries into its own package
folder on first import; we import it once, lazily, with stdout captured. If it cannot be
imported, step 1 is skipped and step 2 still works on addresses written from the town down.
"""

import contextlib
import functools
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from gridgov.registry.choices import AddressLevel

log = logging.getLogger(__name__)

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}

ROAD = re.compile(r"^(?P<v>[^\d\s]+?(?:大道|大街|路|街|巷|弄|胡同|里|道|组|屯|队|坡))")
DOOR = re.compile(r"^(?P<v>\d+(?:[-之]\d+)?)号(?!楼)")
BUILDING = re.compile(r"^(?P<v>[0-9A-Za-z]+)(?:栋|幢|座|号楼)")
UNIT = re.compile(r"^(?P<v>\d+)单元")
ROOM = re.compile(r"^(?P<v>[0-9A-Za-z]+(?:-\d+)?)(?:室|房|号房|号)?$")

VILLAGE_SUFFIXES = (("居民委员会", ""), ("居委会", ""), ("村民委员会", "村"), ("村委会", "村"))
TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡")


@dataclass
class ParsedAddress:
    text: str
    province: str | None = None
    city: str | None = None
    county: str | None = None
    town: str | None = None
    village: str | None = None
    road: str = ""
    door: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    rest: str = ""
    # Codes of this deployment's areas that matched (county, town, village).
    area_codes: list[str] = field(default_factory=list)

    def parts(self) -> list[tuple[str, str]]:
        """(level, standard name) from the road down, for the parts found."""
        order = [
            (AddressLevel.ROAD, self.road),
            (AddressLevel.DOOR, self.door),
            (AddressLevel.BUILDING, self.building),
            (AddressLevel.UNIT, self.unit),
            (AddressLevel.ROOM, self.room),
        ]
        return [(level, value) for level, value in order if value]


@functools.cache
def _jionlp():
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import jionlp
    except Exception:  # pragma: no cover - depends on the installation
        log.warning("jionlp is not available; addresses are parsed from the town down")
        return None
    return jionlp


def _small_number(text: str) -> str:
    """``三`` → 3, ``十二`` → 12 (up to 99: units, buildings and floors)."""
    if all(ch in CN_DIGITS for ch in text):
        return "".join(str(CN_DIGITS[ch]) for ch in text)
    if "十" in text and len(text) <= 3:
        tens, _sep, ones = text.partition("十")
        value = (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0))
        return str(value)
    return text


def clean_text(text: str) -> str:
    """NFKC (full-width digits and letters), no spaces or separators, numerals as digits
    before 栋/单元/号/室/层."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[\s,，、]+", "", text)
    text = re.sub(
        r"([零〇一二两三四五六七八九十]+)(?=栋|幢|座|单元|号楼|层|组|队)",
        lambda m: _small_number(m.group(1)),
        text,
    )
    return text


def normalise_part(level: str, name: str) -> str:
    """The standard name of an address part: ``12`` → ``12号`` (门牌), ``3幢`` → ``3栋``,
    ``2`` → ``2单元``, ``301`` → ``301室``. Roads keep their name."""
    name = clean_text(name)
    if level == AddressLevel.DOOR:
        match = re.fullmatch(r"(\d+(?:[-之]\d+)?)号?", name)
        return f"{match.group(1).replace('之', '-')}号" if match else name
    if level == AddressLevel.BUILDING:
        match = re.fullmatch(r"([0-9A-Za-z]+)(?:栋|幢|座|号楼)?", name)
        return f"{match.group(1).upper()}栋" if match else name
    if level == AddressLevel.UNIT:
        match = re.fullmatch(r"(\d+)(?:单元)?", name)
        return f"{int(match.group(1))}单元" if match else name
    if level == AddressLevel.ROOM:
        match = re.fullmatch(r"([0-9A-Za-z]+(?:-\d+)?)(?:室|房|号房|号)?", name)
        return f"{match.group(1).upper()}室" if match else name
    return name


def village_aliases(name: str) -> list[str]:
    """``甲社区居民委员会`` → [甲社区居民委员会, 甲社区]; ``沙角村委会`` → [沙角村委会, 沙角村]."""
    aliases = [name]
    for suffix, replacement in VILLAGE_SUFFIXES:
        if name.endswith(suffix):
            short = name[: -len(suffix)]
            if replacement and not short.endswith(replacement):
                short += replacement
            aliases.append(short)
    return sorted(set(aliases), key=len, reverse=True)


def town_aliases(name: str) -> list[str]:
    aliases = [name]
    for suffix in TOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            aliases.append(name[: -len(suffix)])
    return sorted(set(aliases), key=len, reverse=True)


def _eat(text: str, aliases) -> tuple[bool, str]:
    for alias in aliases:
        if alias and text.startswith(alias):
            return True, text[len(alias) :]
    return False, text


def _areas():
    from gridgov.areas.choices import AreaLevel
    from gridgov.areas.models import Area

    return Area.objects.filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE])


def _match_areas(parsed: ParsedAddress, detail: str) -> str:
    """Eat this deployment's county, town and village names from the front of ``detail``."""
    from gridgov.areas.choices import AreaLevel

    areas = list(_areas().values("code", "name", "level"))
    prefix = ""
    for level, aliases_of in (
        (AreaLevel.COUNTY, lambda n: [n]),
        (AreaLevel.TOWN, town_aliases),
        (AreaLevel.VILLAGE, village_aliases),
    ):
        candidates = [a for a in areas if a["level"] == level and a["code"].startswith(prefix)]
        if level == AreaLevel.COUNTY and parsed.county:
            # jionlp found the county already: pick ours by name.
            named = [a for a in candidates if a["name"] == parsed.county]
            if len(named) == 1:
                prefix = named[0]["code"]
                parsed.area_codes.append(prefix)
                ate, detail = _eat(detail, [parsed.county])
                continue
        best = None
        for area in candidates:
            ate, rest = _eat(detail, aliases_of(area["name"]))
            if ate and (best is None or len(rest) < len(best[1])):
                best = (area, rest)
        if best:
            area, detail = best
            prefix = area["code"]
            parsed.area_codes.append(prefix)
            if level == AreaLevel.TOWN:
                parsed.town = area["name"]
            elif level == AreaLevel.VILLAGE:
                parsed.village = area["name"]
    return detail


def split_detail(parsed: ParsedAddress, detail: str) -> None:
    """Road, door, building, unit and room from the part below the village."""
    rest = detail
    for name, pattern, level in (
        ("road", ROAD, AddressLevel.ROAD),
        ("door", DOOR, AddressLevel.DOOR),
        ("building", BUILDING, AddressLevel.BUILDING),
        ("unit", UNIT, AddressLevel.UNIT),
        ("room", ROOM, AddressLevel.ROOM),
    ):
        match = pattern.match(rest)
        if match:
            setattr(parsed, name, normalise_part(level, match.group(0)))
            rest = rest[match.end() :]
    parsed.rest = rest


def parse(text: str, *, use_areas: bool = True) -> ParsedAddress:
    """Split a free-text address. ``use_areas`` matches this deployment's areas too."""
    cleaned = clean_text(text)
    parsed = ParsedAddress(text=cleaned)
    detail = cleaned
    jio = _jionlp()
    if jio is not None and cleaned:
        result = jio.parse_location(cleaned, town_village=True)
        parsed.province = result.get("province")
        parsed.city = result.get("city")
        parsed.county = result.get("county")
        parsed.town = result.get("town")
        parsed.village = result.get("village")
        detail = clean_text(result.get("detail") or "")
    if use_areas:
        detail = _match_areas(parsed, detail)
    split_detail(parsed, detail)
    return parsed


def find(text: str, addresses, *, strict: bool = False):
    """The deepest address of ``addresses`` (a queryset) that ``text`` names, or None.

    Matching goes down from the village (if named) by the standard part names; parts not
    found stop the walk, so ``人民路12号9栋`` without a 9栋 gives ``人民路12号`` — or None
    with ``strict`` (every part found, for search).
    """
    parsed = parse(text)
    village_code = next((code for code in parsed.area_codes if len(code) == 12), None)
    parts = parsed.parts()
    if not parts:
        return None
    candidates = addresses.filter(village__code=village_code) if village_code else addresses
    found = None
    for level, name in parts:
        query = candidates.filter(name=name)
        query = query.filter(parent=found) if found else query.filter(level=level)
        matches = list(query[:2])
        if len(matches) != 1:
            if found is None and level == AddressLevel.DOOR and not strict:
                continue
            if strict:
                return None
            break
        found = matches[0]
    if strict and parsed.rest:
        return None
    return found
