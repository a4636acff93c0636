"""The basic-information registry (基础信息采集, 一标三实; 条例 第十条(一)(六)(七), 第二十条).

一标: standard addresses (:class:`Address`), village/community → 街路巷 → 门牌 → 楼栋 → 单元 → 户室.
三实: houses (:class:`House`, with :class:`Rental` for 出租房屋), persons (:class:`Person`,
:class:`Household`, :class:`CareTag`) and units (:class:`Unit`); and vessels
(:class:`Vessel`) for maritime grids.

A record row holds the **verified** state. Every proposed change is a
:class:`Submission` (its data encrypted, since it holds ID and phone numbers) that waits
for the 网格长 or the town agency to verify it; the verified submissions of a record are
its versions. Every record belongs to a grid, derived from its address point through
``areas.locate``; scope rules (registry/scope.py) filter on ``grid__code``.

Persons are never reached by their integer key from outside: URLs and the API use
``public_id`` (random). ID numbers, phones and care tags are encrypted with a blind index.
"""

import json
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.fields import (
    BlindIndexField,
    EncryptedTextField,
    normalise_id_number,
    normalise_phone,
)
from gridgov.core.masking import mask_all, mask_id_number, mask_name, mask_phone
from gridgov.core.querysets import RestrictedManager
from gridgov.registry.choices import (
    AddressLevel,
    ConflictKind,
    ConflictStatus,
    DocumentType,
    Gender,
    HouseholdKind,
    HouseUse,
    KeyPlaceKind,
    PatrolFrequency,
    PersonCategory,
    PersonEventKind,
    PersonStatus,
    RecordKind,
    Relation,
    SubmissionSource,
    SubmissionStatus,
    UnitKind,
    VesselKind,
)

PUBLIC_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i


def new_public_id() -> str:
    """A random 12-character code for URLs and the API (about 59 bits)."""
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(12))


def normalise_care_tag(value: str) -> str:
    return value.strip().lower()


class PublicIdMixin(models.Model):
    public_id = models.CharField(
        _("编号"), max_length=16, unique=True, default=new_public_id, editable=False
    )

    class Meta:
        abstract = True

    @property
    def audit_target_id(self) -> str:
        return self.public_id


