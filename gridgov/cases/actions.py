"""Every change to a case (第十七条): intake, the level-by-level flow, department work,
verification, feedback and rating, side states, urging and supervision.

Each ``do_*`` runs in one transaction with the case row locked; the caller's copy of the
case carries the version it saw, and if somebody changed the case in between the action
is refused with :class:`Conflict` ("此事件刚刚被他人处理") instead of acting on a state the
user never saw. Illegal transitions raise :class:`IllegalTransition`; acting on a case
one does not hold raises :class:`NotPermitted`. Notifications go out after commit.
"""

import hashlib
import json
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scope import current_posts
from gridgov.areas.choices import AreaLevel
from gridgov.areas.locate import locate
from gridgov.areas.models import Area, Grid
from gridgov.cases import events, notify
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
from gridgov.cases.models import (
    Case,
    CaseAssignment,
    CaseCounter,
    CasePolicy,
    IdempotencyKey,
    SupervisionOrder,
    new_tracking_code,
)
from gridgov.cases.uploads import check_uploads
from gridgov.core import audit, clock
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import Conflict, IllegalTransition, NotPermitted
from gridgov.core.fields import normalise_phone
from gridgov.core.numbers import next_number
from gridgov.core.workdays import add_workdays
from gridgov.matters.choices import AttributeType
from gridgov.matters.models import Matter
from gridgov.orgs.choices import (
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
    Role,
)
from gridgov.orgs.models import Department, Post

MAX_TEXT = 2000
NEXT_LEVEL = {AreaLevel.VILLAGE: AreaLevel.TOWN, AreaLevel.TOWN: AreaLevel.COUNTY}
NEXT_LEVEL[AreaLevel.COUNTY] = AreaLevel.CITY


def conflict() -> Conflict:
    return Conflict(_("此事件刚刚被他人处理，请刷新页面查看最新情况后再操作"))


# Who holds a case, and who may act ------------------------------------------------------


def _post_for_grid(actor, grid_id):
    for post in current_posts(actor):
        if post.grid_id == grid_id and post.role in (*GRID_ROLES, *EXCLUSIVE_GRID_ROLES):
            return post
    return None


def _post_for_area(actor, area_id, *, leader: bool = False):
    """An agency post at the area (a village's 总网格长/网格指导员 act for the village)."""
    for post in current_posts(actor):
        if post.area_id != area_id:
            continue
        agency = post.role in AREA_ROLES or post.role in VILLAGE_ROLES
        if agency and (not leader or post.role in (Role.AGENCY_LEADER, Role.CHIEF)):
            return post
    return None


def _post_for_department(actor, department_id):
    for post in current_posts(actor):
        if post.department_id == department_id and post.role in DEPARTMENT_ROLES:
            return post
    return None


def _post_covering(actor, case):
    """An agency post whose area contains the case (may urge and supervise)."""
    for post in current_posts(actor):
        if post.role in AREA_ROLES and case.place_code.startswith(post.area.code):
            return post
    return None


def holder_post(actor, case: Case, *, leader: bool = False):
    """The actor's post that holds the case now, or None."""
    if actor is None:
        return None
    if case.holder_grid_id:
        return None if leader else _post_for_grid(actor, case.holder_grid_id)
    if case.holder_area_id:
        return _post_for_area(actor, case.holder_area_id, leader=leader)
    if case.holder_department_id:
        return _post_for_department(actor, case.holder_department_id)
    return None


def _require_holder(actor, case, *, leader=False):
    post = holder_post(actor, case, leader=leader)
    if post is None:
        if leader and holder_post(actor, case) is not None:
            raise NotPermitted(_("此操作需要本级负责人审批"))
        raise NotPermitted(_("此事件当前不由您办理"))
    return post


def _require_state(case, *states):
    if case.status not in states:
        raise IllegalTransition(
            _("事件当前状态为「%(status)s」，不能进行此操作")
            % {"status": case.get_status_display()}
        )


# Time -------------------------------------------------------------------------------------


def _due(case: Case, start: datetime, workdays: int) -> datetime:
    return add_workdays(start, workdays, case.place_code)


def _start_stage(case: Case, due_at: datetime | None, *, now: datetime, policy=None) -> None:
    """A new holder or a new deadline: the clock restarts, the colour goes back to normal."""
    case.stage += 1
    case.stage_started_at = now
    case.due_at = due_at
    if due_at is not None:
        percent = (policy or CasePolicy.current()).warn_percent
        case.warn_at = now + (due_at - now) * percent / 100
    else:
        case.warn_at = None
    case.flag = Flag.NORMAL
    case.flag_claim = ""


def _finish(case: Case, status: str, now: datetime) -> None:
    """A terminal state: no holder, no clock (inboxes and the sweeper skip it)."""
    case.status = status
    case.closed_at = now
    _start_stage(case, None, now=now)
    _hold(case)


def _hold(case, *, grid=None, area=None, department=None) -> None:
    case.holder_grid = grid
    case.holder_area = area
    case.holder_department = department


@contextmanager
def _changing(case: Case, actor, expected_version: int | None = None):
    """Lock the case, refuse stale actions, and save it with a new version afterwards."""
    seen = expected_version if expected_version is not None else case.version
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.version != seen:
            raise conflict()
        yield locked
        locked.version += 1
        locked.updated_at = clock.now()
        locked.save()
        if actor is not None:
            from gridgov.core.querysets import recheck_scope

            recheck_scope(locked, actor)
    case.refresh_from_db()


def _text(value, field: str, *, required: bool = True, label: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [_("请填写%(label)s") % {"label": label or _("意见")}]})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: [_("不超过 %(n)d 字") % {"n": MAX_TEXT}]})
    return text


# Intake ----------------------------------------------------------------------------------


