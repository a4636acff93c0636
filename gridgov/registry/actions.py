"""Every change to the registry (采集 → 核实), care tags and conflicts.

Collection (采集) never changes a record: :func:`do_submit` cleans the proposed data,
stores it encrypted as a pending :class:`Submission` and flags conflicts. The record's
verified state stays in force until the 网格长 of its grid or the town agency verifies
(:func:`do_verify`), which applies the data in one transaction, raises the record's
version and keeps the submission as that version. :func:`do_import_record` is the same
path for imports: submit and verify at once when nothing conflicts.
"""

import hashlib
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.locate import locate
from gridgov.areas.models import Area, Grid
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import Conflict as ConflictError
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.core.masking import mask_id_number, mask_name
from gridgov.core.querysets import recheck_scope
from gridgov.registry import payloads
from gridgov.registry.choices import (
    ADDRESS_CODE_PARTS,
    POINT_LEVELS,
    AddressLevel,
    ConflictKind,
    ConflictStatus,
    PersonEventKind,
    PersonStatus,
    RecordKind,
    SubmissionSource,
    SubmissionStatus,
)
from gridgov.registry.models import (
    Address,
    CareTag,
    CareTagKind,
    Ethnicity,
    House,
    Household,
    Person,
    PersonEvent,
    Rental,
    Submission,
    SubmissionKey,
    Tenancy,
    Unit,
    Vessel,
)
from gridgov.registry.models import Conflict as RecordConflict

MODELS = {
    RecordKind.ADDRESS: Address,
    RecordKind.HOUSE: House,
    RecordKind.RENTAL: Rental,
    RecordKind.PERSON: Person,
    RecordKind.HOUSEHOLD: Household,
    RecordKind.UNIT: Unit,
    RecordKind.VESSEL: Vessel,
}
KIND_OF_MODEL = {model: kind for kind, model in MODELS.items()}


def kind_of(record) -> str:
    return KIND_OF_MODEL[type(record)]


def _today() -> date:
    return timezone.localdate()


def _date(value):
    return date.fromisoformat(value) if value else None


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def person_key(id_type: str, id_number: str) -> str | None:
    """The blind index of an ID number, as stored in ``Person.id_number_index``."""
    if not id_number:
        return None
    return Person._meta.get_field("id_number").index_of(id_number)


def house_key(address_code: str) -> str:
    return _hash(f"house:{address_code}")


# Where a record belongs -----------------------------------------------------------------


def grid_at(lon: float, lat: float, village: Area, field: str = "lon") -> Grid:
    """The territorial grid at a point, which must lie in ``village``."""
    located = locate(lon, lat)
    if located.grid is None:
        raise ValidationError({field: [_("该位置不在任何网格内，请核对经纬度")]})
    if not located.grid.code.startswith(village.code):
        raise ValidationError(
            {
                field: [
                    _("该位置属于网格“%(grid)s”，不在%(village)s范围内")
                    % {"grid": located.grid.name, "village": village.name}
                ]
            }
        )
    return Grid.objects.get(code=located.grid.code)


def _place(kind: str, data: dict) -> tuple[Grid | None, Area]:
    """(grid, village) a proposed record would belong to."""
    if kind == RecordKind.ADDRESS:
        village = Area.objects.get(code=data["village"])
        if data["lon"] is not None:
            return grid_at(data["lon"], data["lat"], village), village
        parent = Address.objects.filter(code=data["parent"]).first() if data["parent"] else None
        return (parent.grid if parent else None), village
    if kind == RecordKind.RENTAL:
        grid = House.objects.get(public_id=data["house"]).grid
        return grid, grid.village
    if kind == RecordKind.VESSEL:
        grid = Grid.objects.get(code=data["grid"])
        return grid, grid.village
    code = data["residence"] if kind == RecordKind.PERSON else data["address"]
    address = Address.objects.select_related("grid", "village").get(code=code)
    return address.grid, address.village


