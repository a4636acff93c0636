"""Every change to the matter list and to tasks (第七至九、十四条).

A department applies (纳入, 临时纳入, 调整, 退出); the agency of the same level decides;
approval changes the list from an effective date and publishes a notice at once, so a
change is always announced before it takes effect. The agency orders rectification when
a department does not provide what it promised (第八条) and may approve the matter's exit
when the deadline passes. Tasks may be given to grids only under a matter in force.
"""

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scope import current_posts
from gridgov.areas.choices import AreaLevel
from gridgov.areas.models import Area, Grid
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.core.numbers import next_number
from gridgov.core.querysets import recheck_scope
from gridgov.matters.choices import (
    ApplicationKind,
    ApplicationStatus,
    AttributeType,
    ListLevel,
    NoticeKind,
    RectificationGround,
    RectificationStatus,
    RefusalGround,
    StaffDuty,
    TaskStatus,
    WorkKind,
)
from gridgov.matters.models import (
    Matter,
    MatterApplication,
    MatterNotice,
    Rectification,
    Task,
    TaskAssignment,
    TaskEvent,
)
from gridgov.orgs.choices import AREA_ROLES, DEPARTMENT_ROLES, EXCLUSIVE_GRID_ROLES, GRID_ROLES
from gridgov.orgs.models import Department, DepartmentLevel

# 第七条, quoted whenever work outside the list is refused.
ARTICLE_7 = _(
    "依据《钦州市城乡网格化服务管理条例》第七条，未纳入网格化服务管理事项清单的事项，"
    "不得直接安排网格化服务管理人员协助或者办理"
)
MAX_DEADLINE_WORKDAYS = 60
ATTRIBUTE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


def _today() -> date:
    return timezone.localdate()


def _number(model, prefix: str) -> str:
    """PREFIX + year + a 4-digit sequence (unique per model)."""
    return next_number(model, f"{prefix}{_today():%Y}")


# Who may act --------------------------------------------------------------------------


def _department_staff(actor, department: Department) -> None:
    if actor is None:
        return
    if not any(
        p.role in DEPARTMENT_ROLES and p.department_id == department.pk
        for p in current_posts(actor)
    ):
        raise NotPermitted(_("只有%(dept)s的人员可以代表该部门申请") % {"dept": department.name})


def _agency_staff(actor, area: Area) -> None:
    """The grid-management agency of the list's own area (the same level, 第七条)."""
    if actor is None:
        return
    if not any(p.role in AREA_ROLES and p.area_id == area.pk for p in current_posts(actor)):
        raise NotPermitted(
            _("只有%(area)s网格化服务管理机构可以审核本级清单事项") % {"area": area.name}
        )


def list_area_of(department: Department) -> tuple[str, Area]:
    """The list a department applies to: its city's or its county's."""
    area = department.area
    if department.level == DepartmentLevel.CITY and area.level == AreaLevel.CITY:
        return ListLevel.CITY, area
    if department.level == DepartmentLevel.COUNTY and area.level == AreaLevel.COUNTY:
        return ListLevel.COUNTY, area
    raise ValidationError(
        {"department": [_("事项清单由市、县（区）两级编制，镇级部门请通过县级主管部门申请")]}
    )


# Matter content -----------------------------------------------------------------------