def _clean_attributes(matter: Matter, values) -> dict:
    """The matter's item-specific fields (事项要素), typed and required as it says."""
    values = values if isinstance(values, dict) else {}
    cleaned, errors = {}, []
    for spec in matter.attributes or []:
        code, label = spec["code"], spec["label"]
        raw = values.get(code)
        empty = raw in (None, "", [])
        if empty:
            if spec.get("required"):
                errors.append(_("请填写「%(label)s」") % {"label": label})
            continue
        kind = spec["type"]
        if kind == AttributeType.NUMBER:
            try:
                number = float(raw)
                if number != number or number in (float("inf"), float("-inf")):
                    raise ValueError
                cleaned[code] = int(number) if number.is_integer() else number
            except (TypeError, ValueError, OverflowError):
                errors.append(_("「%(label)s」应为数字") % {"label": label})
        elif kind == AttributeType.DATE:
            try:
                cleaned[code] = date.fromisoformat(str(raw)).isoformat()
            except ValueError:
                errors.append(_("「%(label)s」应为日期（年-月-日）") % {"label": label})
        elif kind == AttributeType.SINGLE:
            if str(raw) not in spec["choices"]:
                errors.append(_("「%(label)s」请从选项中选择") % {"label": label})
            else:
                cleaned[code] = str(raw)
        elif kind == AttributeType.MULTIPLE:
            items = raw if isinstance(raw, list) else [raw]
            if any(str(item) not in spec["choices"] for item in items):
                errors.append(_("「%(label)s」请从选项中选择") % {"label": label})
            else:
                cleaned[code] = [str(item) for item in items]
        else:
            text = str(raw).strip()
            if len(text) > 200:
                errors.append(_("「%(label)s」不超过 200 字") % {"label": label})
            cleaned[code] = text
    unknown = set(values) - {spec["code"] for spec in matter.attributes or []}
    if unknown:
        errors.append(_("该事项没有这些要素：%(codes)s") % {"codes": "、".join(sorted(unknown))})
    if errors:
        raise ValidationError({"attributes": errors})
    return cleaned


def find_matter(code: str, on: date | None = None, *, resident: bool = False) -> Matter:
    """The version of a matter in force (the city's list first, then a county's)."""
    code = str(code or "").strip()
    # Boundaries are large JSON documents and not needed here (nor below).
    matters = (
        Matter.objects.in_force(on)
        .filter(code=code)
        .select_related("area")
        .defer("area__geometry", "area__sea_geometry")
    )
    matter = sorted(matters, key=lambda m: len(m.area.code))[0] if matters else None
    if matter is None:
        raise ValidationError({"matter": [_("请选择事项清单中现行有效的事项")]})
    if resident and not matter.resident_reportable:
        raise ValidationError({"matter": [_("该事项不接受群众直接反映，请联系所在网格员")]})
    return matter


def _place(lon, lat, area_code: str):
    """(lon, lat, grid, place area) from a point, or from a chosen area without one."""
    if lon is not None or lat is not None:
        try:
            lon, lat = float(lon), float(lat)
        except (TypeError, ValueError):
            raise ValidationError({"location": [_("位置的经纬度应为数字")]}) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError({"location": [_("位置的经纬度超出范围")]})
        found = locate(lon, lat)
        if not found.inside or found.grid is None:
            raise ValidationError({"location": [_("该位置不在本市网格范围内，请重新选择")]})
        # The grid with its village, town and county in one query (boundaries left out).
        grid = (
            Grid.objects.select_related("village__parent__parent")
            .defer(*_GRID_PLACE_GEOMETRY)
            .get(code=found.grid.code)
        )
        return lon, lat, grid, grid.village
    code = str(area_code or "").strip()
    if not code:
        raise ValidationError({"location": [_("请在地图上选择位置，或选择所在村（社区）")]})
    area = (
        Area.objects.filter(code=code, level__gte=AreaLevel.TOWN)
        .defer("geometry", "sea_geometry")
        .first()
    )
    if area is None:
        raise ValidationError({"location": [_("请选择所在镇（街道）或村（社区）")]})
    return None, None, None, area


_GRID_PLACE_GEOMETRY = (
    "geometry",
    *(
        f"village__{step}{field}"
        for step in ("", "parent__", "parent__parent__")
        for field in ("geometry", "sea_geometry")
    ),
)


def _county_of(area: Area) -> Area:
    # A village from _place() comes with its town and county already loaded.
    town = area.parent if area.level == AreaLevel.VILLAGE else None
    if town is not None and town.parent is not None and town.parent.code == area.code[:6]:
        return town.parent
    return Area.objects.defer("geometry", "sea_geometry").get(code=area.code[:6])


def valid_contact_phone(phone: str) -> bool:
    """A mobile (11 digits from 1) or a fixed line with its area code (0 + 9–11 digits),
    so that the result can be told back (SMS needs a mobile)."""
    if not phone.isdigit():
        return False
    if phone.startswith("1"):
        return len(phone) == 11 and phone[1] in "3456789"
    return phone.startswith("0") and 10 <= len(phone) <= 12


def _fingerprint(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _next_case_number(day: date) -> str:
    """SJ + date + five digits, from a per-day counter row (serialises only this line)."""
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    for _attempt in range(3):
        # One statement takes the next number and reads it (RETURNING: SQLite ≥ 3.35,
        # PostgreSQL); the row stays locked until the case is committed.
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE {table} SET "last" = "last" + 1 WHERE "day" = %s RETURNING "last"',
                [connection.ops.adapt_datefield_value(day)],
            )
            row = cursor.fetchone()
        if row is not None:
            return f"SJ{day:%Y%m%d}{row[0]:05d}"
        try:
            with transaction.atomic():
                CaseCounter.objects.create(day=day, last=1)
            return f"SJ{day:%Y%m%d}00001"
        except IntegrityError:
            continue
    raise Conflict(_("系统繁忙，请稍后重试"))


def _first_holder(channel: str, grid, area: Area, actor) -> tuple[str, dict]:
    """Where a new case starts: at the grid; or, taken by an agency, at that agency."""
    if channel == Channel.PHONE:
        post = next((p for p in current_posts(actor) if p.role in AREA_ROLES), None)
        if post is None:
            raise NotPermitted(_("只有网格化服务管理机构人员可以代为登记"))
        if not (grid.code if grid else area.code).startswith(post.area.code):
            raise ValidationError({"location": [_("该位置不在本机构管辖范围内")]})
        return Status.ACCEPTED, {"area": post.area}
    if grid is not None:
        return Status.AT_GRID, {"grid": grid}
    return Status.SUBMITTED, {"area": area}