def _summary(kind: str, data: dict) -> str:
    """A masked one-line description (safe for lists and the audit log)."""
    if kind == RecordKind.PERSON:
        return f"{mask_name(data['name'])} {mask_id_number(data['id_number'])}"
    if kind == RecordKind.HOUSEHOLD:
        head = next((m for m in data["members"] if m["relation"] == "head"), data["members"][0])
        return _("%(head)s 等%(n)d人") % {
            "head": mask_name(head["name"]),
            "n": len(data["members"]),
        }
    if kind == RecordKind.ADDRESS:
        return data["name"]
    if kind in (RecordKind.UNIT, RecordKind.VESSEL):
        return data["name"]
    if kind == RecordKind.HOUSE:
        return data["address"]
    return data.get("house", "")


def _keys(kind: str, data: dict) -> list[str]:
    if kind == RecordKind.PERSON:
        return [k for k in [person_key(data["id_type"], data["id_number"])] if k]
    if kind == RecordKind.HOUSEHOLD:
        return [k for m in data["members"] if (k := person_key(m["id_type"], m["id_number"]))]
    if kind == RecordKind.HOUSE:
        return [house_key(data["address"])]
    if kind == RecordKind.UNIT and data["credit_code"]:
        return [_hash(f"unit:{data['credit_code']}")]
    if kind == RecordKind.VESSEL:
        return [_hash(f"vessel:{data['registration_number']}")]
    if kind == RecordKind.ADDRESS:
        return [_hash(f"address:{data['parent'] or data['village']}:{data['name']}")]
    return []


# Conflicts ------------------------------------------------------------------------------


def _flag(submission, kind, description, *, other=None, other_submission=None):
    return RecordConflict.objects.create(
        kind=kind,
        submission=submission,
        other_submission=other_submission,
        other_kind=kind_of(other) if other is not None else "",
        other_id=other.pk if other is not None else None,
        description=description[:300],
        grid=submission.grid,
        village=submission.village,
    )


def _visible(actor, obj) -> bool:
    return actor is None or type(obj).objects.filter(pk=obj.pk).restrict(actor, "view").exists()


def _check_person(submission, member: dict, record, actor, field_prefix: str) -> None:
    """Duplicates (refused) and a person registered elsewhere (flagged)."""
    key = person_key(member["id_type"], member["id_number"])
    if not key:
        return
    existing = (
        Person.objects.filter(id_type=member["id_type"], id_number_index=key)
        .exclude(pk=record.pk if record else None)
        .select_related("residence")
        .first()
    )
    if existing is None or (member.get("person") and member["person"] == existing.public_id):
        return
    residence = member.get("residence") or ""
    same_place = existing.residence is not None and existing.residence.code == residence
    if record is None and same_place and _visible(actor, existing):
        raise ValidationError(
            {
                f"{field_prefix}id_number": [
                    _("该人员已登记在此地址（编号 %(id)s），请在其记录上修改")
                    % {"id": existing.public_id}
                ]
            }
        )
    _flag(
        submission,
        ConflictKind.PERSON_TWO_PLACES,
        _("证件号码 %(number)s 已登记在其他地址，核实后将视为迁入本地址")
        % {"number": mask_id_number(member["id_number"])},
        other=existing,
    )


def _check_house(submission, data: dict, record, actor) -> None:
    existing = House.objects.filter(address__code=data["address"]).exclude(
        pk=record.pk if record else None
    )
    existing = existing.first()
    proposed = data["owner"] or data["owner_unit"]
    if existing is not None:
        current = existing.owner or existing.owner_unit
        current_id = current.public_id if current else ""
        if current_id and proposed and current_id != proposed:
            _flag(
                submission,
                ConflictKind.HOUSE_TWO_OWNERS,
                _("该房屋已登记其他产权人，本次采集的产权人不同"),
                other=existing,
            )
        elif _visible(actor, existing):
            raise ValidationError(
                {
                    "address": [
                        _("该地址已登记房屋（编号 %(id)s），请在其记录上修改")
                        % {"id": existing.public_id}
                    ]
                }
            )
    elif record is not None:
        current = record.owner or record.owner_unit
        if current is not None and proposed and current.public_id != proposed:
            _flag(
                submission,
                ConflictKind.HOUSE_TWO_OWNERS,
                _("产权人由已登记的人员变更为他人，需核实产权"),
                other=record,
            )


