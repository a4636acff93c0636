"""Administrative areas (市/县/镇/村) and grids (网格).

An area's ``code`` is its materialised path built from the official statistical code:
city ``4507``, county ``450702``, town ``450702101``, village ``450702101201``; a grid
adds a three-digit sequence: ``450702101201003``. ``code__startswith`` is a subtree.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from gridgov.areas.choices import (
    AdjustmentKind,
    AdjustmentStatus,
    AdjustmentTrigger,
    AreaKind,
    AreaLevel,
    ExclusiveSubject,
    GridEventKind,
    GridKind,
    GridStatus,
    MaritimeKind,
)
from gridgov.core.querysets import RestrictedManager

models.CharField.register_lookup(Length)


class BBoxMixin(models.Model):
    """A bounding box kept beside the GeoJSON, so a point or box query can pre-filter in SQL."""

    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @cached_property
    def shape(self):
        from gridgov.core.geo import from_geojson

        return from_geojson(self.geometry) if self.geometry else None

    def set_geometry(self, geom) -> None:
        from gridgov.core.geo import bbox_of, to_geojson

        self.geometry = to_geojson(geom)
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = bbox_of(geom)
        self.__dict__.pop("shape", None)


class Area(BBoxMixin):
    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=AreaLevel.choices)
    kind = models.CharField(_("类别"), max_length=20, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    geometry = models.JSONField(_("边界"), null=True, blank=True)
    sea_geometry = models.JSONField(
        _("管辖海域"),
        null=True,
        blank=True,
        help_text=_("沿海县（区）管辖的海域，海上网格须位于其中"),
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    source = models.CharField(_("数据来源"), max_length=200, blank=True)
    is_generated = models.BooleanField(
        _("演示生成"), default=False, help_text=_("演示数据生成的区划，非官方区划")
    )

    objects = RestrictedManager()
    scope_area_field = "code"

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level=AreaLevel.CITY, code__length=4)
                    | Q(level=AreaLevel.COUNTY, code__length=6)
                    | Q(level=AreaLevel.TOWN, code__length=9)
                    | Q(level=AreaLevel.VILLAGE, code__length=12)
                ),
                name="area_code_length_matches_level",
                violation_error_message=_("区划代码位数与层级不符（市4位、县6位、镇9位、村12位）"),
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(level=AreaLevel.CITY),
                name="area_city_has_no_parent",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="area_validity_ordered",
                violation_error_message=_("失效日期不能早于生效日期"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def statistical_code(self) -> str:
        """The 12-digit 统计用区划代码 (the path code padded with zeros)."""
        return self.code.ljust(12, "0")

    @cached_property
    def sea_shape(self):
        from gridgov.core.geo import from_geojson

        return from_geojson(self.sea_geometry) if self.sea_geometry else None


class Grid(BBoxMixin):
    code = models.CharField(_("网格编码"), max_length=15, unique=True)
    name = models.CharField(_("网格名称"), max_length=100)
    village = models.ForeignKey(
        Area,
        verbose_name=_("所属村（社区）"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": AreaLevel.VILLAGE},
    )
    seq = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("网格类别"), max_length=10, choices=GridKind.choices)
    subject = models.CharField(
        _("专属网格类型"), max_length=20, choices=ExclusiveSubject.choices, blank=True
    )
    maritime_kind = models.CharField(
        _("海上网格单元"), max_length=20, choices=MaritimeKind.choices, blank=True
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("业务主管部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grids",
        help_text=_("专属网格实行属地和业务主管部门双重管理"),
    )
    geometry = models.JSONField(_("边界"))
    area_m2 = models.FloatField(_("面积（平方米）"))
    centroid_lon = models.FloatField(_("中心经度"))
    centroid_lat = models.FloatField(_("中心纬度"))
    status = models.CharField(
        _("状态"), max_length=10, choices=GridStatus.choices, default=GridStatus.ACTIVE
    )
    valid_from = models.DateField(_("设立日期"))
    valid_to = models.DateField(_("撤销日期"), null=True, blank=True)
    created_by_adjustment = models.ForeignKey(
        "GridAdjustment",
        verbose_name=_("设立依据"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_grids",
    )
    retired_by_adjustment = models.ForeignKey(
        "GridAdjustment",
        verbose_name=_("撤销依据"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retired_grids",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()
    scope_area_field = "code"

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["code"]
        indexes = [
            # Locate and map queries pre-filter active grids by bounding box.
            models.Index(fields=["status", "min_lon", "max_lon"], name="grid_active_bbox"),
            models.Index(fields=["village", "status"], name="grid_village_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "seq"],
                name="grid_seq_unique_in_village",
                violation_error_message=_("该村（社区）已有此序号的网格，网格编码不可重复使用"),
            ),
            models.CheckConstraint(
                condition=Q(code__length=15),
                name="grid_code_is_15_digits",
                violation_error_message=_("网格编码应为15位"),
            ),
            models.CheckConstraint(
                condition=Q(seq__gte=1, seq__lte=999),
                name="grid_seq_in_range",
                violation_error_message=_("网格序号应在001至999之间"),
            ),
            models.CheckConstraint(
                condition=(Q(kind=GridKind.EXCLUSIVE) & ~Q(subject=""))
                | (~Q(kind=GridKind.EXCLUSIVE) & Q(subject="")),
                name="grid_subject_iff_exclusive",
                violation_error_message=_("专属网格必须注明类型，其他网格不得注明"),
            ),
            models.CheckConstraint(
                condition=Q(subject=ExclusiveSubject.MARITIME) | Q(maritime_kind=""),
                name="grid_maritime_kind_only_at_sea",
                violation_error_message=_("只有海上专属网格才有海上网格单元类型"),
            ),
            models.CheckConstraint(
                condition=(Q(status=GridStatus.ACTIVE) & Q(valid_to__isnull=True))
                | (Q(status=GridStatus.RETIRED) & Q(valid_to__isnull=False)),
                name="grid_retired_has_end_date",
                violation_error_message=_("已撤销的网格须有撤销日期，在用网格不得有撤销日期"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_territorial(self) -> bool:
        return self.kind in (GridKind.URBAN, GridKind.RURAL)

    @property
    def town_code(self) -> str:
        return self.code[:9]

    @property
    def county_code(self) -> str:
        return self.code[:6]


class GridAdjustment(models.Model):
    """A town's proposal to change its grids (第六条), approved by the county agency and
    filed (备案) with the city agency."""

    number = models.CharField(_("调整编号"), max_length=30, unique=True)
    town = models.ForeignKey(
        Area,
        verbose_name=_("提出镇（街道）"),
        on_delete=models.PROTECT,
        related_name="grid_adjustments",
        limit_choices_to={"level": AreaLevel.TOWN},
    )
    kind = models.CharField(_("调整类型"), max_length=10, choices=AdjustmentKind.choices)
    trigger = models.CharField(_("调整情形"), max_length=20, choices=AdjustmentTrigger.choices)
    reason = models.TextField(_("调整理由"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=AdjustmentStatus.choices,
        default=AdjustmentStatus.PROPOSED,
    )
    old_grids = models.ManyToManyField(
        Grid, verbose_name=_("涉及原网格"), blank=True, related_name="adjustments"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    effective_date = models.DateField(_("生效日期"), null=True, blank=True)
    filed_at = models.DateTimeField(_("报市备案时间"), null=True, blank=True)
    source = models.CharField(
        _("来源"), max_length=20, default="web", help_text=_("web、api、import 或 demo")
    )

    objects = RestrictedManager()
    scope_area_field = "town__code"

    class Meta:
        verbose_name = _("网格调整")
        verbose_name_plural = _("网格调整")
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["status", "town"], name="adjustment_status_town")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=AdjustmentStatus.PROPOSED) | Q(decided_at__isnull=False),
                name="adjustment_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=AdjustmentStatus.APPROVED) | Q(filed_at__isnull=False),
                name="adjustment_approved_is_filed",
                violation_error_message=_("已批准的网格调整须报市网格化服务管理机构备案"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    @property
    def audit_target_id(self) -> str:
        return self.number


class GridAdjustmentItem(models.Model):
    """One grid a proposal would create (or, for a redraw, the new shape of an old grid)."""

    adjustment = models.ForeignKey(GridAdjustment, on_delete=models.CASCADE, related_name="items")
    village = models.ForeignKey(
        Area,
        verbose_name=_("所属村（社区）"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": AreaLevel.VILLAGE},
    )
    name = models.CharField(_("网格名称"), max_length=100, blank=True)
    kind = models.CharField(_("网格类别"), max_length=10, choices=GridKind.choices)
    subject = models.CharField(
        _("专属网格类型"), max_length=20, choices=ExclusiveSubject.choices, blank=True
    )
    maritime_kind = models.CharField(
        _("海上网格单元"), max_length=20, choices=MaritimeKind.choices, blank=True
    )
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("业务主管部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    geometry = models.JSONField(_("边界"))
    redraw_of = models.ForeignKey(
        Grid,
        verbose_name=_("调整边界的网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.ForeignKey(
        Grid,
        verbose_name=_("形成的网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("网格调整明细")
        verbose_name_plural = _("网格调整明细")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or f"{self.adjustment.number} #{self.pk}"


class GridEvent(models.Model):
    """The history of one grid: created, redrawn, retired — with the shape it had."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=10, choices=GridEventKind.choices)
    at = models.DateTimeField(_("时间"))
    effective_date = models.DateField(_("生效日期"))
    adjustment = models.ForeignKey(
        GridAdjustment, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    geometry_before = models.JSONField(null=True, blank=True)
    geometry_after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("网格沿革")
        verbose_name_plural = _("网格沿革")
        ordering = ["grid", "at", "id"]

    def __str__(self) -> str:
        return f"{self.grid.code} {self.get_kind_display()}"


class TerritoryRevision(models.Model):
    """A counter bumped whenever the grid map changes; locate indexes reload when it moves."""

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("网格图版本")

    def __str__(self) -> str:
        return str(self.number)