def submit_case(
    *,
    channel: str,
    matter_code: str,
    description: str,
    attributes: dict | None = None,
    urgency: str = Urgency.NORMAL,
    lon=None,
    lat=None,
    area_code: str = "",
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    attachments=(),
    actor=None,
    idempotency_key: str = "",
    idempotency_owner: str = "",
) -> tuple[Case, bool]:
    """Take a case from any channel; returns (case, created). A repeated submission with
    the same idempotency key returns the first case instead of a second one."""
    now = clock.now()
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("未知的来源")]})
    if channel == Channel.GRID and actor is None:
        raise NotPermitted(_("请先登录"))
    if channel == Channel.GRID and not any(
        p.role in (*GRID_ROLES, *EXCLUSIVE_GRID_ROLES) for p in current_posts(actor)
    ):
        raise NotPermitted(_("只有网格员可以以网格员身份上报"))
    # Every field is checked and all problems are reported together (a resident should
    # not have to submit six times to learn six mistakes).
    errors: dict[str, list[str]] = {}

    def check(function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
            return None

    description = check(_text, description, "description", label=_("情况描述"))
    if urgency not in Urgency.values:
        errors["urgency"] = [_("请选择紧急程度")]
    matter = check(
        find_matter, matter_code, timezone.localdate(now), resident=channel == Channel.RESIDENT
    )
    if matter is not None:
        attributes = check(_clean_attributes, matter, attributes or {})
    place = check(_place, lon, lat, area_code)
    lon, lat, grid, area = place or (None, None, None, None)
    address = (check(_text, address, "address", required=False) or "")[:200]
    reporter_name = str(reporter_name or "").strip()[:50]
    phone = normalise_phone(str(reporter_phone or ""))
    if anonymous:
        if matter is not None and not matter.anonymous_allowed:
            errors["anonymous"] = [_("该事项不接受匿名反映，请留下联系方式")]
        reporter_name, phone = "", ""
    elif channel in (Channel.RESIDENT, Channel.PHONE):
        if not reporter_name:
            errors["reporter_name"] = [_("请填写反映人姓名，以便反馈办理结果")]
        if not phone:
            errors["reporter_phone"] = [_("请填写联系电话，以便反馈办理结果")]
    if phone and not valid_contact_phone(phone):
        errors["reporter_phone"] = [
            _("联系电话格式不正确：请填写 11 位手机号码，或带区号的固定电话")
        ]
    if channel == Channel.GRID and place is not None:
        own = {p.grid_id for p in current_posts(actor) if p.grid_id}
        if grid is None or grid.pk not in own:
            errors.setdefault("location", []).append(_("请选择您负责的网格内的位置"))
    checked = check(check_uploads, attachments)
    if errors:
        raise ValidationError(errors)
    status, holder = _first_holder(channel, grid, area, actor)
    key = str(idempotency_key or "").strip()[:100]
    fingerprint = _fingerprint(
        {
            "channel": channel,
            "matter": matter.code,
            "description": description,
            "attributes": attributes,
            "lon": lon,
            "lat": lat,
            "area": area.code,
            "phone": phone,
        }
    )
    owner = idempotency_owner or (f"user:{actor.pk}" if actor else "public")
    if key:
        existing = _replay(owner, key, fingerprint)
        if existing is not None:
            return existing, False
    # Everything that only reads is done before the transaction: on SQLite a write
    # transaction holds the database's one write lock from its first statement, on
    # PostgreSQL the day's counter row is locked until the commit.
    case = Case(
        tracking_code=new_tracking_code(),
        channel=channel,
        matter=matter,
        attributes=attributes,
        description=description,
        urgency=urgency,
        lon=lon,
        lat=lat,
        address=address,
        grid=grid,
        place_code=grid.code if grid else area.code,
        county=_county_of(area),
        reporter=actor if channel in (Channel.GRID, Channel.API) else None,
        reporter_name=reporter_name,
        reporter_phone=phone,
        anonymous=bool(anonymous),
        created_by=actor,
        status=status,
        stage=0,
        stage_started_at=now,
        created_at=now,
        updated_at=now,
    )
    _hold(case, **holder)
    policy = CasePolicy.current()
    _start_stage(case, _due(case, now, _stage_workdays(status, policy)), now=now, policy=policy)
    post = holder_post(actor, case) if actor else None
    recipients = notify.holder_users(case)
    try:
        with transaction.atomic():
            case.number = _next_case_number(timezone.localdate(now))
            case.save()
            if key:
                IdempotencyKey.objects.create(
                    owner=owner, key=key, fingerprint=fingerprint, case=case, created_at=now
                )
            events.record(
                case,
                EventKind.SUBMITTED,
                actor=actor,
                post=post,
                actor_name=None if actor else _("群众"),
                note=description,
                public_note=_("已收到您反映的问题"),
                data={"channel": channel},
                attachments=checked,
                public_attachments=channel == Channel.RESIDENT,
            )
            audit.record(
                AuditKind.DATA_CREATED,
                actor=actor,
                target=case,
                after={"matter": matter.code, "status": status, "channel": channel},
            )
            # In the same transaction: one commit (one fsync) per submission, and no case
            # without its inbox notification (texts still go out after the commit).
            notify.new_work(case, recipients)
    except IntegrityError:
        # Two submissions with one key raced: the other one won; answer with its case.
        if key:
            existing = _replay(owner, key, fingerprint)
            if existing is not None:
                return existing, False
        raise
    return case, True


def _replay(owner: str, key: str, fingerprint: str) -> Case | None:
    row = IdempotencyKey.objects.filter(owner=owner, key=key).only("fingerprint", "case").first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise ValidationError(
            {"idempotency_key": [_("此幂等键已用于另一份不同内容的上报，请换一个")]}
        )
    return row.case


def _stage_workdays(status: str, policy=None) -> int:
    policy = policy or CasePolicy.current()
    return {
        Status.AT_GRID: policy.grid_workdays,
        Status.SUBMITTED: policy.accept_workdays,
        Status.ACCEPTED: policy.agency_workdays,
        Status.REPLIED: policy.verify_workdays,
        Status.RESOLVED: policy.feedback_workdays,
    }[status]


def _to_agency(case: Case, status: str, area: Area, now: datetime) -> None:
    _hold(case, area=area)
    case.status = status
    _start_stage(case, _due(case, now, _stage_workdays(status)), now=now)


# At the grid ----------------------------------------------------------------------------


def do_resolve_on_site(case: Case, result: str, *, actor, attachments=(), expected_version=None):
    """就地解决: the grid's staff resolved it themselves (the result and photos are shown
    to the requester)."""
    return _resolve(
        case,
        result,
        Status.AT_GRID,
        EventKind.RESOLVED_ON_SITE,
        actor,
        attachments,
        expected_version,
        public=True,
    )


def _resolve(case, result, state, kind, actor, attachments, expected_version, *, public):
    result = _text(result, "result", label=_("处理结果") if public else _("办理结果"))
    checked = check_uploads(attachments)
    with _changing(case, actor, expected_version) as case:
        _require_state(case, state)
        post = _require_holder(actor, case)
        before, now = case.status, clock.now()
        case.status = Status.RESOLVED
        case.result, case.resolved_at = result, now
        _start_stage(case, _due(case, now, _stage_workdays(Status.RESOLVED)), now=now)
        events.record(
            case,
            kind,
            actor=actor,
            post=post,
            from_status=before,
            note=result,
            public_note=result if public else "",
            attachments=checked,
            public_attachments=public,
        )
    return case


def _level_above(area: Area) -> Area | None:
    level = NEXT_LEVEL.get(area.level)
    if level is None:
        return None
    width = {AreaLevel.TOWN: 9, AreaLevel.COUNTY: 6, AreaLevel.CITY: 4}[level]
    return Area.objects.filter(code=area.code[:width]).first()


def _village_has_staff(village: Area) -> bool:
    return Post.objects.current().filter(area=village, role__in=VILLAGE_ROLES).exists()


def escalation_target(case: Case) -> Area | None:
    """The next level up that can act: the village (when it has a 总网格长 or 网格指导员),
    then the town, the county, the city."""
    if case.holder_grid_id:
        village = case.holder_grid.village
        if _village_has_staff(village):
            return village
        return _level_above(village)
    if case.holder_area_id:
        return _level_above(case.holder_area)
    return None


def do_escalate(case: Case, note: str, *, actor, expected_version=None):
    """上报: the grid cannot resolve it, or an agency passes it to the level above."""
    note = _text(note, "note", label=_("上报理由"))
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.AT_GRID, Status.ACCEPTED)
        post = _require_holder(actor, case)
        target = escalation_target(case)
        if target is None:
            raise IllegalTransition(_("市级已是最高一级，不能再上报"))
        before, now = case.status, clock.now()
        _to_agency(case, Status.SUBMITTED, target, now)
        events.record(
            case,
            EventKind.REPORTED_UP,
            actor=actor,
            post=post,
            from_status=before,
            note=note,
            public_note=_("已上报%(area)s") % {"area": target.name},
            data={"to": target.code},
        )
    notify.new_work(case)
    return case