class RecordMixin(models.Model):
    """What every verified record carries: its version and who verified it when."""

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class Ethnicity(models.Model):
    """民族 (GB/T 3304), seeded by a data migration from data/ethnicities.json."""

    code = models.CharField(_("代码"), max_length=2, unique=True)
    name = models.CharField(_("名称"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("民族")
        verbose_name_plural = _("民族")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CareTagKind(models.Model):
    """A kind of care tag (关爱对象 / 特殊人群) and who may see it — data, not code.

    A non-sensitive kind is visible to whoever may view the person. A sensitive kind only
    to posts whose role is in ``roles`` (within their scope) and to department staff whose
    department's ``kind`` is in ``department_kinds`` (within the department's area).
    """

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    sensitive = models.BooleanField(_("敏感"), default=False)
    roles = models.JSONField(
        _("可见岗位"), default=list, blank=True, help_text=_("可查看此类标签的岗位代码")
    )
    department_kinds = models.JSONField(
        _("可见部门类别"), default=list, blank=True, help_text=_("如 司法行政、公安、卫生健康")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("关爱对象类别")
        verbose_name_plural = _("关爱对象类别")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Address(RecordMixin):
    """One part of a standard address (标准地址). The village/community is ``village``."""

    code = models.CharField(_("地址编码"), max_length=64, unique=True)
    level = models.CharField(_("层级"), max_length=10, choices=AddressLevel.choices)
    name = models.CharField(_("名称"), max_length=100, help_text=_("如 人民路、12号、3栋"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级地址"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    village = models.ForeignKey(
        "areas.Area",
        verbose_name=_("所属村（社区）"),
        on_delete=models.PROTECT,
        related_name="addresses",
    )
    full_name = models.CharField(_("完整地址"), max_length=300, db_index=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addresses",
    )
    is_active = models.BooleanField(_("在用"), default=True)

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                condition=Q(parent__isnull=False),
                name="address_unique_name_under_parent",
                violation_error_message=_("上级地址下已有同名地址"),
            ),
            models.UniqueConstraint(
                fields=["village", "level", "name"],
                condition=Q(parent__isnull=True),
                name="address_unique_name_in_village",
                violation_error_message=_("该村（社区）已有同名地址"),
            ),
            models.CheckConstraint(
                condition=(Q(lon__isnull=True) & Q(lat__isnull=True))
                | (Q(lon__gte=-180, lon__lte=180) & Q(lat__gte=-90, lat__lte=90)),
                name="address_point_valid",
                violation_error_message=_("经纬度无效"),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def audit_target_id(self) -> str:
        return self.code


class Household(PublicIdMixin, RecordMixin):
    """A household (户): people living together at one address."""

    number = models.CharField(_("户号"), max_length=30, blank=True, db_index=True)
    kind = models.CharField(
        _("户类型"), max_length=12, choices=HouseholdKind.choices, default=HouseholdKind.FAMILY
    )
    address = models.ForeignKey(
        Address,
        verbose_name=_("住址"),
        on_delete=models.PROTECT,
        related_name="households",
    )
    grid = models.ForeignKey(
        "areas.Grid", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["grid__code", "id"]

    def __str__(self) -> str:
        return f"{_('户')} {self.number or self.public_id}"


class Person(PublicIdMixin, RecordMixin):
    """实有人口. The name is stored in plain text (prefix search) and shown masked."""

    name = models.CharField(_("姓名"), max_length=60, db_index=True)
    id_type = models.CharField(
        _("证件类型"),
        max_length=10,
        choices=DocumentType.choices,
        default=DocumentType.RESIDENT_ID,
    )
    id_number = EncryptedTextField(
        _("证件号码"),
        blank=True,
        blind_index="id_number_index",
        normalise=normalise_id_number,
        mask=mask_id_number,
    )
    id_number_index = BlindIndexField()
    nationality = models.CharField(
        _("国籍（地区）"), max_length=3, default="CHN", help_text=_("ISO 3166-1 三位字母代码")
    )
    gender = models.CharField(
        _("性别"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.ForeignKey(
        Ethnicity,
        verbose_name=_("民族"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    phone = EncryptedTextField(
        _("联系电话"),
        blank=True,
        blind_index="phone_index",
        normalise=normalise_phone,
        mask=mask_phone,
    )
    phone_index = BlindIndexField()
    hukou_place = models.CharField(_("户籍地"), max_length=200, blank=True)
    category = models.CharField(
        _("人口类别"),
        max_length=12,
        choices=PersonCategory.choices,
        default=PersonCategory.REGISTERED,
    )
    residence = models.ForeignKey(
        Address,
        verbose_name=_("居住地址"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(
        _("与户主关系"), max_length=15, choices=Relation.choices, blank=True
    )
    residence_start = models.DateField(_("居住起始日期"), null=True, blank=True)
    residence_end = models.DateField(_("居住终止日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=PersonStatus.choices, default=PersonStatus.PRESENT
    )
    grid = models.ForeignKey(
        "areas.Grid", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        ordering = ["grid__code", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number_index"],
                condition=Q(id_number_index__isnull=False),
                name="person_unique_document",
                violation_error_message=_("已有相同证件号码的人员"),
            ),
            models.CheckConstraint(
                condition=Q(residence_end__isnull=True)
                | Q(residence_start__isnull=True)
                | Q(residence_end__gte=models.F("residence_start")),
                name="person_residence_dates_ordered",
                violation_error_message=_("居住终止日期不能早于起始日期"),
            ),
        ]
        indexes = [models.Index(fields=["grid", "status"], name="person_grid_status")]

    def __str__(self) -> str:
        return mask_name(self.name)

    def audit_repr(self) -> str:
        return mask_name(self.name)


class PersonEvent(models.Model):
    """迁入、迁出、出生、死亡."""

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=PersonEventKind.choices)
    date = models.DateField(_("日期"))
    address = models.ForeignKey(
        Address,
        verbose_name=_("地址"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    submission = models.ForeignKey(
        "Submission",
        verbose_name=_("采集记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person_events",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人口变动")
        verbose_name_plural = _("人口变动")
        ordering = ["person", "date", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class CareTag(models.Model):
    """A care tag (关爱对象 / 特殊人群) on a person.

    The kind is stored encrypted with a blind index, so a copy of the database does not
    tell who is under 社区矫正; scope rules filter on the index of the kinds a post may see.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="care_tags"
    )
    kind_code = EncryptedTextField(
        _("类别"), blind_index="kind_index", normalise=normalise_care_tag, mask=mask_all
    )
    kind_index = BlindIndexField()
    note = EncryptedTextField(_("说明"), blank=True, mask=mask_all)
    since = models.DateField(_("起始日期"), null=True, blank=True)
    until = models.DateField(_("终止日期"), null=True, blank=True)
    grid = models.ForeignKey(
        "areas.Grid", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("关爱对象标签")
        verbose_name_plural = _("关爱对象标签")
        ordering = ["person", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind_index"],
                name="care_tag_unique_per_person",
                violation_error_message=_("该人员已有此标签"),
            )
        ]

    def __str__(self) -> str:
        return str(_("关爱对象标签"))

    @property
    def kind(self) -> CareTagKind | None:
        return CareTagKind.objects.filter(code=self.kind_code).first()


class Unit(PublicIdMixin, RecordMixin):
    """实有单位."""

    name = models.CharField(_("单位名称"), max_length=200, db_index=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True
    )
    kind = models.CharField(_("单位类别"), max_length=15, choices=UnitKind.choices)
    address = models.ForeignKey(
        Address, verbose_name=_("地址"), on_delete=models.PROTECT, related_name="units"
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=60, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = EncryptedTextField(
        _("联系电话"),
        blank=True,
        blind_index="contact_phone_index",
        normalise=normalise_phone,
        mask=mask_phone,
    )
    contact_phone_index = BlindIndexField()
    staff_count = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    is_key_unit = models.BooleanField(_("重点单位"), default=False)
    key_place_kind = models.CharField(
        _("重点场所类别"), max_length=10, choices=KeyPlaceKind.choices, blank=True
    )
    patrol_frequency = models.CharField(
        _("巡查频次"), max_length=12, choices=PatrolFrequency.choices, blank=True
    )
    grid = models.ForeignKey(
        "areas.Grid", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")
        ordering = ["grid__code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_key_unit=False) | ~Q(patrol_frequency=""),
                name="unit_key_unit_has_patrol_frequency",
                violation_error_message=_("重点单位须设定巡查频次"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class House(PublicIdMixin, RecordMixin):
    """房屋: a building or a room, with its use and owner."""

    address = models.OneToOneField(
        Address, verbose_name=_("地址"), on_delete=models.PROTECT, related_name="house"
    )
    use = models.CharField(_("用途"), max_length=10, choices=HouseUse.choices)
    owner = models.ForeignKey(
        Person,
        verbose_name=_("产权人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="houses",
    )
    owner_unit = models.ForeignKey(
        Unit,
        verbose_name=_("产权单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="houses",
    )
    floor_area = models.DecimalField(
        _("建筑面积（平方米）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "areas.Grid", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["grid__code", "address__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_unit__isnull=True),
                name="house_one_owner",
                violation_error_message=_("房屋只能登记一个产权人（个人或单位）"),
            )
        ]

    def __str__(self) -> str:
        return str(self.address)


class Rental(PublicIdMixin, RecordMixin):
    """出租房屋: one letting of a house, with its landlord and tenants."""

    house = models.ForeignKey(
        House, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="rentals"
    )
    landlord = models.ForeignKey(
        Person,
        verbose_name=_("出租人"),
        on_delete=models.PROTECT,
        related_name="lettings",
    )
    start_date = models.DateField(_("租赁起始日期"))
    end_date = models.DateField(_("租赁终止日期"), null=True, blank=True)
    tenants = models.ManyToManyField(
        Person, verbose_name=_("承租人"), through="Tenancy", related_name="rentals"
    )
    grid = models.ForeignKey(
        "areas.Grid", verbose_name=_("所属网格"), on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("出租房屋")
        verbose_name_plural = _("出租房屋")
        ordering = ["grid__code", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="rental_dates_ordered",
                violation_error_message=_("租赁终止日期不能早于起始日期"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.house} {self.start_date}"


class Tenancy(models.Model):
    rental = models.ForeignKey(
        Rental, verbose_name=_("出租房屋"), on_delete=models.CASCADE, related_name="tenancies"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("承租人"), on_delete=models.PROTECT, related_name="tenancies"
    )
    start_date = models.DateField(_("入住日期"), null=True, blank=True)
    end_date = models.DateField(_("退租日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("承租人")
        verbose_name_plural = _("承租人")
        constraints = [
            models.UniqueConstraint(fields=["rental", "person"], name="tenancy_unique_person")
        ]

    def __str__(self) -> str:
        return mask_name(self.person.name)


class Vessel(PublicIdMixin, RecordMixin):
    """船舶 of a maritime grid (海上专属网格)."""

    name = models.CharField(_("船名"), max_length=100, db_index=True)
    registration_number = models.CharField(_("船舶登记号"), max_length=40, unique=True)
    kind = models.CharField(
        _("船舶类别"), max_length=12, choices=VesselKind.choices, default=VesselKind.FISHING
    )
    owner = models.ForeignKey(
        Person,
        verbose_name=_("船舶所有人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vessels",
    )
    owner_unit = models.ForeignKey(
        Unit,
        verbose_name=_("所有单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vessels",
    )
    vessel_group = models.CharField(_("船只编组"), max_length=100, blank=True)
    home_port = models.CharField(_("船籍港"), max_length=100, blank=True)
    length_m = models.DecimalField(
        _("船长（米）"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    gross_tonnage = models.DecimalField(
        _("总吨位"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("所属海上网格"),
        on_delete=models.PROTECT,
        related_name="vessels",
        limit_choices_to={"subject": "maritime"},
    )

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("船舶")
        verbose_name_plural = _("船舶")
        ordering = ["grid__code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_unit__isnull=True),
                name="vessel_one_owner",
                violation_error_message=_("船舶只能登记一个所有人（个人或单位）"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.registration_number}）"


class Submission(PublicIdMixin):
    """A proposed record or change (采集), waiting for verification (核实).

    ``payload`` is the proposed data as JSON, encrypted (it holds ID and phone numbers).
    The record named by ``record_kind`` + ``record_id`` (None for a new record) keeps its
    verified state until this submission is verified; a verified submission is a version.
    """

    record_kind = models.CharField(_("对象类别"), max_length=10, choices=RecordKind.choices)
    record_id = models.BigIntegerField(_("对象"), null=True, blank=True, db_index=True)
    base_version = models.PositiveIntegerField(_("依据版本"), null=True, blank=True)
    version = models.PositiveIntegerField(_("核实后版本"), null=True, blank=True)
    payload = EncryptedTextField(_("采集内容"), context="registry.Submission.payload")
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    key_index = models.CharField(
        _("证件索引"),
        max_length=64,
        null=True,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("所涉证件号码的盲索引，用于发现重复和冲突"),
    )
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        "areas.Area",
        verbose_name=_("所属村（社区）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.PENDING,
        db_index=True,
    )
    source = models.CharField(
        _("来源"),
        max_length=10,
        choices=SubmissionSource.choices,
        default=SubmissionSource.COLLECTED,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("采集人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("采集时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    decision_note = models.CharField(_("核实意见"), max_length=300, blank=True)

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("采集记录")
        verbose_name_plural = _("采集记录")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["record_kind", "record_id", "status"], name="submission_record"),
            models.Index(fields=["grid", "status"], name="submission_grid_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["record_kind", "record_id", "version"],
                condition=Q(version__isnull=False),
                name="submission_unique_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_record_kind_display()} {self.summary}"

    @property
    def data(self) -> dict:
        return json.loads(self.payload) if self.payload else {}

    @data.setter
    def data(self, value: dict) -> None:
        self.payload = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class SubmissionKey(models.Model):
    """A natural key a submission touches (blind index of an ID number, an address …),
    so that two pending submissions about the same person or house are found."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("采集记录"), on_delete=models.CASCADE, related_name="keys"
    )
    key = models.CharField(_("索引"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("采集索引")
        verbose_name_plural = _("采集索引")
        constraints = [
            models.UniqueConstraint(fields=["submission", "key"], name="submission_key_unique")
        ]

    def __str__(self) -> str:
        return self.key


class Conflict(PublicIdMixin):
    """A conflict found when collecting (同一证件两处居住、一房两主…), to be resolved."""

    kind = models.CharField(_("冲突类型"), max_length=20, choices=ConflictKind.choices)
    submission = models.ForeignKey(
        Submission, verbose_name=_("采集记录"), on_delete=models.CASCADE, related_name="conflicts"
    )
    other_submission = models.ForeignKey(
        Submission,
        verbose_name=_("冲突的采集记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    other_kind = models.CharField(
        _("冲突对象类别"), max_length=10, choices=RecordKind.choices, blank=True
    )
    other_id = models.BigIntegerField(_("冲突对象"), null=True, blank=True)
    description = models.CharField(_("说明"), max_length=300)
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    village = models.ForeignKey(
        "areas.Area", verbose_name=_("所属村（社区）"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ConflictStatus.choices,
        default=ConflictStatus.OPEN,
        db_index=True,
    )
    resolution = models.CharField(_("处理结果"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    objects = RestrictedManager()
    scope_area_field = "grid__code"

    class Meta:
        verbose_name = _("数据冲突")
        verbose_name_plural = _("数据冲突")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description


from gridgov.registry.models_import import *  # noqa: E402, F403
