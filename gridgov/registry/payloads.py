"""Cleaning of proposed records (采集内容): raw values from a form, the API or an import
become a normalised JSON-safe dict, or ``ValidationError({field: [Chinese message]})``
naming every bad field at once.

References are by natural or public keys, never by database ids: an address by its
``code``, a person or household by ``public_id``, a unit by its credit code or public id,
a maritime grid by its code. A reference the actor may not see reads as missing.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.registry import identity
from gridgov.registry.addressing import normalise_part
from gridgov.registry.choices import (
    ADDRESS_PARENTS,
    POINT_LEVELS,
    AddressLevel,
    DocumentType,
    Gender,
    HouseholdKind,
    HouseUse,
    KeyPlaceKind,
    PatrolFrequency,
    PersonCategory,
    PersonEventKind,
    PersonStatus,
    RecordKind,
    Relation,
    UnitKind,
    VesselKind,
)

MAX_MEMBERS = 30


class Errors:
    """Collects field errors; ``raise_if_any()`` raises them together."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message) -> None:
        self.errors.setdefault(f"{self.prefix}{field}", []).append(str(message))

    def take(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.add(field, message)

    def merge(self, other: "Errors") -> None:
        for field, messages in other.errors.items():
            self.errors.setdefault(field, []).extend(messages)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _text(raw: dict, key: str, *, max_length: int = 200) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()[:max_length]


def _required(raw, key, errors, label, *, max_length=200) -> str:
    value = _text(raw, key, max_length=10_000)
    if not value:
        errors.add(key, _("请填写%(label)s") % {"label": label})
    elif len(value) > max_length:
        errors.add(key, _("%(label)s不能超过%(n)d个字") % {"label": label, "n": max_length})
    return value[:max_length]


def _choice(raw, key, choices, errors, label, *, default=None, blank=False) -> str:
    value = _text(raw, key)
    if not value:
        if default is not None:
            return default
        if blank:
            return ""
        errors.add(key, _("请选择%(label)s") % {"label": label})
        return ""
    values = {str(v): str(v) for v in choices.values}
    labels = {str(lab): str(v) for v, lab in choices.choices}
    if value in values:
        return values[value]
    if value in labels:
        return labels[value]
    errors.add(key, _("%(label)s“%(value)s”无效") % {"label": label, "value": value})
    return ""


def _date(raw, key, errors, label, *, required=False) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        if required:
            errors.add(key, _("请填写%(label)s") % {"label": label})
        return None
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        errors.add(key, _("%(label)s格式应为 年-月-日，如 2024-03-01") % {"label": label})
        return None


def _decimal(raw, key, errors, label, *, max_value=None) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(key, _("%(label)s应为数字") % {"label": label})
        return None
    if number < 0 or (max_value is not None and number > max_value) or not number.is_finite():
        errors.add(key, _("%(label)s超出合理范围") % {"label": label})
        return None
    return str(number.quantize(Decimal("0.01")))


def _integer(raw, key, errors, label, *, max_value=10**7) -> int | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(key, _("%(label)s应为整数") % {"label": label})
        return None
    if number < 0 or number > max_value:
        errors.add(key, _("%(label)s超出合理范围") % {"label": label})
        return None
    return number


def _bool(raw, key) -> bool:
    value = raw.get(key)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes", "是"}
    return bool(value)


def _float(raw, key, errors, label, low, high) -> float | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add(key, _("%(label)s应为数字") % {"label": label})
        return None
    if not (low <= number <= high):
        errors.add(
            key,
            _("%(label)s超出范围（%(low)s～%(high)s）")
            % {"label": label, "low": low, "high": high},
        )
        return None
    return number


# References ----------------------------------------------------------------------------


def _restricted(model, actor, action="view"):
    """The rows the actor may see; everything for the system itself (actor None)."""
    if actor is None:
        return model.objects.all()
    return model.objects.restrict(actor, action)


def find_address(code: str, actor):
    from gridgov.registry.models import Address

    return _restricted(Address, actor).filter(code=code, is_active=True).first()


def _address(raw, key, errors, label, actor, *, required=True, located=True):
    code = _text(raw, key, max_length=64)
    if not code:
        if required:
            errors.add(key, _("请选择%(label)s") % {"label": label})
        return None
    address = find_address(code, actor)
    if address is None:
        errors.add(key, _("未找到标准地址“%(code)s”") % {"code": code})
        return None
    if located and address.grid_id is None:
        errors.add(
            key, _("标准地址“%(name)s”未定位到网格，请选择门牌、楼栋或户室地址") % {"name": address}
        )
        return None
    return address


def _person(raw, key, errors, label, actor, *, required=False):
    from gridgov.registry.models import Person

    public_id = _text(raw, key, max_length=16)
    if not public_id:
        if required:
            errors.add(key, _("请选择%(label)s") % {"label": label})
        return None
    person = _restricted(Person, actor).filter(public_id=public_id).first()
    if person is None:
        errors.add(key, _("未找到%(label)s“%(id)s”") % {"label": label, "id": public_id})
    return person


def _unit(raw, key, errors, label, actor):
    from django.db.models import Q

    from gridgov.registry.models import Unit

    value = _text(raw, key, max_length=18)
    if not value:
        return None
    unit = _restricted(Unit, actor).filter(Q(public_id=value) | Q(credit_code=value)).first()
    if unit is None:
        errors.add(key, _("未找到%(label)s“%(id)s”") % {"label": label, "id": value})
    return unit


def _ethnicity(raw, key, errors) -> str:
    from gridgov.registry.models import Ethnicity

    value = _text(raw, key, max_length=20)
    if not value:
        return ""
    found = Ethnicity.objects.filter(code=value.zfill(2) if value.isdigit() else value).first()
    found = found or Ethnicity.objects.filter(name=value).first()
    found = found or Ethnicity.objects.filter(name=f"{value}族").first()
    if found is None:
        errors.add(key, _("未知的民族“%(value)s”") % {"value": value})
        return ""
    return found.code


# Kinds ---------------------------------------------------------------------------------


def clean_address(raw: dict, *, actor, prefix: str = "") -> dict:
    """{level, name, parent (code) or village (code), lon, lat, code (optional)}."""
    from gridgov.areas.choices import AreaLevel
    from gridgov.areas.models import Area

    errors = Errors(prefix)
    level = _choice(raw, "level", AddressLevel, errors, _("地址层级"))
    name = _required(raw, "name", errors, _("名称"), max_length=100)
    if level and name:
        name = normalise_part(level, name)
    parent_code = _text(raw, "parent", max_length=64)
    village_code = _text(raw, "village", max_length=12)
    parent = None
    village = None
    if parent_code:
        parent = find_address(parent_code, actor)
        if parent is None:
            errors.add("parent", _("未找到标准地址“%(code)s”") % {"code": parent_code})
        else:
            village = parent.village
    elif village_code:
        villages = Area.objects.filter(level=AreaLevel.VILLAGE, code=village_code)
        if actor is not None:
            villages = villages & Area.objects.restrict(actor, "view")
        village = villages.first()
        if village is None:
            errors.add("village", _("未找到村（社区）“%(code)s”") % {"code": village_code})
    else:
        errors.add("parent", _("请选择上级地址或所属村（社区）"))
    if level and (parent or village) and not errors.errors:
        allowed = ADDRESS_PARENTS[AddressLevel(level)]
        parent_level = parent.level if parent else None
        if parent_level not in allowed:
            errors.add(
                "parent",
                _("%(level)s不能设在%(parent)s之下")
                % {
                    "level": AddressLevel(level).label,
                    "parent": AddressLevel(parent_level).label if parent_level else _("村（社区）"),
                },
            )
    lon = _float(raw, "lon", errors, _("经度"), -180, 180)
    lat = _float(raw, "lat", errors, _("纬度"), -90, 90)
    if (lon is None) != (lat is None):
        errors.add("lon", _("经度和纬度须同时填写"))
    if level in POINT_LEVELS and lon is None and not (parent and parent.grid_id):
        errors.add("lon", _("门牌、楼栋须标注位置（经纬度），以确定所属网格"))
    code = _text(raw, "code", max_length=64)
    base = parent.code if parent else (village.code if village else "")
    if code and base and not code.startswith(base):
        errors.add("code", _("地址编码须以上级编码“%(base)s”开头") % {"base": base})
    errors.raise_if_any()
    return {
        "level": level,
        "name": name,
        "parent": parent.code if parent else "",
        "village": village.code,
        "lon": lon,
        "lat": lat,
        "code": code,
    }


def clean_person(raw: dict, *, actor, prefix: str = "", in_household: bool = False) -> dict:
    """A person; inside a household the residence and household come from it."""
    errors = Errors(prefix)
    data: dict = {}
    data["name"] = _required(raw, "name", errors, _("姓名"), max_length=60)
    data["category"] = _choice(
        raw, "category", PersonCategory, errors, _("人口类别"), default=PersonCategory.REGISTERED
    )
    data["id_type"] = _choice(
        raw, "id_type", DocumentType, errors, _("证件类型"), default=DocumentType.RESIDENT_ID
    )
    number = _text(raw, "id_number", max_length=40)
    data["id_number"] = ""
    if not number:
        errors.add("id_number", _("请填写证件号码"))
    elif data["id_type"]:
        try:
            data["id_number"] = identity.check_document(data["id_type"], number)
        except ValidationError as exc:
            errors.take(exc)
    if data["category"] == PersonCategory.REGISTERED and data["id_type"] not in (
        "",
        DocumentType.RESIDENT_ID,
    ):
        errors.add("id_type", _("户籍人口须登记居民身份证"))
    if data["category"] == PersonCategory.OVERSEAS and data["id_type"] == DocumentType.RESIDENT_ID:
        errors.add("id_type", _("境外人员须登记护照或其他出入境证件"))
    gender = _choice(raw, "gender", Gender, errors, _("性别"), blank=True)
    birth = _date(raw, "birth_date", errors, _("出生日期"))
    if data["id_type"] == DocumentType.RESIDENT_ID and data["id_number"]:
        derived_gender = str(identity.gender_of(data["id_number"]))
        derived_birth = identity.birth_date_of(data["id_number"]).isoformat()
        if gender and gender not in (derived_gender, Gender.UNKNOWN):
            errors.add("gender", _("性别与身份证号码不符"))
        if birth and birth != derived_birth:
            errors.add("birth_date", _("出生日期与身份证号码不符"))
        gender, birth = derived_gender, derived_birth
    if birth and birth > timezone.localdate().isoformat():
        errors.add("birth_date", _("出生日期不能晚于今天"))
    data["gender"] = gender or Gender.UNKNOWN
    data["birth_date"] = birth
    data["ethnicity"] = _ethnicity(raw, "ethnicity", errors)
    nationality = (_text(raw, "nationality", max_length=3) or "CHN").upper()
    if not (len(nationality) == 3 and nationality.isalpha() and nationality.isascii()):
        errors.add("nationality", _("国籍应为三位字母代码，如 CHN、VNM"))
    data["nationality"] = nationality
    try:
        data["phone"] = identity.check_phone(_text(raw, "phone", max_length=30))
    except ValidationError as exc:
        errors.take(exc)
        data["phone"] = ""
    data["hukou_place"] = _text(raw, "hukou_place", max_length=200)
    data["relation"] = _choice(raw, "relation", Relation, errors, _("与户主关系"), blank=True)
    data["residence_start"] = _date(raw, "residence_start", errors, _("居住起始日期"))
    data["residence_end"] = _date(raw, "residence_end", errors, _("居住终止日期"))
    if (
        data["residence_start"]
        and data["residence_end"]
        and data["residence_end"] < data["residence_start"]
    ):
        errors.add("residence_end", _("居住终止日期不能早于起始日期"))
    data["status"] = _choice(
        raw, "status", PersonStatus, errors, _("状态"), default=PersonStatus.PRESENT
    )
    if not in_household:
        residence = _address(raw, "residence", errors, _("居住地址"), actor)
        data["residence"] = residence.code if residence else ""
        if "household" in raw:
            # Only when given: a change that does not mention the household keeps it.
            household = _text(raw, "household", max_length=16)
            if household:
                from gridgov.registry.models import Household

                if not _restricted(Household, actor).filter(public_id=household).exists():
                    errors.add("household", _("未找到户“%(id)s”") % {"id": household})
            data["household"] = household
    person = _text(raw, "person", max_length=16)
    if person:
        data["person"] = person  # an existing person joining a household
    event = raw.get("event") or {}
    if event:
        event_errors = Errors(f"{prefix}event.")
        kind = _choice(event, "kind", PersonEventKind, event_errors, _("变动类型"))
        when = _date(event, "date", event_errors, _("变动日期"), required=True)
        errors.merge(event_errors)
        data["event"] = {"kind": kind, "date": when, "note": _text(event, "note", max_length=200)}
    errors.raise_if_any()
    return data


def clean_household(raw: dict, *, actor, prefix: str = "") -> dict:
    """{address, number, kind, members: [person…]} — exactly one member is the head."""
    errors = Errors(prefix)
    address = _address(raw, "address", errors, _("住址"), actor)
    data = {
        "address": address.code if address else "",
        "number": _text(raw, "number", max_length=30),
        "kind": _choice(raw, "kind", HouseholdKind, errors, _("户类型"), default="family"),
        "members": [],
    }
    members = raw.get("members") or []
    if not isinstance(members, list) or not members:
        errors.add("members", _("请至少登记一名家庭成员"))
        members = []
    if len(members) > MAX_MEMBERS:
        errors.add("members", _("一户最多登记%(n)d人") % {"n": MAX_MEMBERS})
        members = []
    seen: dict[str, int] = {}
    for index, member in enumerate(members):
        member_prefix = f"members-{index}-"
        try:
            cleaned = clean_person(
                member or {}, actor=actor, prefix=member_prefix, in_household=True
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.errors.setdefault(field, []).extend(messages)
            continue
        key = f"{cleaned['id_type']}:{cleaned['id_number']}"
        if key in seen:
            errors.add(
                f"members-{index}-id_number", _("与第%(n)d人的证件号码重复") % {"n": seen[key] + 1}
            )
        seen[key] = index
        data["members"].append(cleaned)
    if data["kind"] == HouseholdKind.FAMILY and members and not errors.errors:
        heads = [m for m in data["members"] if m["relation"] == Relation.HEAD]
        if len(heads) != 1:
            errors.add("members", _("家庭户须有且只有一名户主"))
    errors.raise_if_any()
    return data


def clean_house(raw: dict, *, actor, prefix: str = "") -> dict:
    errors = Errors(prefix)
    address = _address(raw, "address", errors, _("房屋地址"), actor)
    owner = _person(raw, "owner", errors, _("产权人"), actor)
    owner_unit = _unit(raw, "owner_unit", errors, _("产权单位"), actor)
    if owner and owner_unit:
        errors.add("owner_unit", _("房屋只能登记一个产权人（个人或单位）"))
    data = {
        "address": address.code if address else "",
        "use": _choice(raw, "use", HouseUse, errors, _("房屋用途")),
        "owner": owner.public_id if owner else "",
        "owner_unit": owner_unit.public_id if owner_unit else "",
        "floor_area": _decimal(raw, "floor_area", errors, _("建筑面积"), max_value=10**6),
        "note": _text(raw, "note", max_length=200),
    }
    errors.raise_if_any()
    return data


def clean_rental(raw: dict, *, actor, prefix: str = "") -> dict:
    from gridgov.registry.models import House

    errors = Errors(prefix)
    house_id = _text(raw, "house", max_length=16)
    house = _restricted(House, actor).filter(public_id=house_id).first() if house_id else None
    if not house_id:
        errors.add("house", _("请选择出租的房屋"))
    elif house is None:
        errors.add("house", _("未找到房屋“%(id)s”") % {"id": house_id})
    landlord = _person(raw, "landlord", errors, _("出租人"), actor, required=True)
    tenants = []
    for index, public_id in enumerate(raw.get("tenants") or []):
        tenant = _person({"t": public_id}, "t", Errors(), _("承租人"), actor)
        if tenant is None:
            errors.add(f"tenants-{index}", _("未找到承租人“%(id)s”") % {"id": public_id})
        else:
            tenants.append(tenant.public_id)
    start = _date(raw, "start_date", errors, _("租赁起始日期"), required=True)
    end = _date(raw, "end_date", errors, _("租赁终止日期"))
    if start and end and end < start:
        errors.add("end_date", _("租赁终止日期不能早于起始日期"))
    errors.raise_if_any()
    return {
        "house": house.public_id,
        "landlord": landlord.public_id,
        "tenants": sorted(set(tenants)),
        "start_date": start,
        "end_date": end,
    }


def clean_unit(raw: dict, *, actor, prefix: str = "") -> dict:
    errors = Errors(prefix)
    data = {"name": _required(raw, "name", errors, _("单位名称"), max_length=200)}
    try:
        data["credit_code"] = identity.check_credit_code(_text(raw, "credit_code", max_length=30))
    except ValidationError as exc:
        errors.take(exc)
        data["credit_code"] = ""
    data["kind"] = _choice(raw, "kind", UnitKind, errors, _("单位类别"))
    address = _address(raw, "address", errors, _("单位地址"), actor)
    data["address"] = address.code if address else ""
    data["legal_representative"] = _text(raw, "legal_representative", max_length=60)
    data["contact_name"] = _text(raw, "contact_name", max_length=60)
    try:
        data["contact_phone"] = identity.check_phone(
            _text(raw, "contact_phone", max_length=30), "contact_phone"
        )
    except ValidationError as exc:
        errors.take(exc)
        data["contact_phone"] = ""
    data["staff_count"] = _integer(raw, "staff_count", errors, _("从业人数"))
    data["is_key_unit"] = _bool(raw, "is_key_unit")
    data["key_place_kind"] = _choice(
        raw, "key_place_kind", KeyPlaceKind, errors, _("重点场所类别"), blank=True
    )
    data["patrol_frequency"] = _choice(
        raw, "patrol_frequency", PatrolFrequency, errors, _("巡查频次"), blank=True
    )
    if data["key_place_kind"]:
        data["is_key_unit"] = True
    if data["is_key_unit"] and not data["patrol_frequency"]:
        errors.add("patrol_frequency", _("重点单位须设定巡查频次"))
    errors.raise_if_any()
    return data


def clean_vessel(raw: dict, *, actor, prefix: str = "") -> dict:
    from gridgov.areas.choices import ExclusiveSubject, GridStatus
    from gridgov.areas.models import Grid

    errors = Errors(prefix)
    data = {
        "name": _required(raw, "name", errors, _("船名"), max_length=100),
        "registration_number": _required(
            raw, "registration_number", errors, _("船舶登记号"), max_length=40
        ).upper(),
        "kind": _choice(raw, "kind", VesselKind, errors, _("船舶类别"), default="fishing"),
        "vessel_group": _text(raw, "vessel_group", max_length=100),
        "home_port": _text(raw, "home_port", max_length=100),
        "length_m": _decimal(raw, "length_m", errors, _("船长"), max_value=1000),
        "gross_tonnage": _decimal(raw, "gross_tonnage", errors, _("总吨位"), max_value=10**6),
    }
    owner = _person(raw, "owner", errors, _("船舶所有人"), actor)
    owner_unit = _unit(raw, "owner_unit", errors, _("所有单位"), actor)
    if owner and owner_unit:
        errors.add("owner_unit", _("船舶只能登记一个所有人（个人或单位）"))
    data["owner"] = owner.public_id if owner else ""
    data["owner_unit"] = owner_unit.public_id if owner_unit else ""
    grid_code = _text(raw, "grid", max_length=15)
    grids = Grid.objects.filter(code=grid_code, status=GridStatus.ACTIVE)
    if actor is not None:
        grids = grids & Grid.objects.restrict(actor, "view")
    grid = grids.first() if grid_code else None
    if not grid_code:
        errors.add("grid", _("请选择所属海上网格"))
    elif grid is None:
        errors.add("grid", _("未找到网格“%(code)s”") % {"code": grid_code})
    elif grid.subject != ExclusiveSubject.MARITIME:
        errors.add("grid", _("船舶须登记在海上专属网格"))
    data["grid"] = grid.code if grid else ""
    errors.raise_if_any()
    return data


CLEANERS = {
    RecordKind.ADDRESS: clean_address,
    RecordKind.HOUSE: clean_house,
    RecordKind.RENTAL: clean_rental,
    RecordKind.PERSON: clean_person,
    RecordKind.HOUSEHOLD: clean_household,
    RecordKind.UNIT: clean_unit,
    RecordKind.VESSEL: clean_vessel,
}


def clean(kind: str, raw: dict, *, actor) -> dict:
    if not isinstance(raw, dict):
        raise ValidationError({"__all__": [_("采集内容格式错误")]})
    return CLEANERS[RecordKind(kind)](raw, actor=actor)