# At an agency ------------------------------------------------------------------------------


def do_accept(case: Case, note: str = "", *, actor, expected_version=None):
    """受理."""
    note = _text(note, "note", required=False)
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.SUBMITTED)
        post = _require_holder(actor, case)
        before, now = case.status, clock.now()
        case.status = Status.ACCEPTED
        _start_stage(case, _due(case, now, _stage_workdays(Status.ACCEPTED)), now=now)
        events.record(
            case,
            EventKind.ACCEPTED,
            actor=actor,
            post=post,
            from_status=before,
            note=note,
            public_note=_("%(area)s已受理") % {"area": case.holder_area.name},
        )
    return case


def do_reject(
    case: Case,
    ground: str,
    reason: str,
    *,
    actor,
    duplicate_of: Case | None = None,
    expected_version=None,
):
    """不予受理 (invalid, out of the list) or merge into the case it repeats."""
    if ground not in RejectGround.values:
        raise ValidationError({"ground": [_("请选择不予受理的理由")]})
    reason = _text(reason, "reason", label=_("理由"))
    if ground == RejectGround.DUPLICATE:
        if duplicate_of is None:
            raise ValidationError({"duplicate_of": [_("请选择与之重复的事件")]})
        if duplicate_of.pk == case.pk:
            raise ValidationError({"duplicate_of": [_("不能与自身合并")]})
        if duplicate_of.status not in OPEN_STATES and duplicate_of.status != Status.CLOSED:
            raise ValidationError({"duplicate_of": [_("只能合并到未被驳回的事件")]})
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.SUBMITTED)
        post = _require_holder(actor, case)
        before, now = case.status, clock.now()
        if ground == RejectGround.DUPLICATE:
            _finish(case, Status.MERGED, now)
            case.duplicate_of = duplicate_of
            kind = EventKind.MERGED
            public = _("与已反映的事件 %(n)s 重复，已合并办理") % {"n": duplicate_of.number}
        else:
            _finish(case, Status.REJECTED, now)
            kind = EventKind.REJECTED
            public = reason
        case.reject_ground = ground
        events.record(
            case,
            kind,
            actor=actor,
            post=post,
            from_status=before,
            note=reason,
            public_note=public,
            data={"ground": ground, "duplicate_of": duplicate_of.number if duplicate_of else ""},
        )
    if duplicate_of is not None:
        with transaction.atomic():
            target = Case.objects.select_for_update().get(pk=duplicate_of.pk)
            events.record(
                target,
                EventKind.NOTE,
                actor=actor,
                post=post,
                from_status=target.status,
                note=_("事件 %(n)s 与本事件重复，已合并到本事件") % {"n": case.number},
            )
    return case


def do_hand_down(case: Case, target, instructions: str, *, actor, expected_version=None):
    """交办: to a lower level (an area in this agency's subtree) or to a grid in it."""
    instructions = _text(instructions, "instructions", label=_("交办意见"))
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.ACCEPTED)
        post = _require_holder(actor, case)
        own = case.holder_area
        code = target.code
        if not code.startswith(own.code) or code == own.code:
            raise ValidationError({"target": [_("只能交办给本级管辖范围内的下级")]})
        if not case.place_code.startswith(code) and not code.startswith(case.place_code):
            raise ValidationError({"target": [_("只能交办给事件所在地的下级")]})
        before, now = case.status, clock.now()
        if isinstance(target, Grid):
            _hold(case, grid=target)
            case.status = Status.AT_GRID
            _start_stage(case, _due(case, now, _stage_workdays(Status.AT_GRID)), now=now)
        else:
            _to_agency(case, Status.ACCEPTED, target, now)
        events.record(
            case,
            EventKind.HANDED_DOWN,
            actor=actor,
            post=post,
            from_status=before,
            note=instructions,
            data={"to": code},
        )
    notify.new_work(case)
    return case