def clean_proposed(data: dict) -> dict:
    """Validate what a matter says; field errors in Chinese."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    name = str(data.get("name", "")).strip()
    if not name:
        add("name", _("请填写事项名称"))
    elif len(name) > 100:
        add("name", _("事项名称不超过 100 字"))
    work_kind = data.get("work_kind", "")
    if work_kind not in WorkKind.values:
        add("work_kind", _("请选择第十条规定的工作类别"))
    description = str(data.get("description", "")).strip()
    if not description:
        add("description", _("请填写事项内容"))
    duties = data.get("duties") or []
    if not isinstance(duties, list) or not duties or any(d not in StaffDuty.values for d in duties):
        add("duties", _("请选择网格员在该事项中的职责（采集、巡查、上报、宣传、服务、协助）"))
    subcategory = str(data.get("subcategory", "01") or "01")
    if not re.fullmatch(r"\d{2}", subcategory) or subcategory == "00":
        add("subcategory", _("小类应为 01–99 的两位数字"))
    deadline = data.get("deadline_workdays", 5)
    legal = data.get("legal_deadline_workdays")
    try:
        deadline = int(deadline)
        if not 1 <= deadline <= MAX_DEADLINE_WORKDAYS:
            raise ValueError
    except (TypeError, ValueError):
        add("deadline_workdays", _("办理时限应为 1–60 个工作日（第十七条一般为 5 个工作日）"))
        deadline = 5
    if legal not in (None, ""):
        try:
            legal = int(legal)
            if not 1 <= legal <= 365:
                raise ValueError
        except (TypeError, ValueError):
            add("legal_deadline_workdays", _("法定办理时限应为 1–365 个工作日"))
            legal = None
        if legal and not str(data.get("legal_basis", "")).strip():
            add("legal_basis", _("有法定时限的，请写明法律法规依据"))
    else:
        legal = None
    attributes = _clean_attributes(data.get("attributes") or [], add)
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "work_kind": work_kind,
        "description": description,
        "duties": sorted(set(duties), key=StaffDuty.values.index),
        "subcategory": subcategory,
        "deadline_workdays": deadline,
        "legal_deadline_workdays": legal,
        "legal_basis": str(data.get("legal_basis", "")).strip()[:200],
        "attributes": attributes,
        "resident_reportable": bool(data.get("resident_reportable")),
        "anonymous_allowed": bool(data.get("anonymous_allowed"))
        and bool(data.get("resident_reportable")),
    }


def _clean_attributes(items, add) -> list[dict]:
    if not isinstance(items, list):
        add("attributes", _("上报字段格式不正确"))
        return []
    seen, cleaned = set(), []
    for number, item in enumerate(items, start=1):
        label = _("第 %(n)d 个上报字段") % {"n": number}
        if not isinstance(item, dict):
            add("attributes", _("%(item)s格式不正确") % {"item": label})
            continue
        code = str(item.get("code", "")).strip()
        if not ATTRIBUTE_CODE.match(code):
            add(
                "attributes",
                _("%(item)s：代码须为小写字母开头的字母、数字、下划线") % {"item": label},
            )
        elif code in seen:
            add("attributes", _("%(item)s：代码 %(code)s 重复") % {"item": label, "code": code})
        seen.add(code)
        kind = item.get("type")
        if kind not in AttributeType.values:
            add("attributes", _("%(item)s：类型应为文本、数字、日期、单选或多选") % {"item": label})
        choices = [str(c).strip() for c in item.get("choices") or [] if str(c).strip()]
        if kind in (AttributeType.SINGLE, AttributeType.MULTIPLE) and len(choices) < 2:
            add("attributes", _("%(item)s：单选、多选至少需要两个选项") % {"item": label})
        if not str(item.get("label", "")).strip():
            add("attributes", _("%(item)s：请填写名称") % {"item": label})
        cleaned.append(
            {
                "code": code,
                "label": str(item.get("label", "")).strip()[:50],
                "type": kind,
                "required": bool(item.get("required")),
                "choices": choices
                if kind in (AttributeType.SINGLE, AttributeType.MULTIPLE)
                else [],
            }
        )
    return cleaned


def current_version(code: str, area: Area, on: date | None = None) -> Matter | None:
    """The version of ``code`` on ``area``'s list in force on ``on`` (today)."""
    return Matter.objects.in_force(on).filter(code=code, area=area).first()


def _latest_open(code: str, area: Area) -> Matter | None:
    """The newest version not yet closed (it may start in the future)."""
    return (
        Matter.objects.filter(code=code, area=area, valid_to__isnull=True)
        .order_by("-version")
        .first()
    )


# Applications ----------------------------------------------------------------------------


