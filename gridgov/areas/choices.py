from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.IntegerChoices):
    CITY = 1, _("市")
    COUNTY = 2, _("县（区）")
    TOWN = 3, _("镇（街道）")
    VILLAGE = 4, _("村（社区）")


# Length of the materialised-path code at each level: 4507 / 450702 / 450702101 / 450702101201.
CODE_LENGTH = {AreaLevel.CITY: 4, AreaLevel.COUNTY: 6, AreaLevel.TOWN: 9, AreaLevel.VILLAGE: 12}
GRID_CODE_LENGTH = 15


class AreaKind(models.TextChoices):
    CITY = "city", _("地级市")
    DISTRICT = "district", _("市辖区")
    COUNTY = "county", _("县")
    COUNTY_CITY = "county_city", _("县级市")
    SUBDISTRICT = "subdistrict", _("街道")
    TOWN = "town", _("镇")
    TOWNSHIP = "township", _("乡")
    TOWN_LIKE = "town_like", _("类似乡级单位")
    COMMUNITY = "community", _("居民委员会")
    VILLAGE = "village", _("村民委员会")
    VILLAGE_LIKE = "village_like", _("类似村级单位")


class GridKind(models.TextChoices):
    URBAN = "urban", _("城市社区网格")
    RURAL = "rural", _("农村网格")
    EXCLUSIVE = "exclusive", _("专属网格")


TERRITORIAL_KINDS = (GridKind.URBAN, GridKind.RURAL)


class ExclusiveSubject(models.TextChoices):
    ADMIN_CENTRE = "admin_centre", _("行政中心")
    INDUSTRIAL_PARK = "industrial_park", _("产业园区")
    INSTITUTION = "institution", _("企事业单位")
    OFFICE_BUILDING = "office_building", _("商务楼宇")
    MARKET = "market", _("商圈市场")
    CANAL_HUB = "canal_hub", _("平陆运河枢纽")
    MARITIME = "maritime", _("海上")


class MaritimeKind(models.TextChoices):
    VESSEL_GROUP = "vessel_group", _("船只编组")
    AQUACULTURE = "aquaculture", _("水产养殖海域")
    SEA_WORK_AREA = "sea_work_area", _("海上生产作业区域")


class GridStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    RETIRED = "retired", _("已撤销")


class AdjustmentKind(models.TextChoices):
    CREATE = "create", _("新设")
    SPLIT = "split", _("拆分")
    MERGE = "merge", _("合并")
    REDRAW = "redraw", _("边界调整")
    RETIRE = "retire", _("撤销")


class AdjustmentTrigger(models.TextChoices):
    """The three grounds of 第六条 for adjusting grids."""

    VILLAGE_RESIZED = "village_resized", _("网格所在村、社区规模调整")
    RELOCATION = "relocation", _("网格内出现重大搬迁、人员流动变化")
    OTHER = "other", _("其他需要调整的情形")


class AdjustmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class GridEventKind(models.TextChoices):
    CREATED = "created", _("设立")
    REDRAWN = "redrawn", _("边界调整")
    RETIRED = "retired", _("撤销")
    RENAMED = "renamed", _("更名")