def do_dispatch(
    case: Case,
    lead: Department,
    instructions: str,
    *,
    actor,
    assist: list[Department] | tuple = (),
    expected_version=None,
):
    """流转: to one lead linkage department of this level, optionally with assistants.

    The department answers within the matter's time (5 working days unless the law sets
    another, 第十七条), counted from now.
    """
    instructions = _text(instructions, "instructions", label=_("流转意见"))
    assist = [d for d in assist if d is not None]
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.ACCEPTED)
        post = _require_holder(actor, case)
        area = case.holder_area
        departments = [lead, *assist]
        if len({d.pk for d in departments}) != len(departments):
            raise ValidationError({"assist": [_("协办部门不能与主办部门相同或重复")]})
        for department in departments:
            if department.area_id != area.pk or not department.is_active:
                raise ValidationError(
                    {"lead": [_("只能流转给%(area)s的联动部门") % {"area": area.name}]}
                )
        policy = CasePolicy.current()
        before, now = case.status, clock.now()
        sign_due = _due(case, now, policy.sign_workdays)
        return_due = _due(case, now, policy.return_workdays)
        reply_due = _due(case, now, case.matter.handling_workdays)
        CaseAssignment.objects.filter(case=case, active=True).update(
            active=False, status=AssignmentStatus.WITHDRAWN
        )
        for department in departments:
            CaseAssignment.objects.create(
                case=case,
                department=department,
                role=AssignmentRole.LEAD if department is lead else AssignmentRole.ASSIST,
                status=AssignmentStatus.DISPATCHED,
                dispatched_at=now,
                dispatched_by=actor,
                instructions=instructions,
                sign_due_at=sign_due,
                return_due_at=return_due,
                reply_due_at=reply_due,
            )
        case.dispatching_area = area
        _hold(case, department=lead)
        case.status = Status.DISPATCHED
        _start_stage(case, sign_due, now=now)
        events.record(
            case,
            EventKind.DISPATCHED,
            actor=actor,
            post=post,
            from_status=before,
            note=instructions,
            public_note=_("已转%(dept)s办理") % {"dept": lead.name},
            data={
                "lead": lead.name,
                "assist": [d.name for d in assist],
                "reply_due": reply_due.isoformat(),
            },
        )
    notify.new_work(case)
    for department in assist:
        notify.department(case, department, _("协办事件 %(n)s") % {"n": case.number})
    return case


# At the department ------------------------------------------------------------------------


def _assignment(case: Case, department_id) -> CaseAssignment:
    assignment = CaseAssignment.objects.filter(
        case=case, department_id=department_id, active=True
    ).first()
    if assignment is None:
        raise NotPermitted(_("此事件当前不由您办理"))
    return assignment


def _department_post(actor, case) -> tuple:
    """(post, assignment) of the actor's department on this case, lead or assisting."""
    for post in current_posts(actor):
        if post.role in DEPARTMENT_ROLES:
            assignment = CaseAssignment.objects.filter(
                case=case, department_id=post.department_id, active=True
            ).first()
            if assignment is not None:
                return post, assignment
    raise NotPermitted(_("此事件当前不由您办理"))


def do_sign(case: Case, *, actor, expected_version=None):
    """签收 by the lead department (an assisting department signs for its own part)."""
    post, assignment = _department_post(actor, case)
    if assignment.role == AssignmentRole.ASSIST:
        return _assist_sign(case, post, assignment, actor)
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.DISPATCHED)
        post = _require_holder(actor, case)
        assignment = _assignment(case, case.holder_department_id)
        before, now = case.status, clock.now()
        assignment.status, assignment.signed_at, assignment.signed_by = (
            AssignmentStatus.SIGNED,
            now,
            actor,
        )
        assignment.save()
        case.status = Status.HANDLING
        _start_stage(case, assignment.reply_due_at, now=now)
        events.record(case, EventKind.SIGNED, actor=actor, post=post, from_status=before)
    return case


def _assist_sign(case, post, assignment, actor):
    with transaction.atomic():
        locked = CaseAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status != AssignmentStatus.DISPATCHED:
            raise IllegalTransition(_("已签收"))
        locked.status, locked.signed_at, locked.signed_by = (
            AssignmentStatus.SIGNED,
            clock.now(),
            actor,
        )
        locked.save()
        events.record(case, EventKind.SIGNED, actor=actor, post=post, data={"role": "assist"})
    return case


def do_return(case: Case, reason: str, *, actor, expected_version=None):
    """退回: not this department's duty, within the return window; back to the agency."""
    reason = _text(reason, "reason", label=_("退回理由"))
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.DISPATCHED, Status.HANDLING)
        post = _require_holder(actor, case)
        assignment = _assignment(case, case.holder_department_id)
        now = clock.now()
        if now > assignment.return_due_at:
            raise IllegalTransition(
                _("已超过退回期限（%(due)s），请办理并答复，或申请延期")
                % {"due": f"{timezone.localtime(assignment.return_due_at):%Y-%m-%d %H:%M}"}
            )
        CaseAssignment.objects.filter(case=case, active=True).update(
            active=False, status=AssignmentStatus.WITHDRAWN
        )
        assignment.refresh_from_db()
        assignment.status, assignment.returned_reason = AssignmentStatus.RETURNED, reason
        assignment.save()
        before = case.status
        _to_agency(case, Status.ACCEPTED, case.dispatching_area, now)
        events.record(
            case,
            EventKind.RETURNED,
            actor=actor,
            post=post,
            from_status=before,
            note=reason,
            data={"department": assignment.department.name},
        )
    notify.new_work(case)
    return case


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59, 999999)))


def do_request_extension(case: Case, until: date, reason: str, *, actor, expected_version=None):
    """延期: the lead department asks; the dispatching agency decides."""
    reason = _text(reason, "reason", label=_("延期理由"))
    if not isinstance(until, date):
        raise ValidationError({"until": [_("请选择延期后的期限")]})
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.HANDLING)
        post = _require_holder(actor, case)
        assignment = _assignment(case, case.holder_department_id)
        if assignment.extension_status == ExtensionStatus.PENDING:
            raise IllegalTransition(_("已有待审批的延期申请"))
        new_due = _end_of(until)
        if new_due <= case.due_at:
            raise ValidationError({"until": [_("延期后的期限应晚于当前期限")]})
        limit = add_workdays(
            case.due_at, CasePolicy.current().max_extension_workdays, case.place_code
        )
        if new_due > limit:
            raise ValidationError(
                {
                    "until": [
                        _("延期不能晚于 %(d)s") % {"d": f"{timezone.localtime(limit):%Y-%m-%d}"}
                    ]
                }
            )
        assignment.extension_status = ExtensionStatus.PENDING
        assignment.extension_until, assignment.extension_reason = new_due, reason
        assignment.save()
        events.record(
            case,
            EventKind.EXTENSION_REQUESTED,
            actor=actor,
            post=post,
            from_status=case.status,
            note=reason,
            data={"until": until.isoformat()},
        )
    notify.agency(case, case.dispatching_area, _("延期申请待审批 %(n)s") % {"n": case.number})
    return case


