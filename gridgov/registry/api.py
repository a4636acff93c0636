"""Registry API (基础信息): search and read within scope, masked; collect (采集) and verify
(核实) through :mod:`gridgov.registry.actions`; the audited unmask action.

Persons, households, houses, rentals, units, vessels and submissions are addressed by
their random ``public_id``; addresses by their code. ID numbers and phones are masked
in every answer; ``POST /persons/{id}/reveal`` is the one way to the full value.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.core.masking import mask_name, mask_phone, reveal
from gridgov.registry import actions, present, search
from gridgov.registry.addressing import find, parse
from gridgov.registry.choices import ConflictStatus, RecordKind
from gridgov.registry.models import (
    Address,
    CareTagKind,
    Conflict,
    Ethnicity,
    House,
    Household,
    Person,
    Rental,
    Submission,
    Unit,
    Vessel,
)

router = Router()


class ErrorOut(Schema):
    detail: str
    code: str = ""
    errors: dict[str, list[str]] = Field(default_factory=dict)


ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# Schemas ---------------------------------------------------------------------------------


class PersonOut(Schema):
    id: str
    name: str
    id_type: str
    id_type_label: str
    id_number: str
    gender: str
    birth_year: int | None
    phone: str
    category: str
    category_label: str
    status: str
    status_label: str
    grid: str
    grid_name: str
    residence: str
    residence_code: str
    version: int


class CareTagOut(Schema):
    kind: str
    name: str
    sensitive: bool
    since: date | None = None


class EventOut(Schema):
    kind: str
    kind_label: str
    date: date
    address: str = ""
    note: str = ""


class VersionOut(Schema):
    version: int
    submission: str
    verified_at: datetime | None
    source: str


class PersonDetailOut(PersonOut):
    ethnicity: str
    nationality: str
    hukou_place: str
    household: str
    relation: str
    relation_label: str
    residence_start: date | None
    residence_end: date | None
    verified_at: datetime | None
    care_tags: list[CareTagOut]
    events: list[EventOut]
    versions: list[VersionOut]
    pending: list[str]


class RevealIn(Schema):
    field: Literal["id_number", "phone", "name"]
    purpose: str = Field(..., max_length=200)


class RevealOut(Schema):
    field: str
    value: str


class SubmissionIn(Schema):
    kind: RecordKind
    data: dict[str, Any]
    record: str | None = Field(
        None, description="要变更的记录：人员、户、房屋等的编号，标准地址为地址编码"
    )


class ConflictOut(Schema):
    id: str
    kind: str
    kind_label: str
    description: str
    status: str
    resolution: str


class SubmissionOut(Schema):
    id: str
    kind: str
    kind_label: str
    summary: str
    status: str
    status_label: str
    grid: str | None
    source: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_note: str
    base_version: int | None
    version: int | None
    record: str | None
    data: dict[str, Any]
    conflicts: list[ConflictOut]


class NoteIn(Schema):
    note: str = Field("", max_length=300)


class ResolveIn(Schema):
    accept: bool
    note: str = Field(..., max_length=300)


class AddressOut(Schema):
    code: str
    level: str
    name: str
    full_name: str
    parent: str | None
    village: str
    grid: str | None
    lon: float | None
    lat: float | None
    version: int


class ParsedOut(Schema):
    province: str | None
    city: str | None
    county: str | None
    town: str | None
    village: str | None
    road: str
    door: str
    building: str
    unit: str
    room: str
    rest: str
    address: AddressOut | None


class HouseOut(Schema):
    id: str
    address: str
    address_code: str
    use: str
    use_label: str
    owner: str
    owner_name: str
    owner_unit: str
    floor_area: str | None
    grid: str
    version: int


class RentalOut(Schema):
    id: str
    house: str
    landlord: str
    landlord_name: str
    tenants: list[str]
    start_date: date
    end_date: date | None
    grid: str
    version: int


class HouseholdOut(Schema):
    id: str
    number: str
    kind: str
    address: str
    address_code: str
    grid: str
    members: list[PersonOut]
    version: int


class UnitOut(Schema):
    id: str
    name: str
    credit_code: str | None
    kind: str
    kind_label: str
    address: str
    address_code: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    staff_count: int | None
    is_key_unit: bool
    key_place_kind: str
    patrol_frequency: str
    grid: str
    version: int


class VesselOut(Schema):
    id: str
    name: str
    registration_number: str
    kind: str
    owner: str
    owner_unit: str
    vessel_group: str
    home_port: str
    grid: str
    version: int


class CareTagIn(Schema):
    kind: str = Field(..., max_length=40)
    note: str = Field("", max_length=500)
    since: date | None = None


class KindOut(Schema):
    code: str
    name: str
    sensitive: bool


class EthnicityOut(Schema):
    code: str
    name: str


# Helpers ---------------------------------------------------------------------------------


def _person(request, public_id, action="view"):
    return get_object_or_404(
        Person.objects.restrict(request.user, action).select_related(
            "grid", "residence", "ethnicity", "household"
        ),
        public_id=public_id,
    )


def _submission_out(sub: Submission) -> dict:
    record = None
    if sub.record_id is not None:
        model = actions.MODELS[RecordKind(sub.record_kind)]
        obj = model.objects.filter(pk=sub.record_id).first()
        record = getattr(obj, "public_id", None) or getattr(obj, "code", None)
    return {
        "id": sub.public_id,
        "kind": sub.record_kind,
        "kind_label": sub.get_record_kind_display(),
        "summary": sub.summary,
        "status": sub.status,
        "status_label": sub.get_status_display(),
        "grid": sub.grid.code if sub.grid_id else None,
        "source": sub.source,
        "submitted_at": sub.submitted_at,
        "decided_at": sub.decided_at,
        "decision_note": sub.decision_note,
        "base_version": sub.base_version,
        "version": sub.version,
        "record": record,
        "data": present.submission_data(sub.record_kind, sub.data),
        "conflicts": [
            {
                "id": c.public_id,
                "kind": c.kind,
                "kind_label": c.get_kind_display(),
                "description": c.description,
                "status": c.status,
                "resolution": c.resolution,
            }
            for c in sub.conflicts.all()
        ],
    }


def _address_out(a: Address) -> dict:
    return {
        "code": a.code,
        "level": a.level,
        "name": a.name,
        "full_name": a.full_name,
        "parent": a.parent.code if a.parent_id else None,
        "village": a.village.code,
        "grid": a.grid.code if a.grid_id else None,
        "lon": a.lon,
        "lat": a.lat,
        "version": a.version,
    }


def _house_out(h: House) -> dict:
    return {
        "id": h.public_id,
        "address": h.address.full_name,
        "address_code": h.address.code,
        "use": h.use,
        "use_label": h.get_use_display(),
        "owner": h.owner.public_id if h.owner_id else "",
        "owner_name": mask_name(h.owner.name) if h.owner_id else "",
        "owner_unit": h.owner_unit.name if h.owner_unit_id else "",
        "floor_area": str(h.floor_area) if h.floor_area is not None else None,
        "grid": h.grid.code,
        "version": h.version,
    }


def _unit_out(u: Unit) -> dict:
    return {
        "id": u.public_id,
        "name": u.name,
        "credit_code": u.credit_code,
        "kind": u.kind,
        "kind_label": u.get_kind_display(),
        "address": u.address.full_name,
        "address_code": u.address.code,
        "legal_representative": mask_name(u.legal_representative),
        "contact_name": mask_name(u.contact_name),
        "contact_phone": mask_phone(u.contact_phone) if u.contact_phone else "",
        "staff_count": u.staff_count,
        "is_key_unit": u.is_key_unit,
        "key_place_kind": u.key_place_kind,
        "patrol_frequency": u.patrol_frequency,
        "grid": u.grid.code,
        "version": u.version,
    }


def _vessel_out(v: Vessel) -> dict:
    return {
        "id": v.public_id,
        "name": v.name,
        "registration_number": v.registration_number,
        "kind": v.kind,
        "owner": mask_name(v.owner.name) if v.owner_id else "",
        "owner_unit": v.owner_unit.name if v.owner_unit_id else "",
        "vessel_group": v.vessel_group,
        "home_port": v.home_port,
        "grid": v.grid.code,
        "version": v.version,
    }


def _record_for(request, kind: RecordKind, key: str):
    model = actions.MODELS[kind]
    field = "code" if kind == RecordKind.ADDRESS else "public_id"
    return get_object_or_404(model.objects.restrict(request.user, "change"), **{field: key})


# Persons ---------------------------------------------------------------------------------


class SearchIn(Schema):
    q: str = Field("", max_length=100, description="证件号码、手机号、姓名开头或地址")
    id_number: str = Field("", max_length=40)
    phone: str = Field("", max_length=30)
    name: str = Field("", max_length=60)
    address: str = Field("", max_length=200)
    tag: str = Field("", max_length=40)
    grid: str = Field("", max_length=15)
    status: str = Field("", max_length=10)


@router.post(
    "/persons/search",
    response=list[PersonOut],
    summary="实有人口查询（证件号码、电话在请求体中，不进网址和日志）",
    operation_id="search_persons",
)
@paginate(LimitOffsetPagination)
def search_persons(request, payload: SearchIn):
    with transaction.atomic():
        qs = search.persons(request.user, **payload.dict())
        return [present.person_summary(p) for p in qs[:1000]]


@router.get(
    "/persons",
    response=list[PersonOut],
    summary="实有人口列表（按姓名开头、地址、标签、网格；证件号码和电话请用 POST /persons/search）",
    operation_id="list_persons",
)
@paginate(LimitOffsetPagination)
def list_persons(
    request,
    q: str = "",
    name: str = "",
    address: str = "",
    tag: str = "",
    grid: str = "",
    status: str = "",
):
    if q and search.classify(q) in ("id_number", "phone"):
        raise ValidationError(
            {
                "q": [
                    "按证件号码或电话查询请使用 POST /api/registry/persons/search（号码不放在网址中）"
                ]
            }
        )
    with transaction.atomic():
        qs = search.persons(
            request.user, q=q, name=name, address=address, tag=tag, grid=grid, status=status
        )
        return [present.person_summary(p) for p in qs[:1000]]


@router.get(
    "/persons/{public_id}",
    response={200: PersonDetailOut, 404: ErrorOut},
    summary="实有人口详情（关爱对象标签的读取记入审计）",
    operation_id="get_person",
)
def get_person(request, public_id: str):
    person = _person(request, public_id)
    data = present.person_detail(person)
    with transaction.atomic():
        tags = actions.read_care_tags(person, actor=request.user)
    data["care_tags"] = [
        {"kind": k.code, "name": k.name, "sensitive": k.sensitive, "since": t.since}
        for k, t in tags
    ]
    data["events"] = [
        {
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "date": e.date,
            "address": e.address.full_name if e.address_id else "",
            "note": e.note,
        }
        for e in person.events.select_related("address").order_by("date", "id")
    ]
    data["versions"] = [
        {
            "version": v.version,
            "submission": v.public_id,
            "verified_at": v.decided_at,
            "source": v.source,
        }
        for v in actions.versions(person)
    ]
    data["pending"] = [s.public_id for s in actions.pending_for(person)]
    return data


@router.post(
    "/persons/{public_id}/reveal",
    response={200: RevealOut, **ERRORS},
    summary="查看完整证件号码、电话或姓名（须说明用途，记入审计，每日限次）",
    operation_id="reveal_person_field",
)
def reveal_person(request, public_id: str, payload: RevealIn):
    person = _person(request, public_id)
    with transaction.atomic():
        value = reveal(person, payload.field, actor=request.user, purpose=payload.purpose)
    return {"field": payload.field, "value": value or ""}


@router.post(
    "/persons/{public_id}/care-tags",
    response={201: CareTagOut, **ERRORS},
    summary="登记关爱对象标签",
    operation_id="add_care_tag",
)
def add_care_tag(request, public_id: str, payload: CareTagIn):
    person = _person(request, public_id)
    tag = actions.do_add_care_tag(
        person, payload.kind, actor=request.user, note=payload.note, since=payload.since
    )
    kind = CareTagKind.objects.get(code=tag.kind_code)
    return Status(201, {"kind": kind.code, "name": kind.name, "sensitive": kind.sensitive})


@router.delete(
    "/persons/{public_id}/care-tags/{kind}",
    response={204: None, **ERRORS},
    summary="删除关爱对象标签",
    operation_id="remove_care_tag",
)
def remove_care_tag(request, public_id: str, kind: str):
    from gridgov.registry.models import CareTag

    person = _person(request, public_id)
    index = CareTag._meta.get_field("kind_code").index_of(kind)
    tag = get_object_or_404(
        CareTag.objects.restrict(request.user, "view"), person=person, kind_index=index
    )
    actions.do_remove_care_tag(tag, actor=request.user)
    return Status(204, None)


@router.get(
    "/households/{public_id}",
    response={200: HouseholdOut, 404: ErrorOut},
    summary="户详情",
    operation_id="get_household",
)
def get_household(request, public_id: str):
    household = get_object_or_404(
        Household.objects.restrict(request.user, "view").select_related("address", "grid"),
        public_id=public_id,
    )
    members = (
        Person.objects.restrict(request.user, "view")
        .filter(household=household)
        .select_related("grid", "residence")
    )
    return {
        "id": household.public_id,
        "number": household.number,
        "kind": household.kind,
        "address": household.address.full_name,
        "address_code": household.address.code,
        "grid": household.grid.code,
        "members": [present.person_summary(p) for p in members],
        "version": household.version,
    }


# Collection and verification -------------------------------------------------------------


@router.post(
    "/submissions",
    response={201: SubmissionOut, **ERRORS},
    summary="采集：新增或变更记录（待网格长或镇街核实）",
    operation_id="submit_record",
)
def submit(request, payload: SubmissionIn):
    record = _record_for(request, payload.kind, payload.record) if payload.record else None
    sub = actions.do_submit(payload.kind, payload.data, actor=request.user, record=record)
    return Status(201, _submission_out(sub))


@router.get(
    "/submissions",
    response=list[SubmissionOut],
    summary="采集记录（可按状态、类别筛选）",
    operation_id="list_submissions",
)
@paginate(LimitOffsetPagination)
def list_submissions(request, status: str = "", kind: str = ""):
    qs = Submission.objects.restrict(request.user, "view").select_related("grid")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(record_kind=kind)
    return [_submission_out(s) for s in qs.prefetch_related("conflicts")[:1000]]


def _submission(request, public_id):
    return get_object_or_404(Submission.objects.restrict(request.user, "view"), public_id=public_id)


@router.get(
    "/submissions/{public_id}",
    response={200: SubmissionOut, 404: ErrorOut},
    summary="采集记录详情",
    operation_id="get_submission",
)
def get_submission(request, public_id: str):
    return _submission_out(_submission(request, public_id))


@router.post(
    "/submissions/{public_id}/verify",
    response={200: SubmissionOut, **ERRORS},
    summary="核实（网格长或镇街网格化服务管理机构）",
    operation_id="verify_submission",
)
def verify(request, public_id: str, payload: NoteIn):
    sub = _submission(request, public_id)
    actions.do_verify(sub, actor=request.user, note=payload.note)
    sub.refresh_from_db()
    return _submission_out(sub)


@router.post(
    "/submissions/{public_id}/reject",
    response={200: SubmissionOut, **ERRORS},
    summary="退回",
    operation_id="reject_submission",
)
def reject(request, public_id: str, payload: NoteIn):
    sub = _submission(request, public_id)
    actions.do_reject(sub, actor=request.user, note=payload.note)
    sub.refresh_from_db()
    return _submission_out(sub)


@router.post(
    "/submissions/{public_id}/withdraw",
    response={200: SubmissionOut, **ERRORS},
    summary="撤回（采集人）",
    operation_id="withdraw_submission",
)
def withdraw(request, public_id: str):
    sub = _submission(request, public_id)
    actions.do_withdraw(sub, actor=request.user)
    sub.refresh_from_db()
    return _submission_out(sub)


@router.get(
    "/conflicts",
    response=list[ConflictOut],
    summary="数据冲突",
    operation_id="list_conflicts",
)
@paginate(LimitOffsetPagination)
def list_conflicts(request, status: str = ConflictStatus.OPEN):
    qs = Conflict.objects.restrict(request.user, "view")
    if status:
        qs = qs.filter(status=status)
    return [
        {
            "id": c.public_id,
            "kind": c.kind,
            "kind_label": c.get_kind_display(),
            "description": c.description,
            "status": c.status,
            "resolution": c.resolution,
        }
        for c in qs[:1000]
    ]


@router.post(
    "/conflicts/{public_id}/resolve",
    response={200: ConflictOut, **ERRORS},
    summary="处理冲突：采纳（accept=true）或不采纳本次采集",
    operation_id="resolve_conflict",
)
def resolve_conflict(request, public_id: str, payload: ResolveIn):
    conflict = get_object_or_404(
        Conflict.objects.restrict(request.user, "view"), public_id=public_id
    )
    c = actions.do_resolve_conflict(
        conflict, accept=payload.accept, note=payload.note, actor=request.user
    )
    return {
        "id": c.public_id,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "description": c.description,
        "status": c.status,
        "resolution": c.resolution,
    }


# Addresses, houses, units, vessels -------------------------------------------------------


@router.get(
    "/addresses", response=list[AddressOut], summary="标准地址", operation_id="list_addresses"
)
@paginate(LimitOffsetPagination)
def list_addresses(request, q: str = "", parent: str = "", level: str = ""):
    qs = Address.objects.restrict(request.user, "view").select_related("parent", "village", "grid")
    if parent:
        qs = qs.filter(parent__code=parent)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = search.addresses(request.user, q, qs)
    return [_address_out(a) for a in qs[:1000]]


@router.get(
    "/addresses/parse",
    response=ParsedOut,
    summary="解析中文地址（行政区划由 jionlp 识别，街路巷以下由本系统规范化）",
    operation_id="parse_address",
)
def parse_address(request, text: str):
    parsed = parse(text[:300])
    found = find(text[:300], Address.objects.restrict(request.user, "view"))
    return {
        **{k: getattr(parsed, k) for k in ("province", "city", "county", "town", "village")},
        **{k: getattr(parsed, k) for k in ("road", "door", "building", "unit", "room", "rest")},
        "address": _address_out(found) if found else None,
    }


@router.get(
    "/addresses/{code}",
    response={200: AddressOut, 404: ErrorOut},
    summary="标准地址详情",
    operation_id="get_address",
)
def get_address(request, code: str):
    return _address_out(
        get_object_or_404(Address.objects.restrict(request.user, "view"), code=code)
    )


@router.get("/houses", response=list[HouseOut], summary="房屋", operation_id="list_houses")
@paginate(LimitOffsetPagination)
def list_houses(request, use: str = "", address: str = ""):
    qs = House.objects.restrict(request.user, "view").select_related(
        "address", "owner", "owner_unit", "grid"
    )
    if use:
        qs = qs.filter(use=use)
    if address:
        qs = qs.filter(search.address_filter(address, request.user, field="address"))
    return [_house_out(h) for h in qs[:1000]]


@router.get(
    "/houses/{public_id}", response={200: HouseOut, 404: ErrorOut}, operation_id="get_house"
)
def get_house(request, public_id: str):
    qs = House.objects.restrict(request.user, "view").select_related(
        "address", "owner", "owner_unit", "grid"
    )
    return _house_out(get_object_or_404(qs, public_id=public_id))


@router.get("/rentals", response=list[RentalOut], summary="出租房屋", operation_id="list_rentals")
@paginate(LimitOffsetPagination)
def list_rentals(request):
    qs = Rental.objects.restrict(request.user, "view").select_related("house", "landlord", "grid")
    return [
        {
            "id": r.public_id,
            "house": r.house.public_id,
            "landlord": r.landlord.public_id,
            "landlord_name": mask_name(r.landlord.name),
            "tenants": [t.public_id for t in r.tenants.all()],
            "start_date": r.start_date,
            "end_date": r.end_date,
            "grid": r.grid.code,
            "version": r.version,
        }
        for r in qs.prefetch_related("tenants")[:1000]
    ]


@router.get("/units", response=list[UnitOut], summary="实有单位", operation_id="list_units")
@paginate(LimitOffsetPagination)
def list_units(request, q: str = "", key: bool | None = None):
    qs = Unit.objects.restrict(request.user, "view").select_related("address", "grid")
    if q:
        qs = qs.filter(name__contains=q.strip()) | qs.filter(credit_code=q.strip().upper())
    if key is not None:
        qs = qs.filter(is_key_unit=key)
    return [_unit_out(u) for u in qs[:1000]]


@router.get("/units/{public_id}", response={200: UnitOut, 404: ErrorOut}, operation_id="get_unit")
def get_unit(request, public_id: str):
    qs = Unit.objects.restrict(request.user, "view").select_related("address", "grid")
    return _unit_out(get_object_or_404(qs, public_id=public_id))


@router.get("/vessels", response=list[VesselOut], summary="船舶", operation_id="list_vessels")
@paginate(LimitOffsetPagination)
def list_vessels(request, q: str = "", group: str = ""):
    qs = Vessel.objects.restrict(request.user, "view").select_related("owner", "owner_unit", "grid")
    if q:
        qs = qs.filter(name__contains=q.strip()) | qs.filter(registration_number=q.strip().upper())
    if group:
        qs = qs.filter(vessel_group=group)
    return [_vessel_out(v) for v in qs[:1000]]


@router.get(
    "/vessels/{public_id}", response={200: VesselOut, 404: ErrorOut}, operation_id="get_vessel"
)
def get_vessel(request, public_id: str):
    qs = Vessel.objects.restrict(request.user, "view").select_related("owner", "owner_unit", "grid")
    return _vessel_out(get_object_or_404(qs, public_id=public_id))


@router.get("/care-tag-kinds", response=list[KindOut], operation_id="list_care_tag_kinds")
def care_tag_kinds(request):
    return list(CareTagKind.objects.filter(is_active=True))


@router.get("/ethnicities", response=list[EthnicityOut], operation_id="list_ethnicities")
def ethnicities(request):
    return list(Ethnicity.objects.all())