@transaction.atomic
def do_apply(
    *,
    kind: str,
    department: Department,
    actor,
    reason: str,
    effective_date: date,
    proposed: dict | None = None,
    matter_code: str = "",
    end_date: date | None = None,
    staff_provided: str = "",
    funds_provided: str = "",
    training_provided: str = "",
) -> MatterApplication:
    """A department applies to change the list (第七、八、九条)."""
    _department_staff(actor, department)
    level, area = list_area_of(department)
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if kind not in ApplicationKind.values:
        add("kind", _("未知的申请类型"))
    if not (reason or "").strip():
        add("reason", _("请填写申请理由"))
    today = _today()
    if effective_date is None or effective_date < today:
        add("effective_date", _("施行日期不能早于今天"))
    if (
        kind in (ApplicationKind.ADJUSTMENT, ApplicationKind.EXIT)
        and effective_date is not None
        and effective_date <= today
    ):
        add("effective_date", _("调整、退出须先向社会公布后施行（第九条），施行日期应晚于今天"))
    cleaned = {}
    if kind in (ApplicationKind.ADMISSION, ApplicationKind.TEMPORARY, ApplicationKind.ADJUSTMENT):
        try:
            cleaned = clean_proposed(proposed or {})
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    add(field, message)
    if kind in (ApplicationKind.ADMISSION, ApplicationKind.TEMPORARY):
        # 第八条: a department that commissions work provides staff, funds and training.
        for field, value, label in (
            ("staff_provided", staff_provided, _("配置到网格的人员")),
            ("funds_provided", funds_provided, _("配置到网格的经费")),
            ("training_provided", training_provided, _("业务指导和技能培训")),
        ):
            if not (value or "").strip():
                add(field, _("请说明%(what)s（第八条）") % {"what": label})
    if kind == ApplicationKind.TEMPORARY:
        if end_date is None:
            add("end_date", _("临时纳入须明确纳入期限（第七条）"))
        elif effective_date and end_date < effective_date:
            add("end_date", _("纳入期限不能早于施行日期"))
    elif end_date is not None:
        add("end_date", _("只有临时纳入才填写纳入期限"))
    if kind in (ApplicationKind.ADJUSTMENT, ApplicationKind.EXIT):
        matter = _latest_open(matter_code, area)
        if matter is None:
            add(
                "matter_code", _("本级清单中没有在用的事项 %(code)s") % {"code": matter_code or "—"}
            )
        elif matter.department_id != department.pk:
            add("matter_code", _("事项 %(code)s 的业务主管部门不是本部门") % {"code": matter_code})
    else:
        matter_code = ""
    if errors:
        raise ValidationError(errors)
    application = MatterApplication.objects.create(
        number=_number(MatterApplication, "SX"),
        kind=kind,
        department=department,
        level=level,
        area=area,
        matter_code=matter_code,
        proposed=cleaned,
        reason=reason.strip(),
        staff_provided=staff_provided.strip(),
        funds_provided=funds_provided.strip(),
        training_provided=training_provided.strip(),
        effective_date=effective_date,
        end_date=end_date,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    recheck_scope(application, actor)
    audit.record(
        AuditKind.DATA_CREATED,
        actor=actor,
        target=application,
        after={"kind": kind, "matter": matter_code, "effective_date": str(effective_date)},
    )
    return application


def _lock_submitted(application: MatterApplication) -> MatterApplication:
    locked = MatterApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != ApplicationStatus.SUBMITTED:
        raise IllegalTransition(
            _("该申请已%(status)s，不能再审核") % {"status": locked.get_status_display()}
        )
    return locked


def _next_code(work_kind: str, subcategory: str) -> str:
    major = f"{WorkKind.values.index(work_kind) + 1:02d}"
    prefix = major + subcategory
    last = Matter.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    seq = int(last[4:]) + 1 if last else 1
    if seq > 999:
        raise ValidationError({"subcategory": [_("该小类的顺序号已用尽，请换一个小类")]})
    return f"{prefix}{seq:03d}"


def _notice(kind, application, matter: Matter, effective, body) -> MatterNotice:
    titles = {
        NoticeKind.ADMISSION: _("关于将“%(name)s”纳入网格服务管理事项清单的公告"),
        NoticeKind.TEMPORARY: _("关于将“%(name)s”临时纳入网格服务管理事项清单的公告"),
        NoticeKind.ADJUSTMENT: _("关于调整网格服务管理事项“%(name)s”的公告"),
        NoticeKind.EXIT: _("关于“%(name)s”退出网格服务管理事项清单的公告"),
        NoticeKind.EXPIRY: _("临时纳入事项“%(name)s”纳入期限届满的公告"),
    }
    return MatterNotice.objects.create(
        number=_number(MatterNotice, "GG"),
        kind=kind,
        level=matter.level,
        area=matter.area,
        matter_code=matter.code,
        matter_name=matter.name,
        title=titles[kind] % {"name": matter.name},
        body=body,
        published_at=timezone.now(),
        effective_date=effective,
        application=application,
    )


def _new_version(source: dict, *, code, version, application, valid_from, valid_to, temporary):
    return Matter.objects.create(
        code=code,
        version=version,
        name=source["name"],
        work_kind=source["work_kind"],
        description=source["description"],
        level=application.level,
        area=application.area,
        department=application.department,
        duties=source["duties"],
        deadline_workdays=source["deadline_workdays"],
        legal_deadline_workdays=source["legal_deadline_workdays"],
        legal_basis=source["legal_basis"],
        attributes=source["attributes"],
        resident_reportable=source["resident_reportable"],
        anonymous_allowed=source["anonymous_allowed"],
        is_temporary=temporary,
        valid_from=valid_from,
        valid_to=valid_to,
        application=application,
    )


@transaction.atomic
def do_approve_application(application: MatterApplication, *, actor, note: str = "") -> Matter:
    """The same-level agency agrees: the list changes from the effective date, announced now."""
    _agency_staff(actor, application.area)
    application = _lock_submitted(application)
    today = _today()
    effective = application.effective_date
    if effective < today or (
        application.kind in (ApplicationKind.ADJUSTMENT, ApplicationKind.EXIT)
        and effective <= today
    ):
        raise ValidationError(
            {"effective_date": [_("拟施行日期已过，须先公布后施行：请部门重新申请新的施行日期")]}
        )
    kind = application.kind
    proposed = application.proposed
    if kind in (ApplicationKind.ADMISSION, ApplicationKind.TEMPORARY):
        code = _next_code(proposed["work_kind"], proposed.get("subcategory", "01"))
        matter = _new_version(
            proposed,
            code=code,
            version=1,
            application=application,
            valid_from=effective,
            valid_to=application.end_date,
            temporary=kind == ApplicationKind.TEMPORARY,
        )
        notice_kind = (
            NoticeKind.TEMPORARY if kind == ApplicationKind.TEMPORARY else NoticeKind.ADMISSION
        )
        body = _("%(dept)s申请，经%(area)s网格化服务管理机构审核同意，自 %(from)s 起纳入。") % {
            "dept": application.department.name,
            "area": application.area.name,
            "from": effective,
        }
        if application.end_date:
            body += _("纳入期限至 %(to)s。") % {"to": application.end_date}
    else:
        current = _latest_open(application.matter_code, application.area)
        if current is None:
            raise IllegalTransition(
                _("事项 %(code)s 已不在清单中") % {"code": application.matter_code}
            )
        if current.valid_from >= effective:
            raise ValidationError(
                {
                    "effective_date": [
                        _("施行日期须晚于该事项现行版本的施行日期 %(d)s")
                        % {"d": current.valid_from}
                    ]
                }
            )
        Matter.objects.filter(pk=current.pk).update(valid_to=effective - timedelta(days=1))
        code = current.code
        if kind == ApplicationKind.ADJUSTMENT:
            matter = _new_version(
                proposed,
                code=code,
                version=current.version + 1,
                application=application,
                valid_from=effective,
                valid_to=None,
                temporary=False,
            )
            notice_kind = NoticeKind.ADJUSTMENT
            body = _("%(dept)s申请，经评估审核，事项内容自 %(from)s 起按新版本执行。") % {
                "dept": application.department.name,
                "from": effective,
            }
        else:
            matter = current
            notice_kind = NoticeKind.EXIT
            body = _("%(dept)s申请，经评估审核，该事项自 %(from)s 起退出清单。") % {
                "dept": application.department.name,
                "from": effective,
            }
    _notice(notice_kind, application, matter, effective, body)
    application.status = ApplicationStatus.APPROVED
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decision_note = (note or "").strip()
    if not application.matter_code:
        application.matter_code = code
    application.save()
    audit.record(
        AuditKind.DATA_CHANGED,
        actor=actor,
        target=application,
        before={"status": ApplicationStatus.SUBMITTED},
        after={
            "status": ApplicationStatus.APPROVED,
            "matter": code,
            "effective_date": str(effective),
        },
    )
    return matter


@transaction.atomic
def do_reject_application(application: MatterApplication, *, actor, note: str) -> MatterApplication:
    _agency_staff(actor, application.area)
    if not (note or "").strip():
        raise ValidationError({"note": [_("不同意须说明理由")]})
    application = _lock_submitted(application)
    application.status = ApplicationStatus.REJECTED
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decision_note = note.strip()
    application.save()
    audit.record(
        AuditKind.DATA_CHANGED,
        actor=actor,
        target=application,
        before={"status": ApplicationStatus.SUBMITTED},
        after={"status": ApplicationStatus.REJECTED, "note": application.decision_note},
    )
    return application


@transaction.atomic
def do_withdraw_application(application: MatterApplication, *, actor) -> MatterApplication:
    _department_staff(actor, application.department)
    application = _lock_submitted(application)
    application.status = ApplicationStatus.WITHDRAWN
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.save()
    audit.record(
        AuditKind.DATA_CHANGED,
        actor=actor,
        target=application,
        after={"status": ApplicationStatus.WITHDRAWN},
    )
    return application


def retire_expired_temporary(today: date | None = None) -> int:
    """Temporary matters past their end date: announce the expiry (run daily by the
    worker). The list itself is by date, so a matter leaves it the day after its end."""
    today = today or _today()
    count = 0
    for matter in Matter.objects.filter(
        is_temporary=True, valid_to__lt=today, retired_at__isnull=True
    ).select_related("application", "area"):
        with transaction.atomic():
            if not Matter.objects.filter(pk=matter.pk, retired_at__isnull=True).update(
                retired_at=timezone.now()
            ):
                continue  # another worker did it
            _notice(
                NoticeKind.EXPIRY,
                matter.application,
                matter,
                matter.valid_to + timedelta(days=1),
                _("该事项临时纳入期限于 %(to)s 届满，自 %(next)s 起不再列入清单。")
                % {"to": matter.valid_to, "next": matter.valid_to + timedelta(days=1)},
            )
            audit.record(AuditKind.DATA_CHANGED, target=matter, after={"retired": True})
            count += 1
    return count


# Rectification (第八条) -----------------------------------------------------------------


@transaction.atomic
def do_order_rectification(
    *, matter_code: str, area: Area, grounds: list[str], findings: str, deadline: date, actor
) -> Rectification:
    _agency_staff(actor, area)
    errors: dict[str, list[str]] = {}
    matter = current_version(matter_code, area)
    if matter is None:
        errors["matter_code"] = [_("本级清单中没有在用的事项 %(code)s") % {"code": matter_code}]
    if not grounds or any(g not in RectificationGround.values for g in grounds):
        errors["grounds"] = [_("请选择部门未履行的职责（业务指导、经费保障、工作监督）")]
    if not (findings or "").strip():
        errors["findings"] = [_("请写明具体情况")]
    if deadline is None or deadline <= _today():
        errors["deadline"] = [_("整改期限应晚于今天")]
    if errors:
        raise ValidationError(errors)
    if Rectification.objects.filter(
        matter_code=matter_code, area=area, status=RectificationStatus.OPEN
    ).exists():
        raise IllegalTransition(_("该事项已有进行中的整改"))
    rectification = Rectification.objects.create(
        number=_number(Rectification, "ZG"),
        matter_code=matter_code,
        department=matter.department,
        area=area,
        grounds=sorted(set(grounds)),
        findings=findings.strip(),
        deadline=deadline,
        ordered_by=actor,
        ordered_at=timezone.now(),
    )
    audit.record(
        AuditKind.DATA_CREATED,
        actor=actor,
        target=rectification,
        after={"matter": matter_code, "deadline": str(deadline), "grounds": rectification.grounds},
    )
    return rectification


def _lock_open(rectification: Rectification) -> Rectification:
    locked = Rectification.objects.select_for_update().get(pk=rectification.pk)
    if locked.status != RectificationStatus.OPEN:
        raise IllegalTransition(_("该整改已办结"))
    return locked


@transaction.atomic
def do_close_rectification(rectification: Rectification, *, actor, note: str) -> Rectification:
    """The department put it right: closed."""
    _agency_staff(actor, rectification.area)
    if not (note or "").strip():
        raise ValidationError({"note": [_("请写明整改情况")]})
    rectification = _lock_open(rectification)
    rectification.status = RectificationStatus.MET
    rectification.closed_by = actor
    rectification.closed_at = timezone.now()
    rectification.closing_note = note.strip()
    rectification.save()
    audit.record(AuditKind.DATA_CHANGED, actor=actor, target=rectification, after={"status": "met"})
    return rectification


@transaction.atomic
def do_exit_after_rectification(
    rectification: Rectification, *, actor, effective_date: date, note: str
) -> MatterApplication:
    """Overdue and not put right: the agency approves the matter's exit (第八条)."""
    _agency_staff(actor, rectification.area)
    rectification = _lock_open(rectification)
    if rectification.deadline >= _today():
        raise IllegalTransition(
            _("整改期限 %(d)s 尚未届满，不能作退出处理") % {"d": rectification.deadline}
        )
    matter = _latest_open(rectification.matter_code, rectification.area)
    if matter is None:
        raise IllegalTransition(_("该事项已不在清单中"))
    application = MatterApplication.objects.create(
        number=_number(MatterApplication, "SX"),
        kind=ApplicationKind.EXIT,
        department=rectification.department,
        level=matter.level,
        area=rectification.area,
        matter_code=matter.code,
        reason=_("逾期未整改（整改 %(n)s）") % {"n": rectification.number},
        effective_date=effective_date,
        submitted_by=actor,
        submitted_at=timezone.now(),
        rectification=rectification,
    )
    do_approve_application(application, actor=actor, note=note)
    rectification.status = RectificationStatus.EXITED
    rectification.closed_by = actor
    rectification.closed_at = timezone.now()
    rectification.closing_note = (note or "").strip()
    rectification.save()
    audit.record(
        AuditKind.DATA_CHANGED, actor=actor, target=rectification, after={"status": "exited"}
    )
    application.refresh_from_db()
    return application


# Tasks (任务下派) ------------------------------------------------------------------------


def matter_for_task(matter_code: str, grids: list[Grid], on: date) -> Matter:
    """The matter in force on ``on`` on the list that covers all these grids, or the
    第七条 refusal."""
    versions = list(Matter.objects.in_force(on).filter(code=matter_code).select_related("area"))
    for version in versions:
        if all(g.code.startswith(version.area.code) for g in grids):
            return version
    if not versions:
        raise ValidationError(
            {
                "matter_code": [
                    ARTICLE_7 + _("（事项 %(code)s 不在现行清单中）") % {"code": matter_code or "—"}
                ]
            }
        )
    raise ValidationError(
        {
            "matter_code": [
                ARTICLE_7
                + _("（事项 %(code)s 不在这些网格所在地的清单中）") % {"code": matter_code}
            ]
        }
    )


@transaction.atomic
def do_assign_task(
    *,
    matter_code: str,
    title: str,
    instructions: str,
    due_date: date,
    actor,
    grid_codes: list[str] = (),
    area_code: str = "",
) -> Task:
    """An agency or department gives work to grids — only under a matter in force."""
    errors: dict[str, list[str]] = {}
    posts = current_posts(actor) if actor is not None else []
    agency_post = next((p for p in posts if p.role in AREA_ROLES), None)
    department_post = next((p for p in posts if p.role in DEPARTMENT_ROLES), None)
    if actor is not None and agency_post is None and department_post is None:
        raise NotPermitted(_("只有网格化服务管理机构或业务部门可以下派任务"))
    visible = Grid.objects.restrict(actor, "view") if actor is not None else Grid.objects.all()
    visible = visible.filter(status="active")
    if area_code:
        grids = list(
            visible.filter(code__startswith=area_code, kind__in=("urban", "rural", "exclusive"))
        )
    else:
        grids = list(visible.filter(code__in=list(grid_codes)))
        missing = set(grid_codes) - {g.code for g in grids}
        if missing:
            errors["grids"] = [
                _("网格 %(codes)s 不存在或不在您的管辖范围内")
                % {"codes": "、".join(sorted(missing))}
            ]
    if not grids and "grids" not in errors:
        errors["grids"] = [
            _("区域 %(code)s 不存在、没有网格或不在您的管辖范围内") % {"code": area_code}
            if area_code
            else _("请选择下派的网格或区域")
        ]
    if not (title or "").strip():
        errors["title"] = [_("请填写任务名称")]
    if not (instructions or "").strip():
        errors["instructions"] = [_("请填写工作要求")]
    if due_date is None or due_date < _today():
        errors["due_date"] = [_("完成期限不能早于今天")]
    matter = None
    if grids:
        try:
            matter = matter_for_task(matter_code, grids, _today())
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    task = Task.objects.create(
        number=_number(Task, "RW"),
        matter=matter,
        title=title.strip()[:100],
        instructions=instructions.strip(),
        due_date=due_date,
        assigned_by=actor,
        # Work given by the system (actor None: the demo, an import) is the list's agency's.
        assigner_area=agency_post.area if agency_post else (matter.area if actor is None else None),
        assigner_department=department_post.department
        if department_post and not agency_post
        else None,
        created_at=timezone.now(),
    )
    TaskAssignment.objects.bulk_create([TaskAssignment(task=task, grid=g) for g in grids])
    audit.record(
        AuditKind.DATA_CREATED,
        actor=actor,
        target=task,
        after={"matter": matter.code, "grids": len(grids), "due": str(due_date)},
    )
    return task


def _grid_staff(actor, assignment: TaskAssignment) -> None:
    if actor is None:
        return
    if not any(
        (p.role in GRID_ROLES or p.role in EXCLUSIVE_GRID_ROLES) and p.grid_id == assignment.grid_id
        for p in current_posts(actor)
    ):
        raise NotPermitted(_("只有本网格的网格长、网格员可以办理"))


def _move(assignment: TaskAssignment, actor, *, allowed, to, **changes) -> TaskAssignment:
    _grid_staff(actor, assignment)
    locked = TaskAssignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status not in allowed:
        raise IllegalTransition(
            _("该任务当前为“%(status)s”，不能%(action)s")
            % {"status": locked.get_status_display(), "action": TaskStatus(to).label}
        )
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.status = to
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def do_accept_task(assignment: TaskAssignment, *, actor) -> TaskAssignment:
    assignment = _move(assignment, actor, allowed={TaskStatus.ASSIGNED}, to=TaskStatus.ACCEPTED)
    TaskEvent.objects.create(
        assignment=assignment, kind=TaskStatus.ACCEPTED, actor=actor, at=timezone.now()
    )
    return assignment


@transaction.atomic
def do_report_progress(
    assignment: TaskAssignment, *, actor, progress: int, note: str, photo=None
) -> TaskAssignment:
    if not 0 <= int(progress) < 100:
        raise ValidationError({"progress": [_("进度应为 0–99；完成请使用“完成”")]})
    if not (note or "").strip():
        raise ValidationError({"note": [_("请说明进展")]})
    assignment = _move(
        assignment,
        actor,
        allowed={TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS},
        to=TaskStatus.IN_PROGRESS,
        progress=int(progress),
    )
    TaskEvent.objects.create(
        assignment=assignment,
        kind=TaskStatus.IN_PROGRESS,
        note=note.strip(),
        progress=int(progress),
        actor=actor,
        at=timezone.now(),
        photo=photo or "",
    )
    return assignment


@transaction.atomic
def do_complete_task(
    assignment: TaskAssignment, *, actor, result: str, photo=None
) -> TaskAssignment:
    if not (result or "").strip():
        raise ValidationError({"result": [_("请填写办理结果")]})
    assignment = _move(
        assignment,
        actor,
        allowed={TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS},
        to=TaskStatus.COMPLETED,
        progress=100,
        result=result.strip(),
    )
    TaskEvent.objects.create(
        assignment=assignment,
        kind=TaskStatus.COMPLETED,
        note=result.strip(),
        progress=100,
        actor=actor,
        at=timezone.now(),
        photo=photo or "",
    )
    return assignment


@transaction.atomic
def do_refuse_task(assignment: TaskAssignment, *, actor, ground: str, note: str) -> TaskAssignment:
    """第十四条: grid staff may refuse; the refusal is recorded and counts against no one."""
    if ground not in RefusalGround.values:
        raise ValidationError({"ground": [_("请选择第十四条规定的拒绝理由")]})
    if not (note or "").strip():
        raise ValidationError({"note": [_("请说明拒绝的具体情况")]})
    assignment = _move(
        assignment,
        actor,
        allowed={TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS},
        to=TaskStatus.REFUSED,
        refusal_ground=ground,
        refusal_note=note.strip(),
    )
    TaskEvent.objects.create(
        assignment=assignment,
        kind=TaskStatus.REFUSED,
        note=note.strip(),
        actor=actor,
        at=timezone.now(),
    )
    audit.record(
        AuditKind.DATA_CHANGED,
        actor=actor,
        target=assignment.task,
        after={"grid": assignment.grid.code, "refused": ground},
    )
    return assignment