def do_decide_extension(
    case: Case,
    approve: bool,
    note: str = "",
    *,
    actor,
    until: date | None = None,
    expected_version=None,
):
    note = _text(note, "note", required=not approve, label=_("不同意的理由"))
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.HANDLING)
        post = _post_for_area(actor, case.dispatching_area_id)
        if post is None:
            raise NotPermitted(_("延期由流转事件的网格化服务管理机构审批"))
        assignment = _assignment(case, case.holder_department_id)
        if assignment.extension_status != ExtensionStatus.PENDING:
            raise IllegalTransition(_("没有待审批的延期申请"))
        now = clock.now()
        data = {"approved": bool(approve)}
        if approve:
            new_due = _end_of(until) if until else assignment.extension_until
            if new_due <= case.due_at:
                raise ValidationError({"until": [_("延期后的期限应晚于当前期限")]})
            limit = add_workdays(
                case.due_at, CasePolicy.current().max_extension_workdays, case.place_code
            )
            if new_due > limit:
                raise ValidationError(
                    {
                        "until": [
                            _("延期不能晚于 %(d)s") % {"d": f"{timezone.localtime(limit):%Y-%m-%d}"}
                        ]
                    }
                )
            assignment.extension_status = ExtensionStatus.APPROVED
            assignment.reply_due_at = new_due
            _start_stage(case, new_due, now=now)
            data["until"] = timezone.localtime(new_due).date().isoformat()
        else:
            assignment.extension_status = ExtensionStatus.REJECTED
        assignment.save()
        events.record(
            case,
            EventKind.EXTENSION_DECIDED,
            actor=actor,
            post=post,
            from_status=case.status,
            note=note,
            data=data,
        )
    notify.department(
        case,
        case.holder_department,
        (_("延期已同意 %(n)s") if approve else _("延期未同意 %(n)s")) % {"n": case.number},
    )
    return case


def do_reply(case: Case, reply: str, *, actor, attachments=(), expected_version=None):
    """答复: the lead department's result, back to the dispatching agency to verify.
    An assisting department's reply is its opinion and changes nothing else."""
    reply = _text(reply, "reply", label=_("答复内容"))
    checked = check_uploads(attachments)
    post, assignment = _department_post(actor, case)
    if assignment.role == AssignmentRole.ASSIST:
        with transaction.atomic():
            locked = CaseAssignment.objects.select_for_update().get(pk=assignment.pk)
            if locked.status == AssignmentStatus.REPLIED:
                raise IllegalTransition(_("已答复"))
            locked.status, locked.reply, locked.replied_at = (
                AssignmentStatus.REPLIED,
                reply,
                clock.now(),
            )
            locked.signed_at = locked.signed_at or locked.replied_at
            locked.save()
            events.record(
                case,
                EventKind.ASSIST_REPLIED,
                actor=actor,
                post=post,
                note=reply,
                attachments=checked,
            )
        return case
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.HANDLING)
        post = _require_holder(actor, case)
        assignment = _assignment(case, case.holder_department_id)
        before, now = case.status, clock.now()
        assignment.status, assignment.reply, assignment.replied_at = (
            AssignmentStatus.REPLIED,
            reply,
            now,
        )
        if assignment.extension_status == ExtensionStatus.PENDING:
            assignment.extension_status = ExtensionStatus.REJECTED
        assignment.save()
        _to_agency(case, Status.REPLIED, case.dispatching_area, now)
        events.record(
            case,
            EventKind.REPLIED,
            actor=actor,
            post=post,
            from_status=before,
            note=reply,
            public_note=_("%(dept)s已答复") % {"dept": assignment.department.name},
            attachments=checked,
            data={"on_time": now <= assignment.reply_due_at},
        )
    notify.new_work(case)
    return case


# Verification, resolution, feedback --------------------------------------------------------


def do_verify(case: Case, accepted: bool, note: str = "", *, actor, expected_version=None):
    """核查: the reply is accepted (办结), or sent back for rework (返工)."""
    note = _text(note, "note", required=not accepted, label=_("返工意见"))
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.REPLIED)
        post = _require_holder(actor, case)
        lead = CaseAssignment.objects.filter(
            case=case, active=True, role=AssignmentRole.LEAD
        ).first()
        before, now = case.status, clock.now()
        if accepted:
            case.status = Status.RESOLVED
            case.result = lead.reply if lead else note
            case.resolved_at = now
            _start_stage(case, _due(case, now, _stage_workdays(Status.RESOLVED)), now=now)
            events.record(
                case, EventKind.VERIFIED, actor=actor, post=post, from_status=before, note=note
            )
        else:
            if lead is None:
                raise IllegalTransition(_("没有主办部门，不能返工"))
            due = _due(case, now, CasePolicy.current().rework_workdays)
            lead.status, lead.reply_due_at = AssignmentStatus.SIGNED, due
            lead.save()
            _hold(case, department=lead.department)
            case.status = Status.HANDLING
            _start_stage(case, due, now=now)
            events.record(
                case, EventKind.REWORK, actor=actor, post=post, from_status=before, note=note
            )
    if not accepted:
        notify.new_work(case)
    return case


def do_resolve(case: Case, result: str, *, actor, attachments=(), expected_version=None):
    """办结 by the agency itself."""
    return _resolve(
        case,
        result,
        Status.ACCEPTED,
        EventKind.RESOLVED,
        actor,
        attachments,
        expected_version,
        public=False,
    )


def has_requester(case: Case) -> bool:
    """Somebody outside to tell the result to: a named resident with a contact."""
    return bool(case.reporter_phone_index) or case.channel in (Channel.RESIDENT, Channel.PHONE)


def do_feedback(case: Case, text: str, *, actor, expected_version=None):
    """反馈: tell the requester the result (also by SMS when they left a number)."""
    text = _text(text, "feedback", label=_("反馈内容"))
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.RESOLVED)
        post = _require_holder(actor, case)
        before, now = case.status, clock.now()
        case.feedback, case.fed_back_at = text, now
        if has_requester(case) and not case.anonymous:
            case.status = Status.FED_BACK
            case.due_at = now + timedelta(days=CasePolicy.current().rating_days)
            case.warn_at = None
            case.flag = Flag.NORMAL
            case.stage += 1
        else:
            # Nobody to rate it (anonymous, or found by the grid itself): closed.
            _finish(case, Status.CLOSED, now)
        events.record(
            case,
            EventKind.FEEDBACK,
            actor=actor,
            post=post,
            from_status=before,
            note=text,
            public_note=text,
        )
        if case.status == Status.CLOSED:
            events.record(
                case,
                EventKind.CLOSED,
                actor=actor,
                post=post,
                from_status=Status.RESOLVED,
                note=_("无需评价（匿名或网格自行发现），反馈后结案"),
                public_note=_("已结案"),
            )
    notify.requester(case, text)
    return case