def _check_unique(kind: str, data: dict, record) -> None:
    exclude = record.pk if record else None
    credit_code = data.get("credit_code") if kind == RecordKind.UNIT else None
    if credit_code and Unit.objects.filter(credit_code=credit_code).exclude(pk=exclude).exists():
        raise ValidationError({"credit_code": [_("该统一社会信用代码已登记")]})
    if kind == RecordKind.VESSEL:
        number = data["registration_number"]
        if Vessel.objects.filter(registration_number=number).exclude(pk=exclude).exists():
            raise ValidationError({"registration_number": [_("该船舶登记号已登记")]})
    if kind == RecordKind.ADDRESS:
        siblings = Address.objects.filter(name=data["name"]).exclude(pk=exclude)
        if data["parent"]:
            siblings = siblings.filter(parent__code=data["parent"])
        else:
            siblings = siblings.filter(parent__isnull=True, village__code=data["village"])
        if siblings.exists():
            raise ValidationError({"name": [_("上级地址下已有同名地址“%(name)s”") % data]})
        if data["code"] and Address.objects.filter(code=data["code"]).exclude(pk=exclude).exists():
            raise ValidationError({"code": [_("地址编码“%(code)s”已被使用") % data]})


def _flag_conflicts(submission, kind: str, data: dict, record, actor) -> None:
    _check_unique(kind, data, record)
    if kind == RecordKind.PERSON:
        _check_person(submission, data, record, actor, "")
    elif kind == RecordKind.HOUSEHOLD:
        for index, member in enumerate(data["members"]):
            member = {**member, "residence": data["address"]}
            existing = None
            if member.get("person"):
                existing = Person.objects.filter(public_id=member["person"]).first()
            _check_person(submission, member, existing, actor, f"members-{index}-")
    elif kind == RecordKind.HOUSE:
        _check_house(submission, data, record, actor)
    keys = _keys(kind, data)
    SubmissionKey.objects.bulk_create(
        [SubmissionKey(submission=submission, key=key) for key in dict.fromkeys(keys)]
    )
    others = Submission.objects.filter(status=SubmissionStatus.PENDING).exclude(pk=submission.pk)
    condition = Q(keys__key__in=keys) if keys else Q(pk__in=[])
    if record is not None:
        condition |= Q(record_kind=kind, record_id=record.pk)
    for other in others.filter(condition).distinct().order_by("id")[:10]:
        _flag(
            submission,
            ConflictKind.DUPLICATE_PENDING,
            _("与 %(when)s 的另一条待核实采集涉及同一对象")
            % {"when": f"{other.submitted_at:%Y-%m-%d %H:%M}"},
            other_submission=other,
        )


# Collect and verify ---------------------------------------------------------------------


def _lock(record):
    return type(record).objects.select_for_update().get(pk=record.pk)


