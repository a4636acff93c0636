"""Organisations and posts.

The grid-management agencies (网格化服务管理机构) of the city, counties and towns; management
zones (钦州港片区, 三娘湾 …) responsible for their areas; linkage departments (联动部门) at
each level; and posts (岗位): a person holding a role at an area, grid, department or
zone for a period (第四、十一、十三条). Access is derived from posts (accounts/scope.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.querysets import RestrictedManager, RestrictedQuerySet
from gridgov.orgs.choices import (
    ADMIN_ROLES,
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
    ZONE_ROLES,
    AgencyKind,
    Role,
)


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


class Agency(models.Model):
    """A grid-management agency of one area, or a management zone over some areas."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=10, choices=AgencyKind.choices)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("所在区划"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    covers = models.ManyToManyField(
        "areas.Area",
        verbose_name=_("负责区域"),
        blank=True,
        related_name="zones",
        help_text=_("管理区机构负责的镇（街道）或村（社区）"),
    )
    is_active = models.BooleanField(_("在用"), default=True)

    objects = RestrictedManager()
    scope_area_field = "area__code"

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["area__code", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(kind=AgencyKind.AGENCY),
                name="agency_one_per_area",
                violation_error_message=_("每个区划只有一个网格化服务管理机构"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class PostQuerySet(RestrictedQuerySet):
    def current(self, on=None):
        """Posts in force on a date (today by default)."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(start_date__lte=day).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day)
        )


class Post(models.Model):
    """A person holding a role at one place for a period (岗位)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    role = models.CharField(_("岗位"), max_length=30, choices=Role.choices)
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
        help_text=_("联动部门岗位所在部门；网格指导员由部门下派时填写派出部门"),
    )
    zone = models.ForeignKey(
        Agency,
        verbose_name=_("管理区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
        limit_choices_to={"kind": AgencyKind.ZONE},
    )
    start_date = models.DateField(_("任职日期"))
    end_date = models.DateField(_("离任日期"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授予人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("授予时间"), auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("免除人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = RestrictedManager.from_queryset(PostQuerySet)()
    scope_area_field = "area__code"

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["user", "-start_date", "id"]
        indexes = [models.Index(fields=["user", "end_date"], name="post_user_end")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (
                        Q(role__in=AREA_ROLES + VILLAGE_ROLES)
                        & Q(area__isnull=False, grid__isnull=True, zone__isnull=True)
                    )
                    | (
                        Q(role__in=GRID_ROLES + EXCLUSIVE_GRID_ROLES)
                        & Q(grid__isnull=False, area__isnull=True, department__isnull=True)
                        & Q(zone__isnull=True)
                    )
                    | (
                        Q(role__in=DEPARTMENT_ROLES)
                        & Q(department__isnull=False, area__isnull=True, grid__isnull=True)
                        & Q(zone__isnull=True)
                    )
                    | (
                        Q(role__in=ZONE_ROLES)
                        & Q(zone__isnull=False, area__isnull=True, grid__isnull=True)
                        & Q(department__isnull=True)
                    )
                    | (
                        Q(role__in=ADMIN_ROLES)
                        & Q(area__isnull=True, grid__isnull=True, department__isnull=True)
                        & Q(zone__isnull=True)
                    )
                ),
                name="post_place_matches_role",
                violation_error_message=_("岗位所在位置与岗位类别不符"),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="post_dates_ordered",
                violation_error_message=_("离任日期不能早于任职日期"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.place}"

    @property
    def place(self):
        return self.grid or self.area or self.department or self.zone or _("全系统")