def do_rate(case: Case, rating: str, comment: str = ""):
    """评价 by the requester, through the tracking code (no account). 不满意 reopens the
    case once, back to the agency that gave the feedback; a second 不满意 closes it."""
    if rating not in Rating.values:
        raise ValidationError({"rating": [_("请选择满意、基本满意或不满意")]})
    comment = str(comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": [_("评价意见不超过 500 字")]})
    if rating == Rating.UNSATISFIED and not comment:
        raise ValidationError({"comment": [_("请说明不满意的原因，我们将重新办理")]})
    with _changing(case, None) as case:
        if case.status != Status.FED_BACK:
            raise IllegalTransition(_("该事件当前不能评价"))
        before, now = case.status, clock.now()
        case.rating, case.rating_comment, case.rated_at = rating, comment, now
        if rating == Rating.UNSATISFIED and case.reopen_count == 0:
            case.reopen_count = 1
            kind_after = EventKind.REOPENED
            if case.holder_grid_id:
                case.status = Status.AT_GRID
            else:
                case.status = Status.ACCEPTED
            # The earlier result and feedback stay on the timeline; the case shows the new
            # ones once they exist.
            case.result, case.resolved_at = "", None
            case.feedback, case.fed_back_at = "", None
            _start_stage(case, _due(case, now, _stage_workdays(case.status)), now=now)
        else:
            kind_after = EventKind.CLOSED
            _finish(case, Status.CLOSED, now)
        events.record(
            case,
            EventKind.RATED,
            actor_name=_("反映人"),
            from_status=before,
            note=comment,
            public_note=Rating(rating).label,
            data={"rating": rating},
        )
        events.record(
            case,
            kind_after,
            actor_name=_("系统"),
            from_status=before,
            public_note=_("因不满意，已退回重新办理")
            if kind_after == EventKind.REOPENED
            else _("已结案"),
        )
    if case.status != Status.CLOSED:
        notify.new_work(case)
    return case


def do_close(case: Case, note: str = "", *, actor, expected_version=None):
    """结案: after feedback (the requester did not rate in time), or a resolved case with
    nobody to tell."""
    note = _text(note, "note", required=False)
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.FED_BACK, Status.RESOLVED)
        post = _require_holder(actor, case)
        if case.status == Status.RESOLVED and has_requester(case) and not case.anonymous:
            raise IllegalTransition(_("请先将办理结果反馈给反映人"))
        before, now = case.status, clock.now()
        _finish(case, Status.CLOSED, now)
        events.record(
            case,
            EventKind.CLOSED,
            actor=actor,
            post=post,
            from_status=before,
            note=note,
            public_note=_("已结案"),
        )
    return case


# Side states: 缓办 and 挂账 ----------------------------------------------------------------


def do_postpone(case: Case, reason: str, until: date, *, actor, expected_version=None):
    """缓办, approved by the agency's leader: the clock stops until ``until``."""
    reason = _text(reason, "reason", label=_("缓办理由"))
    if not isinstance(until, date) or until <= clock.today():
        raise ValidationError({"until": [_("缓办至的日期应晚于今天")]})
    if until > clock.today() + timedelta(days=366):
        raise ValidationError({"until": [_("缓办不超过一年")]})
    return _side_state(
        case, Status.POSTPONED, EventKind.POSTPONED, reason, actor, expected_version, until=until
    )


def do_park(case: Case, reason: str, *, actor, expected_version=None):
    """挂账: cannot be resolved now (funding, planning); approved by the agency's leader."""
    reason = _text(reason, "reason", label=_("挂账理由"))
    return _side_state(case, Status.PARKED, EventKind.PARKED, reason, actor, expected_version)


def _side_state(case, status, kind, reason, actor, expected_version, until=None):
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.ACCEPTED)
        post = _require_holder(actor, case, leader=True)
        before, now = case.status, clock.now()
        case.status, case.side_reason, case.postponed_until = status, reason, until
        _start_stage(case, None, now=now)
        events.record(
            case,
            kind,
            actor=actor,
            post=post,
            from_status=before,
            note=reason,
            public_note=reason,
            data={"until": until.isoformat() if until else ""},
        )
    return case


def do_resume(case: Case, note: str = "", *, actor, expected_version=None):
    note = _text(note, "note", required=False)
    with _changing(case, actor, expected_version) as case:
        _require_state(case, Status.POSTPONED, Status.PARKED)
        post = _require_holder(actor, case)
        before, now = case.status, clock.now()
        case.status, case.side_reason, case.postponed_until = Status.ACCEPTED, "", None
        _start_stage(case, _due(case, now, _stage_workdays(Status.ACCEPTED)), now=now)
        events.record(
            case, EventKind.RESUMED, actor=actor, post=post, from_status=before, note=note
        )
    return case


# Attachments -----------------------------------------------------------------------------


def do_attach(case: Case, attachments, note: str = "", *, actor, public: bool = False):
    """附件: the current holder adds photos or documents to the timeline (no transition);
    returns the timeline event that carries them."""
    note = _text(note, "note", required=False)
    checked = check_uploads(attachments)
    if not checked:
        raise ValidationError({"attachments": [_("请选择要上传的照片或 PDF 文件")]})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        post = _require_holder(actor, locked)
        return events.record(
            locked,
            EventKind.NOTE,
            actor=actor,
            post=post,
            from_status=locked.status,
            note=note or _("上传附件"),
            attachments=checked,
            public_attachments=bool(public),
        )


# Supervision -----------------------------------------------------------------------------


def do_urge(case: Case, note: str = "", *, actor):
    """催办: remind the holder (not more often than the policy's interval)."""
    note = _text(note, "note", required=False)
    post = _post_covering(actor, case) or holder_post(actor, case)
    if post is None or not _covers(post, case):
        raise NotPermitted(_("只有事件所在地的网格化服务管理机构可以催办"))
    if case.status not in OPEN_STATES or case.status == Status.FED_BACK:
        raise IllegalTransition(_("该事件当前不需要催办"))
    now = clock.now()
    interval = timedelta(minutes=CasePolicy.current().urge_interval_minutes)
    with transaction.atomic():
        won = (
            Case.objects.filter(pk=case.pk)
            .exclude(last_urged_at__gt=now - interval)
            .update(last_urged_at=now)
        )
        if not won:
            raise IllegalTransition(_("刚刚已催办过，请稍后再催"))
        events.record(case, EventKind.URGED, actor=actor, post=post, note=note)
    notify.urge(case, note)
    case.refresh_from_db()
    return case


def _covers(post, case) -> bool:
    return post.area is not None and case.place_code.startswith(post.area.code)