def do_submit(
    kind: str,
    raw: dict,
    *,
    actor,
    record=None,
    source: str = SubmissionSource.COLLECTED,
) -> Submission:
    """采集: propose a new record (``record=None``) or a change to ``record``.

    Refuses bad input with field errors; flags conflicts; changes no record.
    """
    kind = RecordKind(kind)
    if record is not None and kind_of(record) != kind:
        raise ValueError("record does not match kind")
    data = payloads.clean(kind, raw, actor=actor)
    with transaction.atomic():
        if record is not None:
            record = _lock(record)
            if actor is not None and not (
                type(record).objects.filter(pk=record.pk).restrict(actor, "change").exists()
            ):
                raise NotPermitted(_("无权变更此记录"))
        grid, village = _place(kind, data)
        submission = Submission(
            record_kind=kind,
            record_id=record.pk if record else None,
            base_version=record.version if record else None,
            summary=_summary(kind, data)[:300],
            grid=grid,
            village=village,
            source=source,
            submitted_by=actor,
        )
        submission.data = data
        keys = _keys(kind, data)
        submission.key_index = keys[0] if keys else None
        submission.save()
        _flag_conflicts(submission, kind, data, record, actor)
        recheck_scope(submission, actor, "add")
        audit.record(
            AuditKind.DATA_CREATED,
            actor=actor,
            target=submission,
            detail={
                "kind": kind,
                "change": bool(record),
                "summary": submission.summary,
                "conflicts": submission.conflicts.count(),
            },
        )
    return submission


def _snapshot(record) -> dict:
    data = audit.snapshot(record, exclude=("name",) if isinstance(record, Person) else ())
    if isinstance(record, Person):
        data["name"] = mask_name(record.name)
    return data


def do_verify(submission: Submission, *, actor, note: str = ""):
    """核实: apply a pending submission; returns the record, now at a new version."""
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=submission.pk)
        if actor is not None and not (
            Submission.objects.filter(pk=sub.pk).restrict(actor, "approve").exists()
        ):
            raise NotPermitted(_("只有本网格的网格长或镇（街道）网格化服务管理机构可以核实"))
        if sub.status != SubmissionStatus.PENDING:
            raise IllegalTransition(
                _("该采集记录已是“%(status)s”状态，不能核实") % {"status": sub.get_status_display()}
            )
        if sub.conflicts.filter(status=ConflictStatus.OPEN).exists():
            raise IllegalTransition(
                _("该采集记录有待处理的冲突，请先处理冲突再核实"), code="open_conflict"
            )
        model = MODELS[RecordKind(sub.record_kind)]
        record = None
        if sub.record_id is not None:
            record = model.objects.select_for_update().filter(pk=sub.record_id).first()
            if record is None:
                raise IllegalTransition(_("所变更的记录已不存在"))
            if sub.base_version is not None and record.version != sub.base_version:
                raise ConflictError(
                    _("该记录在采集后已更新为第%(v)d版，请退回后依据最新版本重新采集")
                    % {"v": record.version}
                )
        # References may have changed since collection: clean again, as the system.
        data = payloads.clean(sub.record_kind, sub.data, actor=None)
        before = _snapshot(record) if record is not None else None
        try:
            with transaction.atomic():
                record = APPLY[sub.record_kind](data, record, sub, actor)
        except IntegrityError:
            raise ValidationError(
                {"__all__": [_("与已登记的记录重复（证件号码、信用代码或登记号），请处理后再核实")]}
            ) from None
        now = timezone.now()
        sub.status = SubmissionStatus.VERIFIED
        sub.record_id = record.pk
        sub.version = record.version
        sub.decided_by = actor
        sub.decided_at = now
        sub.decision_note = (note or "").strip()[:300]
        sub.save()
        old, new = audit.diff(before or {}, _snapshot(record))
        audit.record(
            AuditKind.DATA_CHANGED if before else AuditKind.DATA_CREATED,
            actor=actor,
            target=record,
            before=old if before else None,
            after=new,
            detail={"submission": sub.public_id, "version": record.version},
        )
    return record


def do_reject(submission: Submission, *, actor, note: str) -> Submission:
    """退回: the record stays as it was; the collector sees the reason."""
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": [_("请填写退回理由")]})
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=submission.pk)
        if not Submission.objects.filter(pk=sub.pk).restrict(actor, "approve").exists():
            raise NotPermitted(_("只有本网格的网格长或镇（街道）网格化服务管理机构可以退回"))
        if sub.status != SubmissionStatus.PENDING:
            raise IllegalTransition(_("只能退回待核实的采集记录"))
        _close(sub, SubmissionStatus.REJECTED, actor, note)
    return sub


