"""Choices of case handling (联动处置, 第十七条)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a case reached the system."""

    GRID = "grid", _("网格员上报")
    RESIDENT = "resident", _("群众网上反映")
    PHONE = "phone", _("电话受理")
    API = "api", _("部门系统对接")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    MAJOR = "major", _("重大")


class Status(models.TextChoices):
    """Where a case stands. ``HOLDER`` below says who acts in each."""

    AT_GRID = "at_grid", _("网格待处理")
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("办理中")
    DISPATCHED = "dispatched", _("待部门签收")
    HANDLING = "handling", _("部门办理中")
    REPLIED = "replied", _("待核查")
    RESOLVED = "resolved", _("已办结待反馈")
    FED_BACK = "fed_back", _("已反馈待评价")
    POSTPONED = "postponed", _("缓办")
    PARKED = "parked", _("挂账")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


# Who acts in each state: the grid's staff, the holding agency, or the lead department.
GRID_STATES = frozenset({Status.AT_GRID})
AGENCY_STATES = frozenset(
    {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.REPLIED,
        Status.RESOLVED,
        Status.POSTPONED,
        Status.PARKED,
    }
)
DEPARTMENT_STATES = frozenset({Status.DISPATCHED, Status.HANDLING})
# Waiting for the requester (rating), nobody's inbox.
WAITING_STATES = frozenset({Status.FED_BACK})
TERMINAL_STATES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})
OPEN_STATES = frozenset(set(Status.values) - TERMINAL_STATES)
# Open cases with a running clock (缓办 and 挂账 are counted separately by the appraisal).
TIMED_STATES = frozenset(OPEN_STATES - {Status.POSTPONED, Status.PARKED, Status.FED_BACK})


class Flag(models.TextChoices):
    """Supervision colour, set by the sweeper (``gridgov sweep``)."""

    NORMAL = "normal", _("正常")
    YELLOW = "yellow", _("临期")
    RED = "red", _("超期")


class RejectGround(models.TextChoices):
    INVALID = "invalid", _("无效诉求")
    DUPLICATE = "duplicate", _("重复上报")
    OUT_OF_LIST = "out_of_list", _("不属于网格事项")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSIST = "assist", _("协办")


class AssignmentStatus(models.TextChoices):
    DISPATCHED = "dispatched", _("待签收")
    SIGNED = "signed", _("已签收")
    RETURNED = "returned", _("已退回")
    REPLIED = "replied", _("已答复")
    WITHDRAWN = "withdrawn", _("已撤回")


class ExtensionStatus(models.TextChoices):
    NONE = "", _("无")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("未同意")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class EventKind(models.TextChoices):
    """The typed timeline of a case (one small factory per kind in ``events.py``)."""

    SUBMITTED = "submitted", _("上报")
    RESOLVED_ON_SITE = "resolved_on_site", _("就地解决")
    REPORTED_UP = "reported_up", _("上报上级")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("合并")
    HANDED_DOWN = "handed_down", _("交办")
    DISPATCHED = "dispatched", _("流转")
    SIGNED = "signed", _("签收")
    RETURNED = "returned", _("退回")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_DECIDED = "extension_decided", _("延期审批")
    REPLIED = "replied", _("答复")
    ASSIST_REPLIED = "assist_replied", _("协办答复")
    VERIFIED = "verified", _("核查通过")
    REWORK = "rework", _("返工")
    RESOLVED = "resolved", _("办结")
    FEEDBACK = "feedback", _("反馈")
    RATED = "rated", _("评价")
    REOPENED = "reopened", _("重新办理")
    POSTPONED = "postponed", _("缓办")
    PARKED = "parked", _("挂账")
    RESUMED = "resumed", _("恢复办理")
    CLOSED = "closed", _("结案")
    URGED = "urged", _("催办")
    SUPERVISED = "supervised", _("督办")
    SUPERVISION_ANSWERED = "supervision_answered", _("督办回复")
    FLAGGED = "flagged", _("预警")
    NOTE = "note", _("备注")


# Events a resident sees on the public tracking page (with their public text only).
PUBLIC_EVENTS = frozenset(
    {
        EventKind.SUBMITTED,
        EventKind.RESOLVED_ON_SITE,
        EventKind.REPORTED_UP,
        EventKind.ACCEPTED,
        EventKind.REJECTED,
        EventKind.MERGED,
        EventKind.DISPATCHED,
        EventKind.REPLIED,
        EventKind.RESOLVED,
        EventKind.FEEDBACK,
        EventKind.RATED,
        EventKind.REOPENED,
        EventKind.POSTPONED,
        EventKind.CLOSED,
    }
)


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("待回复")
    ANSWERED = "answered", _("已回复")
    CLOSED = "closed", _("已办结")
