"""Choices of the basic-information registry (基础信息采集, 一标三实).

Lists that a city may need to change (care-tag kinds and who may see them, ethnicities)
are tables seeded by data migrations, not choices.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AddressLevel(models.TextChoices):
    """The parts of a standard address below the village/community (标准地址)."""

    ROAD = "road", _("街路巷")
    DOOR = "door", _("门牌")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")
    ROOM = "room", _("户室")


# Which level may hang under which (None: directly under the village/community).
ADDRESS_PARENTS = {
    AddressLevel.ROAD: (None,),
    AddressLevel.DOOR: (None, AddressLevel.ROAD),
    AddressLevel.BUILDING: (AddressLevel.DOOR,),
    AddressLevel.UNIT: (AddressLevel.BUILDING,),
    AddressLevel.ROOM: (AddressLevel.DOOR, AddressLevel.BUILDING, AddressLevel.UNIT),
}
# Levels that carry a point of their own (the others inherit their parent's grid).
POINT_LEVELS = (AddressLevel.DOOR, AddressLevel.BUILDING)
# The letter and width of each level in a generated address code:
# 450702112201 L001 M0012 B03 U2 H0301 (letters keep codes of different shapes apart).
ADDRESS_CODE_PARTS = {
    AddressLevel.ROAD: ("L", 3),
    AddressLevel.DOOR: ("M", 4),
    AddressLevel.BUILDING: ("B", 3),
    AddressLevel.UNIT: ("U", 2),
    AddressLevel.ROOM: ("H", 4),
}


class HouseUse(models.TextChoices):
    OWN = "own", _("自住")
    RENTED = "rented", _("出租")
    VACANT = "vacant", _("空置")
    BUSINESS = "business", _("经营")
    OTHER = "other", _("其他")


class DocumentType(models.TextChoices):
    """ID documents (证件类型)."""

    RESIDENT_ID = "ric", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO_PERMIT = "hkmo", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "tw", _("台湾居民来往大陆通行证")
    PERMANENT_RESIDENCE = "prc", _("外国人永久居留身份证")
    OTHER = "other", _("其他证件")


class Gender(models.TextChoices):
    """GB/T 2261.1."""

    UNKNOWN = "0", _("未知")
    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNSTATED = "9", _("未说明")


class PersonCategory(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")
    OVERSEAS = "overseas", _("境外人员")


class PersonStatus(models.TextChoices):
    PRESENT = "present", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已死亡")


class Relation(models.TextChoices):
    """Relation to the head of the household (与户主关系, simplified GB/T 4761)."""

    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母或外祖父母")
    GRANDCHILD = "grandchild", _("孙子女或外孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", _("儿媳或女婿")
    OTHER_RELATIVE = "relative", _("其他亲属")
    NON_RELATIVE = "non_relative", _("非亲属")


class HouseholdKind(models.TextChoices):
    FAMILY = "family", _("家庭户")
    COLLECTIVE = "collective", _("集体户")


class PersonEventKind(models.TextChoices):
    MOVE_IN = "move_in", _("迁入")
    MOVE_OUT = "move_out", _("迁出")
    BIRTH = "birth", _("出生")
    DEATH = "death", _("死亡")


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SOLE_TRADER = "sole_trader", _("个体工商户")
    GOVERNMENT = "government", _("机关")
    INSTITUTION = "institution", _("事业单位")
    SOCIAL_ORG = "social_org", _("社会组织")
    OTHER = "other", _("其他")


class KeyPlaceKind(models.TextChoices):
    """重点单位 / 重点场所."""

    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    HAZARDOUS_CHEMICALS = "hazchem", _("危险化学品场所")
    CROWDED_PLACE = "crowded", _("人员密集场所")
    OTHER = "other", _("其他重点场所")


class PatrolFrequency(models.TextChoices):
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    FORTNIGHTLY = "fortnightly", _("每半月")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")


PATROL_INTERVAL_DAYS = {
    PatrolFrequency.DAILY: 1,
    PatrolFrequency.WEEKLY: 7,
    PatrolFrequency.FORTNIGHTLY: 15,
    PatrolFrequency.MONTHLY: 30,
    PatrolFrequency.QUARTERLY: 91,
}


class VesselKind(models.TextChoices):
    FISHING = "fishing", _("渔船")
    CARGO = "cargo", _("货船")
    PASSENGER = "passenger", _("客船")
    AQUACULTURE = "aquaculture", _("养殖工作船")
    OTHER = "other", _("其他")


class RecordKind(models.TextChoices):
    """What a submission (采集/变更) is about."""

    ADDRESS = "address", _("标准地址")
    HOUSE = "house", _("房屋")
    RENTAL = "rental", _("出租房屋")
    PERSON = "person", _("实有人口")
    HOUSEHOLD = "household", _("户")
    UNIT = "unit", _("实有单位")
    VESSEL = "vessel", _("船舶")


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("待核实")
    VERIFIED = "verified", _("已核实")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")
    SUPERSEDED = "superseded", _("已被替代")


class SubmissionSource(models.TextChoices):
    COLLECTED = "collected", _("网格采集")
    IMPORTED = "imported", _("批量导入")
    API = "api", _("接口")


class ConflictKind(models.TextChoices):
    PERSON_TWO_PLACES = "person_two_places", _("同一证件号码登记在两处居住")
    HOUSE_TWO_OWNERS = "house_two_owners", _("同一房屋有两个产权人")
    DUPLICATE_PENDING = "duplicate_pending", _("同一对象有多条待核实的采集")
    STALE_BASE = "stale_base", _("采集所依据的版本已被更新")


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已处理")