def do_withdraw(submission: Submission, *, actor) -> Submission:
    """撤回: the collector takes back a pending submission."""
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=submission.pk)
        if actor is None or sub.submitted_by_id != actor.pk:
            raise NotPermitted(_("只有采集人本人可以撤回"))
        if sub.status != SubmissionStatus.PENDING:
            raise IllegalTransition(_("只能撤回待核实的采集记录"))
        _close(sub, SubmissionStatus.WITHDRAWN, actor, "")
    return sub


def _close(sub, status, actor, note) -> None:
    sub.status = status
    sub.decided_by = actor
    sub.decided_at = timezone.now()
    sub.decision_note = note[:300]
    sub.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    sub.conflicts.filter(status=ConflictStatus.OPEN).update(
        status=ConflictStatus.RESOLVED,
        resolution=_("采集记录已%(status)s") % {"status": sub.get_status_display()},
        resolved_by=actor,
        resolved_at=sub.decided_at,
    )
    audit.record(
        AuditKind.DATA_CHANGED,
        actor=actor,
        target=sub,
        after={"status": status},
        detail={"note": note[:300]} if note else None,
    )


def do_resolve_conflict(conflict, *, accept: bool, note: str, actor):
    """处理冲突: ``accept`` keeps the submission (to be verified: the person moves here,
    the house gets the new owner); otherwise the submission is rejected."""
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": [_("请填写处理意见")]})
    with transaction.atomic():
        locked = RecordConflict.objects.select_for_update().get(pk=conflict.pk)
        if not RecordConflict.objects.filter(pk=locked.pk).restrict(actor, "approve").exists():
            raise NotPermitted(_("只有本网格的网格长或镇（街道）网格化服务管理机构可以处理冲突"))
        if locked.status != ConflictStatus.OPEN:
            raise IllegalTransition(_("该冲突已处理"))
        locked.status = ConflictStatus.RESOLVED
        locked.resolution = (_("采纳本次采集：") if accept else _("不采纳本次采集：")) + note
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        locked.save()
        audit.record(
            AuditKind.DATA_CHANGED,
            actor=actor,
            target=locked,
            after={"status": locked.status, "accept": accept},
        )
        if not accept:
            sub = Submission.objects.select_for_update().get(pk=locked.submission_id)
            if sub.status == SubmissionStatus.PENDING:
                _close(sub, SubmissionStatus.REJECTED, actor, note)
    return locked


def do_import_record(kind: str, raw: dict, *, actor, record=None, source=SubmissionSource.IMPORTED):
    """Submit and, when nothing conflicts, verify at once (imports by the agency).

    Returns ``(submission, record or None)``; a submission with conflicts stays pending
    for the conflicts to be resolved. Field errors raise ``ValidationError`` as usual.
    """
    with transaction.atomic():
        submission = do_submit(kind, raw, actor=actor, record=record, source=source)
        if submission.conflicts.exists():
            return submission, None
        return submission, do_verify(submission, actor=actor, note=_("批量导入"))


# Applying verified data -----------------------------------------------------------------


def _bump(record, sub, actor):
    record.version = (record.version or 0) + 1 if record.pk else 1
    record.verified_at = timezone.now()
    record.verified_by = actor


def next_address_code(level: str, parent: Address | None, village: Area) -> str:
    letter, width = ADDRESS_CODE_PARTS[AddressLevel(level)]
    stem = f"{parent.code if parent else village.code}{letter}"
    used = Address.objects.filter(code__startswith=stem, code__length=len(stem) + width)
    last = used.order_by("-code").values_list("code", flat=True).first()
    sequence = int(last[len(stem) :]) + 1 if last and last[len(stem) :].isdigit() else 1
    if sequence >= 10**width:
        raise ValidationError({"name": [_("该上级地址下的地址数量已达上限")]})
    return f"{stem}{sequence:0{width}d}"


