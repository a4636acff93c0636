"""The service matter list (网格服务管理事项清单, 第七至九条) and tasks given under it.

A ``Matter`` row is one version of a list entry: admission creates version 1, an
adjustment closes the version in force and opens the next one, an exit closes it. The
list as it stood on any date is the versions whose validity covers that date, so it can
always be reproduced. Every change is announced by a public ``MatterNotice`` before it
takes effect (第九条).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.querysets import RestrictedManager, RestrictedQuerySet
from gridgov.matters.choices import (
    ApplicationKind,
    ApplicationStatus,
    ListLevel,
    NoticeKind,
    RectificationStatus,
    RefusalGround,
    TaskStatus,
    WorkKind,
)

models.CharField.register_lookup(Length)


class MatterQuerySet(RestrictedQuerySet):
    def in_force(self, on=None):
        """The versions on the list on ``on`` (today by default)."""
        day = on or timezone.localdate()
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class Matter(models.Model):
    code = models.CharField(
        _("事项编码"), max_length=7, help_text=_("大类 2 位 + 小类 2 位 + 顺序号 3 位")
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("事项名称"), max_length=100)
    work_kind = models.CharField(_("工作类别"), max_length=20, choices=WorkKind.choices)
    description = models.TextField(_("事项内容"))
    level = models.CharField(_("清单层级"), max_length=10, choices=ListLevel.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("清单所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("业务主管部门"),
        on_delete=models.PROTECT,
        related_name="matters",
    )
    duties = models.JSONField(_("网格员职责"), default=list)
    deadline_workdays = models.PositiveSmallIntegerField(_("办理时限（工作日）"), default=5)
    legal_deadline_workdays = models.PositiveSmallIntegerField(
        _("法定办理时限（工作日）"), null=True, blank=True
    )
    legal_basis = models.CharField(_("法定时限依据"), max_length=200, blank=True)
    attributes = models.JSONField(_("上报字段"), default=list, blank=True)
    resident_reportable = models.BooleanField(_("群众可直接上报"), default=False)
    anonymous_allowed = models.BooleanField(_("允许匿名上报"), default=False)
    is_temporary = models.BooleanField(_("临时纳入"), default=False)
    valid_from = models.DateField(_("施行日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    retired_at = models.DateTimeField(_("到期处理时间"), null=True, blank=True)
    application = models.ForeignKey(
        "MatterApplication",
        verbose_name=_("依据申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager.from_queryset(MatterQuerySet)()
    scope_area_field = "area__code"

    class Meta:
        verbose_name = _("清单事项")
        verbose_name_plural = _("清单事项")
        ordering = ["code", "version"]
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="matter_validity")]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"],
                name="matter_code_version_unique",
                violation_error_message=_("该事项编码已有此版本"),
            ),
            models.CheckConstraint(
                condition=Q(code__length=7),
                name="matter_code_is_7_digits",
                violation_error_message=_("事项编码应为 7 位数字"),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="matter_validity_ordered",
                violation_error_message=_("截止日期不能早于施行日期"),
            ),
            models.CheckConstraint(
                condition=Q(is_temporary=False) | Q(valid_to__isnull=False),
                name="matter_temporary_has_end",
                violation_error_message=_("临时纳入的事项必须明确纳入期限（第七条）"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def audit_target_id(self) -> str:
        return f"{self.code}v{self.version}"

    def in_force_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)

    @property
    def handling_workdays(self) -> int:
        """The legal time where the law sets one, otherwise the list's (default 5)."""
        return self.legal_deadline_workdays or self.deadline_workdays


