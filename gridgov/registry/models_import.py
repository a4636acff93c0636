"""Import jobs and export requests of the registry (条例 第十条(一), 第二十条; docs/registry-import.md).

An :class:`ImportJob` is one uploaded department file (公安户籍, 民政, 市场监管 …): it is
checked (dry run: every bad row reported, nothing written), then imported by a background
task that advances ``done`` for the progress bar. Its report holds row numbers, column
names and reasons only — never the values of the file.

An :class:`ExportRequest` is one filtered list to download. Masked exports are built at
once; an unmasked one waits until a second staff member of the same agency approves it.
The file is watermarked with the requester's name and time and expires 24 hours after it
was built. Both files live in private storage (:func:`private_storage`) and are only ever
streamed by views that check scope and audit the download; they never get a public URL.

Imported at the end of ``registry/models.py``.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.querysets import RestrictedManager
from gridgov.registry.models import PublicIdMixin

__all__ = [
    "ExportFormat",
    "ExportKind",
    "ExportRequest",
    "ExportStatus",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "private_storage",
]


def private_storage():
    """Where import uploads and export files go: never under a public URL.

    ``STORAGES["registry_private"]`` if the deployment defines it (an S3 bucket without
    public access, say); otherwise the default storage when it is not the local file
    system (object storage, the tests' in-memory storage); otherwise ``var/private/``,
    outside ``MEDIA_ROOT`` (which the development server serves).
    """
    if "registry_private" in settings.STORAGES:
        return storages["registry_private"]
    backend = settings.STORAGES.get("default", {}).get("BACKEND", "")
    if backend and backend != "django.core.files.storage.FileSystemStorage":
        return storages["default"]
    return FileSystemStorage(location=settings.VAR_DIR / "private", base_url=None)


class ImportKind(models.TextChoices):
    PERSONS = "persons", _("实有人口")
    CARE_TAGS = "care_tags", _("关爱对象")
    UNITS = "units", _("实有单位")
    ADDRESSES = "addresses", _("标准地址和房屋")
    RENTALS = "rentals", _("出租房屋")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    CHECKING = "checking", _("校验中")
    CHECKED = "checked", _("已校验")
    QUEUED = "queued", _("等待导入")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class ImportJob(PublicIdMixin):
    """One uploaded file: its dry run, its import and the final report."""

    kind = models.CharField(_("数据类别"), max_length=12, choices=ImportKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ImportStatus.choices,
        default=ImportStatus.UPLOADED,
        db_index=True,
    )
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("导入辖区"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("文件中的记录须位于此辖区内"),
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("数据来源部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_note = models.CharField(_("数据说明"), max_length=200, blank=True)
    file = models.FileField(
        _("文件"), storage=private_storage, upload_to="registry/imports/", max_length=200
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(_("文件格式"), max_length=10, blank=True)
    encoding = models.CharField(_("文件编码"), max_length=20, blank=True)
    sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True)
    total = models.PositiveIntegerField(_("数据行数"), default=0)
    done = models.PositiveIntegerField(_("已处理行数"), default=0)
    bad_rows = models.PositiveIntegerField(_("有误行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("无变化"), default=0)
    conflict_count = models.PositiveIntegerField(_("待核实（冲突）"), default=0)
    # [[row, column, reason], …]: never the cell values (they may be personal data).
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    failure = models.CharField(_("失败原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    checked_at = models.DateTimeField(_("校验时间"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("启动导入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始导入时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = RestrictedManager()
    scope_area_field = "area__code"

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")),
                name="import_job_done_within_total",
                violation_error_message=_("已处理行数不能超过数据行数"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    def audit_repr(self) -> str:
        return str(self)

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def good_rows(self) -> int:
        return max(self.total - self.bad_rows, 0)

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING)


class ExportKind(models.TextChoices):
    PERSONS = "persons", _("实有人口")
    UNITS = "units", _("实有单位")
    HOUSES = "houses", _("房屋")


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel 工作簿（.xlsx）")
    CSV = "csv", _("CSV（UTF-8）")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    BUILDING = "building", _("生成中")
    READY = "ready", _("可下载")
    REJECTED = "rejected", _("未批准")
    EXPIRED = "expired", _("已过期")
    FAILED = "failed", _("失败")


class ExportRequest(PublicIdMixin):
    """A filtered list to download; unmasked ones need a second person's approval."""

    kind = models.CharField(_("数据类别"), max_length=10, choices=ExportKind.choices)
    file_format = models.CharField(
        _("文件格式"), max_length=5, choices=ExportFormat.choices, default=ExportFormat.XLSX
    )
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    scope_code = models.CharField(
        _("导出范围"), max_length=15, help_text=_("区划或网格编码：只导出其中的记录")
    )
    agency_area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("审批机构所在区划"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    unmasked = models.BooleanField(_("含完整个人信息"), default=False)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ExportStatus.choices, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    file = models.FileField(
        _("文件"),
        storage=private_storage,
        upload_to="registry/exports/",
        max_length=200,
        blank=True,
    )
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    ready_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True, db_index=True)
    downloads = models.PositiveIntegerField(_("下载次数"), default=0)
    failure = models.CharField(_("失败原因"), max_length=300, blank=True)

    objects = RestrictedManager()
    scope_area_field = "agency_area__code"

    class Meta:
        verbose_name = _("导出申请")
        verbose_name_plural = _("导出申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unmasked=False) | ~Q(purpose=""),
                name="export_unmasked_has_purpose",
                violation_error_message=_("导出完整个人信息须说明用途"),
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="export_not_approved_by_requester",
                violation_error_message=_("申请人不能审批自己的导出申请"),
            ),
        ]

    def __str__(self) -> str:
        mode = _("完整") if self.unmasked else _("脱敏")
        return f"{self.get_kind_display()}（{mode}）{self.public_id}"

    def audit_repr(self) -> str:
        return str(self)

    @property
    def is_expired(self) -> bool:
        return self.status == ExportStatus.EXPIRED or (
            self.expires_at is not None and self.expires_at <= timezone.now()
        )

    @property
    def download_name(self) -> str:
        stamp = timezone.localtime(self.ready_at or self.requested_at).strftime("%Y%m%d%H%M")
        mode = "完整" if self.unmasked else "脱敏"
        return f"{self.get_kind_display()}_{mode}_{stamp}_{self.public_id}.{self.file_format}"


from gridgov.registry import scope_import  # noqa: E402,F401 (registers the scope rules)