def do_supervise(case: Case, demand: str, workdays: int, *, actor) -> SupervisionOrder:
    """督办单: an agency over the case's place orders the holder to act by a deadline."""
    demand = _text(demand, "demand", label=_("督办要求"))
    try:
        workdays = int(workdays)
    except (TypeError, ValueError):
        workdays = 0
    if not 1 <= workdays <= 20:
        raise ValidationError({"workdays": [_("回复期限应为 1–20 个工作日")]})
    post = _post_covering(actor, case)
    if post is None:
        raise NotPermitted(_("只有事件所在地的网格化服务管理机构可以督办"))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status not in OPEN_STATES or locked.status == Status.FED_BACK:
            raise IllegalTransition(_("该事件当前不需要督办"))
        pending = SupervisionOrder.objects.filter(
            case=locked, issued_by_area=post.area, status=SupervisionStatus.OPEN
        ).first()
        if pending is not None:
            raise IllegalTransition(
                _("本机构对该事件已有未回复的督办单 %(n)s，请等待回复或催办")
                % {"n": pending.number}
            )
        now = clock.now()
        order = SupervisionOrder.objects.create(
            number=next_number(SupervisionOrder, f"DB{clock.today():%Y}"),
            case=locked,
            issued_by_area=post.area,
            issued_by=actor,
            issued_at=now,
            target_area=locked.holder_area,
            target_department=locked.holder_department,
            target_grid=locked.holder_grid,
            demand=demand,
            due_at=_due(locked, now, workdays),
        )
        events.record(
            locked,
            EventKind.SUPERVISED,
            actor=actor,
            post=post,
            from_status=locked.status,
            note=demand,
            data={"order": order.number, "due": order.due_at.isoformat()},
        )
    notify.supervision(order)
    return order


def supervised_post(actor, order: SupervisionOrder):
    if order.target_department_id:
        return _post_for_department(actor, order.target_department_id)
    if order.target_area_id:
        return _post_for_area(actor, order.target_area_id)
    return _post_for_grid(actor, order.target_grid_id)


def do_answer_supervision(order: SupervisionOrder, answer: str, *, actor) -> SupervisionOrder:
    answer = _text(answer, "answer", label=_("回复内容"))
    post = supervised_post(actor, order)
    if post is None:
        raise NotPermitted(_("只有被督办单位可以回复督办单"))
    with transaction.atomic():
        locked = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status != SupervisionStatus.OPEN:
            raise IllegalTransition(_("该督办单已回复"))
        locked.status = SupervisionStatus.ANSWERED
        locked.answer, locked.answered_at, locked.answered_by = answer, clock.now(), actor
        locked.save()
        events.record(
            locked.case,
            EventKind.SUPERVISION_ANSWERED,
            actor=actor,
            post=post,
            from_status=locked.case.status,
            note=answer,
            data={"order": locked.number},
        )
    notify.supervision_answered(locked)
    return locked


# Settings: the time limits of the flow (CasePolicy) ----------------------------------------
# Added for the settings page (/cases/policy/): the system administrator edits the one row.

POLICY_LIMITS = {
    "accept_workdays": (1, 30),
    "grid_workdays": (1, 30),
    "agency_workdays": (1, 60),
    "sign_workdays": (1, 10),
    "return_workdays": (1, 10),
    "verify_workdays": (1, 30),
    "feedback_workdays": (1, 30),
    "rework_workdays": (1, 30),
    "rating_days": (1, 60),
    "warn_percent": (10, 95),
    "urge_interval_minutes": (5, 10080),
    "max_extension_workdays": (1, 60),
}


def may_edit_policy(user) -> bool:
    from gridgov.accounts.scope import has_role

    return user is not None and user.is_authenticated and has_role(user, Role.SYSTEM_ADMIN)


def do_update_policy(values: dict, *, actor) -> CasePolicy:
    """Save the time limits (each within its range), audited as ``config_changed``."""
    if not may_edit_policy(actor):
        raise NotPermitted(_("只有系统管理员可以修改办理时限设置"))
    cleaned, errors = {}, {}
    for name, (low, high) in POLICY_LIMITS.items():
        try:
            value = int(values.get(name))
        except (TypeError, ValueError):
            errors[name] = [_("请输入整数")]
            continue
        if not low <= value <= high:
            errors[name] = [_("应在 %(low)d–%(high)d 之间") % {"low": low, "high": high}]
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = CasePolicy.objects.select_for_update().order_by("pk").first() or CasePolicy()
        before = {name: getattr(policy, name) for name in POLICY_LIMITS}
        for name, value in cleaned.items():
            setattr(policy, name, value)
        policy.save()
        changed_before, changed_after = audit.diff(before, cleaned)
        audit.record(
            AuditKind.CONFIG_CHANGED,
            actor=actor,
            target=audit.Target("cases.casepolicy", str(policy.pk), "办理时限设置"),
            before=changed_before,
            after=changed_after,
        )
    return policy


# System actions (the sweeper) -------------------------------------------------------------


def do_resume_postponed(pk: int, now: datetime) -> Case | None:
    """缓办期满: back to 办理中 at the agency, with a new deadline. None if the case was
    resumed or changed meanwhile (the conditional UPDATE is the claim: of two sweepers
    only one changes the row)."""
    with transaction.atomic():
        won = Case.objects.filter(
            pk=pk, status=Status.POSTPONED, postponed_until__lte=timezone.localdate(now)
        ).update(status=Status.ACCEPTED, version=F("version") + 1)
        if not won:
            return None
        case = Case.objects.select_related("matter").get(pk=pk)
        case.side_reason, case.postponed_until = "", None
        _start_stage(case, _due(case, now, _stage_workdays(Status.ACCEPTED)), now=now)
        case.updated_at = now
        case.save()
        events.record(
            case,
            EventKind.RESUMED,
            actor_name=_("系统"),
            from_status=Status.POSTPONED,
            note=_("缓办期满，自动恢复办理"),
        )
        notify.new_work(case)
    return case


def do_close_unrated(pk: int, now: datetime) -> bool:
    """评价期满未评价: closed. False if it was rated or changed meanwhile."""
    with transaction.atomic():
        won = Case.objects.filter(pk=pk, status=Status.FED_BACK, due_at__lte=now).update(
            status=Status.CLOSED, version=F("version") + 1
        )
        if not won:
            return False
        case = Case.objects.get(pk=pk)
        _finish(case, Status.CLOSED, now)
        case.updated_at = now
        case.save()
        events.record(
            case,
            EventKind.CLOSED,
            actor_name=_("系统"),
            from_status=Status.FED_BACK,
            note=_("评价期内未评价，自动结案"),
            public_note=_("已结案"),
        )
    return True