def _rehome(address: Address) -> None:
    """After a door or building moved to another grid, what hangs under it follows
    (parts with a point of their own keep the grid of their point)."""
    below = Address.objects.filter(code__startswith=address.code).exclude(pk=address.pk)
    below.filter(lon__isnull=True).update(grid=address.grid)
    for part in Address.objects.filter(code__startswith=address.code).only("pk", "grid"):
        if part.grid_id is None:
            continue
        Person.objects.filter(residence=part).update(grid=part.grid_id)
        Household.objects.filter(address=part).update(grid=part.grid_id)
        House.objects.filter(address=part).update(grid=part.grid_id)
        Unit.objects.filter(address=part).update(grid=part.grid_id)


def apply_address(data, record, sub, actor) -> Address:
    parent = Address.objects.filter(code=data["parent"]).first() if data["parent"] else None
    village = Area.objects.get(code=data["village"])
    address = record or Address(level=data["level"], parent=parent, village=village)
    if record is not None and (record.level != data["level"] or record.parent != parent):
        raise ValidationError({"parent": [_("不能修改地址层级或上级，请新增地址后停用旧地址")]})
    old_grid = address.grid_id
    address.name = data["name"]
    address.lon, address.lat = data["lon"], data["lat"]
    if data["lon"] is not None:
        address.grid = grid_at(data["lon"], data["lat"], village)
    else:
        address.grid = parent.grid if parent else None
    address.full_name = f"{parent.full_name if parent else village.name}{data['name']}"[:300]
    if record is None:
        address.code = data["code"] or next_address_code(data["level"], parent, village)
    _bump(address, sub, actor)
    address.save()
    if record is not None and old_grid != address.grid_id and address.level in POINT_LEVELS:
        _rehome(address)
    return address


def _person_event(person, kind, when, *, address=None, note="", sub=None):
    PersonEvent.objects.create(
        person=person, kind=kind, date=when, address=address, note=note, submission=sub
    )


def apply_person(data, record, sub, actor, *, household=None) -> Person:
    residence = Address.objects.select_related("grid").get(code=data["residence"])
    if record is None:
        # A person already registered elsewhere (a resolved conflict) moves here.
        key = person_key(data["id_type"], data["id_number"])
        record = Person.objects.filter(id_type=data["id_type"], id_number_index=key).first()
    person = record or Person()
    was_new = person.pk is None
    old_residence = person.residence if not was_new else None
    old_status = person.status
    for name in ("name", "id_type", "id_number", "gender", "nationality", "phone"):
        setattr(person, name, data[name])
    for name in ("hukou_place", "category", "relation", "status"):
        setattr(person, name, data[name])
    person.birth_date = _date(data["birth_date"])
    person.ethnicity = Ethnicity.objects.filter(code=data["ethnicity"]).first()
    person.residence = residence
    person.grid = residence.grid
    person.residence_start = _date(data["residence_start"])
    person.residence_end = _date(data["residence_end"])
    if household is not None:
        person.household = household
    elif data.get("household"):
        person.household = Household.objects.get(public_id=data["household"])
    elif "household" in data:
        person.household = None
    _bump(person, sub, actor)
    person.save()
    event = data.get("event") or {}
    when = _date(event.get("date")) or person.residence_start or _today()
    note = event.get("note", "")
    if event.get("kind"):
        _person_event(person, event["kind"], when, address=residence, note=note, sub=sub)
        if event["kind"] == PersonEventKind.DEATH and person.status != PersonStatus.DECEASED:
            person.status = PersonStatus.DECEASED
            person.save(update_fields=["status"])
        return person
    if was_new:
        _person_event(person, PersonEventKind.MOVE_IN, when, address=residence, sub=sub)
    elif old_residence is not None and old_residence.pk != residence.pk:
        _person_event(person, PersonEventKind.MOVE_OUT, _today(), address=old_residence, sub=sub)
        _person_event(person, PersonEventKind.MOVE_IN, _today(), address=residence, sub=sub)
    elif old_status != person.status and person.status == PersonStatus.MOVED_OUT:
        _person_event(person, PersonEventKind.MOVE_OUT, _today(), address=residence, sub=sub)
    elif old_status != person.status and person.status == PersonStatus.DECEASED:
        _person_event(person, PersonEventKind.DEATH, _today(), address=residence, sub=sub)
    return person


