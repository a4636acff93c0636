from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkKind(models.TextChoices):
    """The kinds of grid work of 第十条."""

    BASIC_INFO = "basic_info", _("基础信息采集")
    OPINION = "opinion", _("社情民意收集")
    HAZARD = "hazard", _("安全隐患排查")
    DISPUTE = "dispute", _("矛盾纠纷排查化解")
    PUBLICITY = "publicity", _("法律政策宣传")
    LIVELIHOOD = "livelihood", _("民生事项服务")
    SECURITY = "security", _("社会治安防控")
    OTHER = "other", _("其他事项")


class ListLevel(models.TextChoices):
    CITY = "city", _("市级清单")
    COUNTY = "county", _("县级清单")


class StaffDuty(models.TextChoices):
    """What grid staff do for a matter."""

    COLLECT = "collect", _("采集")
    INSPECT = "inspect", _("巡查")
    REPORT = "report", _("上报")
    PUBLICISE = "publicise", _("宣传")
    SERVE = "serve", _("服务")
    ASSIST = "assist", _("协助")


class AttributeType(models.TextChoices):
    """Item-specific fields of a report (like Open311 service attributes)."""

    TEXT = "text", _("文本")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")


class ApplicationKind(models.TextChoices):
    ADMISSION = "admission", _("纳入")
    TEMPORARY = "temporary", _("临时纳入")
    ADJUSTMENT = "adjustment", _("调整")
    EXIT = "exit", _("退出")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("未同意")
    WITHDRAWN = "withdrawn", _("已撤回")


class NoticeKind(models.TextChoices):
    ADMISSION = "admission", _("纳入公告")
    TEMPORARY = "temporary", _("临时纳入公告")
    ADJUSTMENT = "adjustment", _("调整公告")
    EXIT = "exit", _("退出公告")
    EXPIRY = "expiry", _("临时事项到期")


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    MET = "met", _("已整改")
    EXITED = "exited", _("逾期未整改，已退出")


class RectificationGround(models.TextChoices):
    """What the department failed to provide (第八条)."""

    GUIDANCE = "guidance", _("未进行业务指导和技能培训")
    FUNDS = "funds", _("未保障人员、经费")
    SUPERVISION = "supervision", _("未履行工作监督")


class TaskStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    IN_PROGRESS = "in_progress", _("办理中")
    COMPLETED = "completed", _("已完成")
    REFUSED = "refused", _("已拒绝")


class RefusalGround(models.TextChoices):
    """The grounds on which grid staff may refuse a task (第十四条)."""

    OUTSIDE_LIST = "outside_list", _("超出当地网格化服务管理事项清单")
    ADMINISTRATIVE_POWER = (
        "administrative_power",
        _("实施行政许可、行政处罚、行政强制措施等应由行政机关工作人员实施的事项"),
    )
    UNLAWFUL = "unlawful", _("违反法律、法规、规章规定的事项")
