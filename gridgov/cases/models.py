"""Cases (事件/诉求) and what happens to them: the typed timeline, department assignments,
supervision orders, attachments and idempotency keys (第十七条).

A case is held by exactly one party at a time — a grid's staff, an agency (village, town,
county, city) or the lead linkage department — and carries the deadline of its current
stage in ``due_at`` (indexed: overdue is a query, the sweeper flips colours). ``stage``
counts holder changes so that a reminder is sent once per stage.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.cases.choices import (
    OPEN_STATES,
    AssignmentRole,
    AssignmentStatus,
    Channel,
    EventKind,
    ExtensionStatus,
    Flag,
    Rating,
    RejectGround,
    Status,
    SupervisionStatus,
    Urgency,
)
from gridgov.core.fields import BlindIndexField, EncryptedTextField, normalise_phone
from gridgov.core.masking import mask_name, mask_phone
from gridgov.core.querysets import RestrictedManager, RestrictedQuerySet

# Tracking codes are read out on the phone: no 0/O, 1/I/L.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


class CaseQuerySet(RestrictedQuerySet):
    def open(self):
        return self.filter(status__in=sorted(OPEN_STATES))


class Case(models.Model):
    number = models.CharField(_("事件编号"), max_length=20, unique=True)
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    channel = models.CharField(_("来源"), max_length=10, choices=Channel.choices)
    matter = models.ForeignKey(
        "matters.Matter", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases"
    )
    attributes = models.JSONField(_("事项要素"), default=dict, blank=True)
    description = models.TextField(_("情况描述"))
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    # Where: a point (WGS-84) located in a grid, or an area chosen when there is no point.
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # The grid's code, or the chosen area's: what scope rules match with startswith.
    place_code = models.CharField(_("所在区划代码"), max_length=15)
    county = models.ForeignKey(
        "areas.Area", verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="+"
    )
    # Who raised it. Residents have no account: name and phone are encrypted, and the
    # phone has a blind index so that a resident's cases can be found by exact number.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人账户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = EncryptedTextField(_("反映人"), blank=True, mask=mask_name)
    reporter_phone = EncryptedTextField(
        _("联系电话"),
        blank=True,
        blind_index="reporter_phone_index",
        normalise=normalise_phone,
        mask=mask_phone,
    )
    reporter_phone_index = BlindIndexField()
    anonymous = models.BooleanField(_("匿名"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The flow.
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    holder_grid = models.ForeignKey(
        "areas.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holder_area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holder_department = models.ForeignKey(
        "orgs.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The agency that dispatched to departments: it approves extensions and verifies.
    dispatching_area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.PositiveIntegerField(_("环节序号"), default=1)
    stage_started_at = models.DateTimeField(_("环节开始"))
    due_at = models.DateTimeField(_("本环节期限"), null=True, blank=True)
    warn_at = models.DateTimeField(_("临期提醒时间"), null=True, blank=True)
    flag = models.CharField(_("预警"), max_length=8, choices=Flag.choices, default=Flag.NORMAL)
    # Which sweeper run set the flag (two sweepers never both notify one change).
    flag_claim = models.CharField(max_length=32, blank=True)
    last_urged_at = models.DateTimeField(_("最近催办"), null=True, blank=True)
    # Outcome.
    result = models.TextField(_("办理结果"), blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    feedback = models.TextField(_("反馈内容"), blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    reject_ground = models.CharField(
        _("不予受理理由"), max_length=12, choices=RejectGround.choices, blank=True
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    side_reason = models.CharField(_("缓办/挂账理由"), max_length=500, blank=True)
    postponed_until = models.DateField(_("缓办至"), null=True, blank=True)
    created_at = models.DateTimeField(_("上报时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    objects = RestrictedManager.from_queryset(CaseQuerySet)()

    class Meta:
        verbose_name = pgettext_lazy("case", "事件")
        verbose_name_plural = pgettext_lazy("case", "事件")
        ordering = ["-created_at"]
        indexes = [
            # Inboxes: an agency's, a department's, a grid's work by due time. Terminal
            # cases have no holder, so these indexes hold open work only in effect.
            models.Index(fields=["holder_area", "due_at"], name="case_inbox_area"),
            models.Index(fields=["holder_department", "due_at"], name="case_inbox_department"),
            models.Index(fields=["holder_grid", "due_at"], name="case_inbox_grid"),
            # The sweeper: cases whose warning time or deadline has come (terminal and
            # paused cases have neither).
            models.Index(fields=["flag", "warn_at"], name="case_sweep_warn"),
            models.Index(fields=["flag", "due_at"], name="case_sweep_due"),
            # Lists and boards within an area's subtree.
            models.Index(fields=["place_code", "created_at"], name="case_place"),
            models.Index(fields=["matter", "status"], name="case_matter_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reopen_count__lte=1),
                name="case_reopened_at_most_once",
                violation_error_message=_("不满意重办只能一次"),
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=["closed", "rejected", "merged", "fed_back"])
                    | Q(holder_grid__isnull=False)
                    | Q(holder_area__isnull=False)
                    | Q(holder_department__isnull=False)
                ),
                name="case_open_has_holder",
                violation_error_message=_("办理中的事件必须有承办方"),
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(duplicate_of__isnull=False),
                name="case_merged_has_target",
                violation_error_message=_("合并的事件必须指明合并到哪个事件"),
            ),
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(reporter_phone_index__isnull=True),
                name="case_anonymous_has_no_contact",
                violation_error_message=_("匿名反映不保存联系方式"),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_target_id(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


class CaseEvent(models.Model):
    """One line of a case's timeline: who, in which role, when, what, with which note."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=24, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Copies that survive the account: the name and role shown on the timeline.
    actor_name = models.CharField(_("办理人"), max_length=50, blank=True)
    actor_role = models.CharField(_("办理单位/岗位"), max_length=100, blank=True)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    # ``note`` is internal; ``public_note`` is what the requester may read.
    note = models.TextField(_("意见"), blank=True)
    public_note = models.TextField(_("公开说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


def attachment_path(instance, filename: str) -> str:
    return f"cases/{instance.case.created_at:%Y/%m}/{instance.case.number}/{filename}"


def new_attachment_token() -> str:
    """22 URL-safe characters (128 random bits): fits the column on every database."""
    return secrets.token_urlsafe(16)


class CaseAttachment(models.Model):
    """A photo or PDF (type and size checked, stored through Django's storage, not the DB)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    public = models.BooleanField(_("向反映人公开"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    token = models.CharField(max_length=22, unique=True, default=new_attachment_token)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CaseAssignment(models.Model):
    """A case passed (流转) to a linkage department: one lead, optionally assistants."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(
        "orgs.Department", on_delete=models.PROTECT, related_name="case_assignments"
    )
    role = models.CharField(_("承办类型"), max_length=8, choices=AssignmentRole.choices)
    status = models.CharField(_("状态"), max_length=12, choices=AssignmentStatus.choices)
    active = models.BooleanField(default=True)
    dispatched_at = models.DateTimeField(_("流转时间"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    instructions = models.TextField(_("流转意见"), blank=True)
    sign_due_at = models.DateTimeField(_("签收期限"))
    return_due_at = models.DateTimeField(_("退回期限"))
    reply_due_at = models.DateTimeField(_("答复期限"))
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_reason = models.TextField(_("退回理由"), blank=True)
    reply = models.TextField(_("答复内容"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    extension_status = models.CharField(
        _("延期"), max_length=10, choices=ExtensionStatus.choices, blank=True, default=""
    )
    extension_until = models.DateTimeField(_("申请延至"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("部门承办")
        verbose_name_plural = _("部门承办")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["department", "status"],
                name="case_assignment_dept",
                condition=Q(active=True),
            ),
            # Extension requests waiting for an agency (a handful among millions of rows).
            models.Index(
                fields=["case"],
                name="case_assignment_ext_pending",
                condition=Q(extension_status="pending"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(active=True, role="lead"),
                name="case_one_active_lead",
                violation_error_message=_("一件事件同时只能有一个主办部门"),
            ),
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=Q(active=True),
                name="case_department_once",
                violation_error_message=_("同一部门不能重复承办同一事件"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department_id}"


class SupervisionOrder(models.Model):
    """督办单: an agency tells the current holder to act, with its own deadline."""

    number = models.CharField(_("督办单号"), max_length=20, unique=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    issued_by_area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("督办机构")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("督办时间"))
    # The supervised party: an agency or a department (the holder when issued).
    target_area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_department = models.ForeignKey(
        "orgs.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_grid = models.ForeignKey(
        "areas.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    demand = models.TextField(_("督办要求"))
    due_at = models.DateTimeField(_("回复期限"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=SupervisionStatus.choices,
        default=SupervisionStatus.OPEN,
    )
    answer = models.TextField(_("回复内容"), blank=True)
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overdue_notified = models.BooleanField(default=False)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_at"]
        indexes = [
            models.Index(fields=["due_at"], name="supervision_open_due", condition=Q(status="open"))
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "issued_by_area"],
                condition=Q(status="open"),
                name="supervision_one_open_per_agency",
                violation_error_message=_("本机构对该事件已有未回复的督办单"),
            ),
            models.CheckConstraint(
                condition=Q(target_area__isnull=False)
                | Q(target_department__isnull=False)
                | Q(target_grid__isnull=False),
                name="supervision_has_target",
                violation_error_message=_("督办单必须有督办对象"),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class IdempotencyKey(models.Model):
    """A submission already taken: the same key from the same submitter returns its case."""

    owner = models.CharField(max_length=40)  # "user:<id>" or "public"
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"],
                name="case_idempotency_key_unique",
                violation_error_message=_("重复提交"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"


class CaseCounter(models.Model):
    """The last case number given out per day (SJ + date + a five-digit sequence)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class CasePolicy(models.Model):
    """Time limits of the flow, as data (one row; a system administrator edits it).

    The department's reply time is the matter's (legal time or the list's, default 5
    working days, 第十七条); the others are the city's own rules.
    """

    accept_workdays = models.PositiveSmallIntegerField(_("受理时限（工作日）"), default=1)
    grid_workdays = models.PositiveSmallIntegerField(_("网格处理时限（工作日）"), default=1)
    agency_workdays = models.PositiveSmallIntegerField(_("机构办理时限（工作日）"), default=5)
    sign_workdays = models.PositiveSmallIntegerField(_("部门签收时限（工作日）"), default=1)
    return_workdays = models.PositiveSmallIntegerField(_("部门退回时限（工作日）"), default=1)
    verify_workdays = models.PositiveSmallIntegerField(_("核查时限（工作日）"), default=2)
    feedback_workdays = models.PositiveSmallIntegerField(_("反馈时限（工作日）"), default=1)
    rework_workdays = models.PositiveSmallIntegerField(_("返工时限（工作日）"), default=3)
    rating_days = models.PositiveSmallIntegerField(
        _("评价期（自然日，逾期视为未评价并结案）"), default=7
    )
    warn_percent = models.PositiveSmallIntegerField(_("临期提醒（已用时间百分比）"), default=75)
    urge_interval_minutes = models.PositiveIntegerField(_("催办间隔（分钟）"), default=60)
    max_extension_workdays = models.PositiveSmallIntegerField(_("延期最长（工作日）"), default=10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("办理时限设置")
        verbose_name_plural = _("办理时限设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_percent__gte=10, warn_percent__lte=95),
                name="case_policy_warn_percent_range",
                violation_error_message=_("临期提醒应在 10%–95% 之间"),
            )
        ]

    def __str__(self) -> str:
        return "CasePolicy"

    @classmethod
    def current(cls) -> "CasePolicy":
        # Unsaved defaults until an administrator saves the first row.
        return cls.objects.order_by("pk").first() or cls()