def _member_version(sub, person, data, actor) -> None:
    """Each member's new version is kept as a verified submission of its own, so that a
    person's versions read the same whether collected alone or with the household."""
    member = Submission(
        record_kind=RecordKind.PERSON,
        record_id=person.pk,
        version=person.version,
        summary=_summary(RecordKind.PERSON, data)[:300],
        grid=person.grid,
        village=person.grid.village,
        status=SubmissionStatus.VERIFIED,
        source=sub.source,
        submitted_by=sub.submitted_by,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=_("随户核实（%(id)s）") % {"id": sub.public_id},
    )
    member.data = data
    member.save()


def apply_household(data, record, sub, actor) -> Household:
    address = Address.objects.select_related("grid").get(code=data["address"])
    household = record or Household()
    household.number = data["number"]
    household.kind = data["kind"]
    household.address = address
    household.grid = address.grid
    _bump(household, sub, actor)
    household.save()
    kept = []
    for member in data["members"]:
        existing = None
        if member.get("person"):
            existing = Person.objects.filter(public_id=member["person"]).first()
        data_of_member = {**member, "residence": address.code, "household": household.public_id}
        person = apply_person(data_of_member, existing, sub, actor, household=household)
        _member_version(sub, person, data_of_member, actor)
        kept.append(person.pk)
    if record is not None:
        household.members.exclude(pk__in=kept).update(household=None, relation="")
    return household


def _party(data, key, model):
    return model.objects.get(public_id=data[key]) if data.get(key) else None


def apply_house(data, record, sub, actor) -> House:
    address = Address.objects.select_related("grid").get(code=data["address"])
    house = record or House.objects.filter(address=address).first() or House(address=address)
    house.address = address
    house.grid = address.grid
    house.use = data["use"]
    house.owner = _party(data, "owner", Person)
    house.owner_unit = _party(data, "owner_unit", Unit)
    house.floor_area = data["floor_area"]
    house.note = data["note"]
    _bump(house, sub, actor)
    house.save()
    return house


def apply_rental(data, record, sub, actor) -> Rental:
    house = House.objects.get(public_id=data["house"])
    rental = record or Rental()
    rental.house = house
    rental.grid = house.grid
    rental.landlord = Person.objects.get(public_id=data["landlord"])
    rental.start_date = _date(data["start_date"])
    rental.end_date = _date(data["end_date"])
    _bump(rental, sub, actor)
    rental.save()
    tenants = list(Person.objects.filter(public_id__in=data["tenants"]))
    rental.tenancies.exclude(person__in=tenants).delete()
    have = set(rental.tenancies.values_list("person_id", flat=True))
    for tenant in tenants:
        if tenant.pk not in have:
            Tenancy.objects.create(rental=rental, person=tenant, start_date=rental.start_date)
    return rental


def apply_unit(data, record, sub, actor) -> Unit:
    address = Address.objects.select_related("grid").get(code=data["address"])
    unit = record or Unit()
    for name in ("name", "kind", "legal_representative", "contact_name", "contact_phone"):
        setattr(unit, name, data[name])
    for name in ("staff_count", "is_key_unit", "key_place_kind", "patrol_frequency"):
        setattr(unit, name, data[name])
    unit.credit_code = data["credit_code"] or None
    unit.address = address
    unit.grid = address.grid
    _bump(unit, sub, actor)
    unit.save()
    return unit


