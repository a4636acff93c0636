"""Organisations: linkage departments (联动部门). Agencies and posts come with access control."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.querysets import RestrictedManager


class DepartmentLevel(models.TextChoices):
    CITY = "city", _("市级")
    COUNTY = "county", _("县（区）级")
    TOWN = "town", _("镇（街道）级")


class Department(models.Model):
    """A business department (业务主管部门 / 网格化服务联动部门) at one level of one area."""

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(
        _("部门类别"), max_length=40, help_text=_("如 公安、民政、应急管理；用于按类别统计")
    )
    level = models.CharField(_("层级"), max_length=10, choices=DepartmentLevel.choices)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    is_active = models.BooleanField(_("在用"), default=True)

    objects = RestrictedManager()
    scope_area_field = "area__code"

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["area__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="department_unique_name_in_area")
        ]

    def __str__(self) -> str:
        return self.name