class MatterApplication(models.Model):
    """A department's application to admit, temporarily admit, adjust or withdraw a
    matter, decided by the agency of the same level (第七、九条)."""

    number = models.CharField(_("申请编号"), max_length=30, unique=True)
    kind = models.CharField(_("申请类型"), max_length=12, choices=ApplicationKind.choices)
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("申请部门"),
        on_delete=models.PROTECT,
        related_name="matter_applications",
    )
    level = models.CharField(_("清单层级"), max_length=10, choices=ListLevel.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("清单所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    matter_code = models.CharField(_("事项编码"), max_length=7, blank=True)
    proposed = models.JSONField(_("事项内容"), default=dict, blank=True)
    reason = models.TextField(_("申请理由"))
    staff_provided = models.TextField(_("配置到网格的人员"), blank=True)
    funds_provided = models.TextField(_("配置到网格的经费"), blank=True)
    training_provided = models.TextField(_("业务指导和技能培训"), blank=True)
    effective_date = models.DateField(_("拟施行日期"))
    end_date = models.DateField(_("纳入期限截止"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)
    rectification = models.ForeignKey(
        "Rectification",
        verbose_name=_("整改"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("逾期未整改而退出时的整改记录（第八条）"),
    )

    objects = RestrictedManager()
    scope_area_field = "area__code"

    class Meta:
        verbose_name = _("事项申请")
        verbose_name_plural = _("事项申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=ApplicationKind.TEMPORARY) | Q(end_date__isnull=False),
                name="application_temporary_has_end",
                violation_error_message=_("临时纳入须明确纳入期限（第七条）"),
            ),
            models.CheckConstraint(
                condition=Q(status=ApplicationStatus.SUBMITTED) | Q(decided_at__isnull=False),
                name="application_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @property
    def audit_target_id(self) -> str:
        return self.number


class MatterNotice(models.Model):
    """A public announcement of a change to the list, published before it takes effect."""

    number = models.CharField(_("公告编号"), max_length=30, unique=True)
    kind = models.CharField(_("公告类型"), max_length=12, choices=NoticeKind.choices)
    level = models.CharField(_("清单层级"), max_length=10, choices=ListLevel.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("清单所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    matter_code = models.CharField(_("事项编码"), max_length=7)
    matter_name = models.CharField(_("事项名称"), max_length=100)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    published_at = models.DateTimeField(_("发布时间"))
    effective_date = models.DateField(_("施行日期"))
    application = models.ForeignKey(
        MatterApplication, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )

    class Meta:
        verbose_name = _("清单公告")
        verbose_name_plural = _("清单公告")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Rectification(models.Model):
    """The agency orders a department to put right what it failed to provide (第八条)."""

    number = models.CharField(_("整改编号"), max_length=30, unique=True)
    matter_code = models.CharField(_("事项编码"), max_length=7)
    department = models.ForeignKey(
        "orgs.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("清单所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    grounds = models.JSONField(_("未履行的职责"), default=list)
    findings = models.TextField(_("情况说明"))
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(_("下达时间"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closing_note = models.TextField(_("办结说明"), blank=True)

    objects = RestrictedManager()
    scope_area_field = "area__code"

    class Meta:
        verbose_name = _("整改")
        verbose_name_plural = _("整改")
        ordering = ["-ordered_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="rectification_due")]

    def __str__(self) -> str:
        return f"{self.number} {self.matter_code}"

    @property
    def audit_target_id(self) -> str:
        return self.number


class Task(models.Model):
    """Work given to grids under a matter in force (任务下派)."""

    number = models.CharField(_("任务编号"), max_length=30, unique=True)
    matter = models.ForeignKey(
        Matter, verbose_name=_("清单事项"), on_delete=models.PROTECT, related_name="tasks"
    )
    title = models.CharField(_("任务名称"), max_length=100)
    instructions = models.TextField(_("工作要求"))
    due_date = models.DateField(_("完成期限"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下派人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigner_area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("下派机构所在区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigner_department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("下派部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("下派时间"))

    objects = RestrictedManager()
    scope_area_field = "assigner_area__code"

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(assigner_area__isnull=False) | Q(assigner_department__isnull=False),
                name="task_has_assigner",
                violation_error_message=_("任务须由网格化服务管理机构或业务部门下派"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_target_id(self) -> str:
        return self.number


class TaskAssignment(models.Model):
    """One grid's part of a task, and what its staff did with it."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="assignments")
    grid = models.ForeignKey(
        "areas.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="tasks"
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.ASSIGNED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    result = models.TextField(_("办理结果"), blank=True)
    refusal_ground = models.CharField(
        _("拒绝理由"), max_length=24, choices=RefusalGround.choices, blank=True
    )
    refusal_note = models.TextField(_("拒绝说明"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("任务分派")
        verbose_name_plural = _("任务分派")
        ordering = ["task", "grid__code"]
        indexes = [models.Index(fields=["grid", "status"], name="assignment_grid_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "grid"],
                name="assignment_once_per_grid",
                violation_error_message=_("同一任务不会重复分派给同一网格"),
            ),
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.REFUSED) | ~Q(refusal_ground=""),
                name="assignment_refusal_has_ground",
                violation_error_message=_("拒绝须说明第十四条规定的理由"),
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="assignment_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task.number} · {self.grid.code}"


class TaskEvent(models.Model):
    """The timeline of one assignment: accepted, progress, completed, refused."""

    assignment = models.ForeignKey(TaskAssignment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=12, choices=TaskStatus.choices)
    note = models.TextField(_("说明"), blank=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"))
    photo = models.FileField(_("照片"), upload_to="tasks/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("任务记录")
        verbose_name_plural = _("任务记录")
        ordering = ["assignment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.assignment} {self.get_kind_display()}"