def apply_vessel(data, record, sub, actor) -> Vessel:
    vessel = record or Vessel()
    for name in ("name", "registration_number", "kind", "vessel_group", "home_port"):
        setattr(vessel, name, data[name])
    vessel.length_m = data["length_m"]
    vessel.gross_tonnage = data["gross_tonnage"]
    vessel.owner = _party(data, "owner", Person)
    vessel.owner_unit = _party(data, "owner_unit", Unit)
    vessel.grid = Grid.objects.get(code=data["grid"])
    _bump(vessel, sub, actor)
    vessel.save()
    return vessel


APPLY = {
    RecordKind.ADDRESS: apply_address,
    RecordKind.HOUSE: apply_house,
    RecordKind.RENTAL: apply_rental,
    RecordKind.PERSON: apply_person,
    RecordKind.HOUSEHOLD: apply_household,
    RecordKind.UNIT: apply_unit,
    RecordKind.VESSEL: apply_vessel,
}


def versions(record):
    """The verified versions of a record, oldest first (each a Submission)."""
    return Submission.objects.filter(
        record_kind=kind_of(record), record_id=record.pk, status=SubmissionStatus.VERIFIED
    ).order_by("version")


def pending_for(record):
    return Submission.objects.filter(
        record_kind=kind_of(record), record_id=record.pk, status=SubmissionStatus.PENDING
    )


# Care tags ------------------------------------------------------------------------------


def do_add_care_tag(
    person: Person, kind_code: str, *, actor, note: str = "", since: date | None = None
) -> CareTag:
    """Tag a person (关爱对象/特殊人群). Only those who may see the kind may record it."""
    kind = CareTagKind.objects.filter(code=kind_code, is_active=True).first()
    if kind is None:
        raise ValidationError({"kind": [_("未知的关爱对象类别")]})
    with transaction.atomic():
        person = _lock(person)
        if person.care_tags.filter(
            kind_index=CareTag._meta.get_field("kind_code").index_of(kind.code)
        ).exists():
            raise ValidationError({"kind": [_("该人员已有“%(kind)s”标签") % {"kind": kind.name}]})
        tag = CareTag.objects.create(
            person=person,
            kind_code=kind.code,
            note=(note or "").strip()[:500],
            since=since,
            grid=person.grid,
            created_by=actor,
        )
        if (
            actor is not None
            and not CareTag.objects.filter(pk=tag.pk).restrict(actor, "add").exists()
        ):
            raise NotPermitted(_("无权登记“%(kind)s”标签") % {"kind": kind.name})
        audit.record(
            AuditKind.DATA_CREATED,
            actor=actor,
            target=person,
            detail={"care_tag": kind.code},
        )
    return tag


def do_remove_care_tag(tag: CareTag, *, actor) -> None:
    with transaction.atomic():
        locked = CareTag.objects.select_for_update().filter(pk=tag.pk).first()
        if locked is None:
            raise IllegalTransition(_("该标签已删除"))
        if actor is not None and not (
            CareTag.objects.filter(pk=locked.pk).restrict(actor, "delete").exists()
        ):
            raise NotPermitted(_("无权删除此标签"))
        person = locked.person
        code = locked.kind_code
        locked.delete()
        audit.record(AuditKind.DATA_DELETED, actor=actor, target=person, detail={"care_tag": code})


def read_care_tags(person: Person, *, actor) -> list[tuple[CareTagKind, CareTag]]:
    """The person's tags ``actor`` may see; every read that shows a tag is audited."""
    tags = list(CareTag.objects.filter(person=person).restrict(actor, "view").order_by("id"))
    if not tags:
        return []
    kinds = {k.code: k for k in CareTagKind.objects.filter(code__in=[t.kind_code for t in tags])}
    audit.record(
        AuditKind.SENSITIVE_READ,
        actor=actor,
        target=person,
        detail={"care_tags": sorted(kinds)},
    )
    return [(kinds[t.kind_code], t) for t in tags if t.kind_code in kinds]


def tag_filter(kind_code: str) -> Q:
    """Persons carrying a tag (combine with restrict(): the tag must be visible too)."""
    index = CareTag._meta.get_field("kind_code").index_of(kind_code)
    return Q(care_tags__kind_index=index)
