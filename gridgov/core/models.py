"""The audit log: an append-only, HMAC-SM3-chained table of security-relevant events.

Write only through :func:`gridgov.core.audit.record`. Rows are never changed: the model,
its queryset and database triggers (migration 0002) refuse UPDATE and DELETE. The one
exception is the retention purge, which deletes the oldest rows while a marker row sits
in :class:`AuditPurge` in the same transaction; and the database's own ``SET NULL`` of
``actor`` when a user is deleted (the username copy stays, and it is what the chain
covers).

A migration that adds a column to ``core_auditevent`` must recreate the triggers (on
SQLite a rebuilt table loses them); ``test_audit`` checks that every column is guarded.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.querysets import RestrictedQuerySet


class AuditLogIsAppendOnly(Exception):
    """Audit rows cannot be changed or deleted (only purged after the retention period)."""


def kind_choices():
    """The registered event kinds (a callable, so adding a kind needs no migration)."""
    from gridgov.core.audit import AuditKind

    return AuditKind.choices


class AuditEventQuerySet(RestrictedQuerySet):
    """``restrict(user, "view")`` for the audit pages; no way to change rows."""

    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("审计日志只能追加，不能修改")

    def delete(self):
        raise AuditLogIsAppendOnly(
            "审计日志只能追加，不能删除（过期记录由 gridgov audit purge 清理）"
        )

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditLogIsAppendOnly("审计日志只能追加，不能修改")

    def bulk_create(self, objs, *args, **kwargs):
        raise AuditLogIsAppendOnly("审计记录只能通过 audit.record() 逐条写入（以便链接）")

    delete.queryset_only = True  # as Django's own: the manager has no delete()


class AuditEvent(models.Model):
    sequence = models.BigAutoField(_("序号"), primary_key=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类型"), max_length=40, choices=kind_choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    target_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=100, blank=True)
    target_repr = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    detail = models.JSONField(_("详情"), null=True, blank=True)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    chain = models.CharField(_("链值"), max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="core_audit_target_idx"),
            models.Index(fields=["actor_username", "at"], name="core_audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.actor_username}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("审计日志只能追加，不能修改")
        if not self.chain:
            raise AuditLogIsAppendOnly("审计记录只能通过 audit.record() 写入")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("审计日志只能追加，不能删除")


class AuditHead(models.Model):
    """One row: the last sequence and chain value. Locked by every writer, so rows are
    numbered and chained strictly one after another."""

    last_sequence = models.BigIntegerField(default=0)
    chain = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"head #{self.last_sequence}"


class AuditAnchor(models.Model):
    """One row: where verification starts after a purge (the last purged row)."""

    sequence = models.BigIntegerField(default=0)
    chain = models.CharField(max_length=64)
    purged_at = models.DateTimeField(null=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"anchor #{self.sequence}"


class AuditPurge(models.Model):
    """A marker that lets the triggers allow DELETE; present only inside a purge."""

    started_at = models.DateTimeField()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"purge {self.started_at}"


class PeriodicRun(models.Model):
    """When each periodic job is next due; claimed with a conditional UPDATE so that
    several workers on several machines run each job once."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("定时任务")

    def __str__(self) -> str:
        return self.name


# --- Working days (工作日) ------------------------------------------------------------------


class WorkdayKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息日")
    WORKDAY = "workday", _("工作日（调休上班）")


class WorkdayOverride(models.Model):
    """One day set by the system administrator: a regional holiday (壮族三月三), a 调休
    working day, or a national day of a year the built-in calendar lacks.

    ``region`` is an area-code prefix: "" the whole country, "45" a province, "4507" a
    city, "450702" a county. For a place the override of the longest matching prefix wins
    (see :mod:`gridgov.core.workdays`).
    """

    day = models.DateField(_("日期"))
    region = models.CharField(
        _("适用地区"), max_length=12, blank=True, help_text=_("区划代码前缀，空为全国")
    )
    kind = models.CharField(_("类别"), max_length=10, choices=WorkdayKind.choices)
    name = models.CharField(_("名称"), max_length=50)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作日设置")
        verbose_name_plural = _("工作日设置")
        ordering = ["day", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region"],
                name="workday_override_day_region_unique",
                violation_error_message=_("该地区的这一天已有设置，请先删除原设置"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.region or '全国'} {self.name}"


class CalendarYear(models.Model):
    """The administrator's statement that a year's holidays and 调休 are fully entered
    for a region (for a year the built-in calendar lacks); silences the warning."""

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.CharField(
        _("适用地区"), max_length=12, blank=True, help_text=_("区划代码前缀，空为全国")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("节假日年度确认")
        verbose_name_plural = _("节假日年度确认")
        ordering = ["year", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "region"],
                name="calendar_year_region_unique",
                violation_error_message=_("该地区的这一年度已确认"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region or '全国'}"
