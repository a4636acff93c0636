"""Case handling API (联动处置, 第十七条): intake by staff and programs, lists, the inbox,
a case's detail and timeline, and one endpoint per action of the flow.

Cases come from ``Case.objects.restrict(user, "view")``: a case out of scope answers 404
like a missing one. Every change is an action of :mod:`gridgov.cases.actions`; the
refusals come back as ``{"detail", "code"}`` — 403 ``not_permitted`` (not the holder),
409 ``illegal_transition`` or ``conflict`` (somebody changed the case since the
``version`` the client saw) — or as 422 field errors in Chinese. The reporter's name and
phone are masked in every answer; the tracking code is given to the submitter only.
"""

from datetime import date, datetime, time, timedelta
from typing import Literal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.accounts.scope import current_posts
from gridgov.areas.api import ErrorOut
from gridgov.areas.models import Area, Grid
from gridgov.cases import actions, inbox
from gridgov.cases.choices import Channel, Flag, Urgency
from gridgov.cases.choices import Status as CaseStatus
from gridgov.cases.duplicates import possible_duplicates
from gridgov.cases.models import Case, CaseAssignment, CaseEvent, SupervisionOrder
from gridgov.core.exceptions import NotPermitted
from gridgov.core.geo import to_wgs84
from gridgov.core.masking import mask_name, mask_phone
from gridgov.orgs.choices import AREA_ROLES, DEPARTMENT_ROLES, EXCLUSIVE_GRID_ROLES, GRID_ROLES
from gridgov.orgs.models import Department

router = Router()

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CASE_RELATED = ("matter", "grid", "county", "holder_grid", "holder_area", "holder_department")
# Boundaries (large JSON documents for a county) are never part of a case's answer.
BOUNDARIES = (
    "grid__geometry",
    "county__geometry",
    "county__sea_geometry",
    "holder_grid__geometry",
    "holder_area__geometry",
    "holder_area__sea_geometry",
)
# The columns a list row shows (lists and the inbox load these only: the related areas
# and grids carry their boundaries, which a list does not need).
LIST_RELATED = ("matter", "holder_grid", "holder_area", "holder_department")
LIST_FIELDS = (
    "number",
    "status",
    "urgency",
    "flag",
    "description",
    "address",
    "place_code",
    "due_at",
    "created_at",
    "matter__code",
    "matter__name",
    "holder_grid__code",
    "holder_grid__name",
    "holder_area__code",
    "holder_area__name",
    "holder_department__name",
)


def label(choices, value) -> str:
    """The display label of a choice (faster than ``get_FOO_display`` on every row)."""
    return str(choices(value).label) if value in choices.values else ""


# Schemas: out --------------------------------------------------------------------------


class PlaceOut(Schema):
    code: str
    name: str


class HolderOut(Schema):
    type: str = Field(description="grid 网格、area 网格化服务管理机构、department 联动部门")
    code: str = Field(description="网格编码、区划代码；部门为编号")
    name: str


def holder_of(case: Case) -> dict | None:
    if case.holder_grid_id:
        return {"type": "grid", "code": case.holder_grid.code, "name": case.holder_grid.name}
    if case.holder_area_id:
        return {"type": "area", "code": case.holder_area.code, "name": case.holder_area.name}
    if case.holder_department_id:
        department = case.holder_department
        return {"type": "department", "code": str(department.pk), "name": department.name}
    return None


class CaseListOut(Schema):
    number: str
    status: str
    status_label: str
    matter_code: str = Field(..., alias="matter.code")
    matter_name: str = Field(..., alias="matter.name")
    urgency: str
    flag: str
    description: str
    address: str
    place_code: str
    holder: HolderOut | None = Field(None, description="当前承办方；已结案等为空")
    due_at: datetime | None = Field(None, description="本环节期限")
    created_at: datetime

    @staticmethod
    def resolve_status_label(obj):
        return label(CaseStatus, obj.status)

    @staticmethod
    def resolve_holder(obj):
        return holder_of(obj)


class CaseOut(CaseListOut):
    version: int = Field(description="版本号：办理时原样带回，防止覆盖他人刚做的处理")
    channel: str
    channel_label: str
    urgency_label: str
    flag_label: str
    attributes: dict
    lon: float | None = Field(None, description="WGS-84 经度")
    lat: float | None = Field(None, description="WGS-84 纬度")
    grid: PlaceOut | None = None
    county: PlaceOut
    reporter_name: str = Field(description="反映人（脱敏）")
    reporter_phone: str = Field(description="联系电话（脱敏）")
    anonymous: bool
    stage: int
    warn_at: datetime | None
    result: str
    feedback: str
    rating: str
    reopen_count: int
    reject_ground: str
    duplicate_of: str | None = Field(None, alias="duplicate_of.number")
    side_reason: str
    postponed_until: date | None
    updated_at: datetime
    resolved_at: datetime | None
    fed_back_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_channel_label(obj):
        return label(Channel, obj.channel)

    @staticmethod
    def resolve_urgency_label(obj):
        return label(Urgency, obj.urgency)

    @staticmethod
    def resolve_flag_label(obj):
        return label(Flag, obj.flag)

    @staticmethod
    def resolve_reporter_name(obj):
        return mask_name(obj.reporter_name) if obj.reporter_name else ""

    @staticmethod
    def resolve_reporter_phone(obj):
        return mask_phone(obj.reporter_phone) if obj.reporter_phone else ""


class CaseCreatedOut(CaseOut):
    tracking_code: str = Field(
        "",
        description="查询码：告知反映人，凭此在网上查询和评价。只在代群众登记（电话受理、"
        "部门系统对接）时返回；网格员自己上报的事件没有需要评价的反映人",
    )

    @staticmethod
    def resolve_tracking_code(obj):
        # The rating counts in the appraisal: staff who handle a case must not hold the
        # code that rates it, unless they took it on a resident's behalf.
        return obj.tracking_code if obj.channel in (Channel.PHONE, Channel.API) else ""


class AttachmentOut(Schema):
    token: str
    content_type: str
    size: int
    public: bool = Field(description="是否向反映人公开")
    created_at: datetime


class AssignmentOut(Schema):
    department_id: int
    department: str = Field(..., alias="department.name")
    role: str
    status: str
    active: bool
    instructions: str
    dispatched_at: datetime
    sign_due_at: datetime
    return_due_at: datetime
    reply_due_at: datetime
    signed_at: datetime | None
    returned_reason: str
    reply: str
    replied_at: datetime | None
    extension_status: str
    extension_until: datetime | None
    extension_reason: str


class SupervisionOut(Schema):
    number: str
    case: str = Field(..., alias="case.number")
    issued_by: str = Field(..., alias="issued_by_area.name")
    issued_at: datetime
    target: str = Field(description="被督办单位")
    demand: str
    due_at: datetime
    status: str
    answer: str
    answered_at: datetime | None

    @staticmethod
    def resolve_target(obj):
        place = obj.target_department or obj.target_area or obj.target_grid
        return place.name if place else ""


class CaseDetailOut(CaseOut):
    held_by_me: bool = Field(description="当前是否由我办理")
    attachments: list[AttachmentOut]
    assignments: list[AssignmentOut] = Field(description="部门承办（含已退回、已撤回）")
    supervisions: list[SupervisionOut]

    @staticmethod
    def resolve_attachments(obj):
        return obj.attachment_rows

    @staticmethod
    def resolve_assignments(obj):
        return obj.assignment_rows

    @staticmethod
    def resolve_supervisions(obj):
        return obj.supervision_rows


class EventOut(Schema):
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    at: datetime
    actor_name: str
    actor_role: str
    from_status: str
    to_status: str
    note: str = Field(description="办理意见（内部）")
    public_note: str = Field(description="向反映人公开的说明")
    data: dict
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class DuplicateOut(CaseListOut):
    distance: float | None = Field(None, description="与本事件的距离（米）；按区划定位的为空")


class InboxOut(Schema):
    items: list[CaseListOut] = Field(description="待我办理的事件，期限近者在前")
    count: int
    assisting: int = Field(description="待协办")
    extensions: int = Field(description="待审批的延期申请")
    supervision: int = Field(description="待回复的督办单")


# Schemas: in ---------------------------------------------------------------------------


class CaseIn(Schema):
    matter_code: str = Field(..., max_length=7, description="现行事项清单中的事项编码")
    description: str
    attributes: dict = Field(default_factory=dict, description="该事项的要素")
    urgency: str = Field("normal", description="normal 一般、urgent 紧急、major 重大")
    lon: float | None = Field(None, description="经度（有位置时）")
    lat: float | None = Field(None, description="纬度")
    crs: Literal["wgs84", "gcj02"] = Field(
        "wgs84", description="坐标系：wgs84，或 gcj02（高德、微信）"
    )
    area_code: str = Field("", description="没有位置时：所在镇（街道）或村（社区）代码")
    address: str = ""
    reporter_name: str = Field("", description="反映人（群众来电、部门转来时）")
    reporter_phone: str = ""
    anonymous: bool = False


def intake(payload: CaseIn) -> dict:
    """The submission's fields for ``submit_case``, the point in WGS-84."""
    data = payload.dict()
    crs = data.pop("crs")
    if data["lon"] is not None and data["lat"] is not None:
        data["lon"], data["lat"] = to_wgs84(data["lon"], data["lat"], crs)
    return data


class VersionIn(Schema):
    version: int | None = Field(
        None, description="您看到的版本号；事件在此之后被他人处理过则拒绝（409 conflict）"
    )


class NoteIn(VersionIn):
    note: str = ""


class RequiredNoteIn(VersionIn):
    note: str = Field(description="必填")


class ResultIn(VersionIn):
    result: str


class RejectIn(VersionIn):
    ground: str = Field(description="invalid 无效诉求、duplicate 重复上报、out_of_list 非网格事项")
    reason: str
    duplicate_of: str = Field("", description="重复时：与之重复的事件编号")


class HandDownIn(VersionIn):
    target: str = Field(description="下级区划代码或网格编码")
    instructions: str


class DispatchIn(VersionIn):
    lead: int = Field(description="主办部门编号")
    assist: list[int] = Field(default_factory=list, description="协办部门编号")
    instructions: str


class ReasonIn(VersionIn):
    reason: str


class ExtensionIn(VersionIn):
    until: date = Field(description="延期至（日期）")
    reason: str


class DecideExtensionIn(VersionIn):
    approve: bool
    note: str = Field("", description="不同意时必填")
    until: date | None = Field(None, description="同意时可改定期限；空为申请的日期")


class ReplyIn(VersionIn):
    reply: str


class VerifyIn(VersionIn):
    accepted: bool = Field(description="true 核查通过；false 返工")
    note: str = Field("", description="返工时必填")


class FeedbackIn(VersionIn):
    feedback: str


class PostponeIn(VersionIn):
    reason: str
    until: date


class UrgeIn(Schema):
    note: str = ""


class SuperviseIn(Schema):
    demand: str
    workdays: int = Field(description="回复期限（工作日，1–20）")


class AnswerIn(Schema):
    answer: str


# Access --------------------------------------------------------------------------------


def _cases(request):
    return Case.objects.restrict(request.user, "view")


def _case(request, number: str) -> Case:
    cases = _cases(request).select_related(*CASE_RELATED).defer(*BOUNDARIES)
    return get_object_or_404(cases, number=number)


def _staff_channel(user) -> str:
    """The channel of a staff member's submission, from their posts."""
    roles = {post.role for post in current_posts(user)}
    if roles & {*GRID_ROLES, *EXCLUSIVE_GRID_ROLES}:
        return Channel.GRID
    if roles & set(AREA_ROLES):
        return Channel.PHONE
    if roles & set(DEPARTMENT_ROLES):
        return Channel.API
    raise NotPermitted(_("只有网格员、网格化服务管理机构和联动部门可以上报事件"))


def _departments(request, lead: int, assist: list[int]) -> tuple:
    found = Department.objects.restrict(request.user, "view").in_bulk([lead, *assist])
    if lead not in found:
        raise ValidationError({"lead": [_("未找到该主办部门")]})
    if any(pk not in found for pk in assist):
        raise ValidationError({"assist": [_("未找到该协办部门")]})
    return found[lead], [found[pk] for pk in assist]


def _target(request, code: str):
    """A grid or an area by its code (the action checks that it lies below the holder)."""
    code = (code or "").strip()
    target = (
        Grid.objects.restrict(request.user, "view").filter(code=code).first()
        or Area.objects.restrict(request.user, "view").filter(code=code).first()
    )
    if target is None:
        raise ValidationError({"target": [_("未找到该区划或网格")]})
    return target


def _duplicate_of(request, number: str):
    if not number:
        return None
    found = _cases(request).filter(number=number.strip()).first()
    if found is None:
        raise ValidationError({"duplicate_of": [_("未找到该事件")]})
    return found


def _detail(request, case: Case) -> Case:
    user = request.user
    case.held_by_me = actions.holder_post(user, case) is not None
    case.attachment_rows = list(case.attachments.all())
    case.assignment_rows = list(
        CaseAssignment.objects.restrict(user, "view").filter(case=case).select_related("department")
    )
    case.supervision_rows = list(
        SupervisionOrder.objects.restrict(user, "view")
        .filter(case=case)
        .select_related("case", "issued_by_area", "target_area", "target_department", "target_grid")
    )
    return case


def _choice(value: str, field: str, choices) -> str:
    if value and value not in choices.values:
        raise ValidationError(
            {field: [_("请从以下取值中选择：%(values)s") % {"values": "、".join(choices.values)}]}
        )
    return value


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# Intake --------------------------------------------------------------------------------


@router.post(
    "",
    response={201: CaseCreatedOut, 200: CaseCreatedOut, **ERRORS},
    summary="上报事件（网格员：网格上报；机构：电话受理；部门系统：接口对接）",
    description="同一 Idempotency-Key 重复提交同样内容返回原事件（200）；内容不同则 422。",
    operation_id="submit_case",
)
def submit(
    request,
    payload: CaseIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    case, created = actions.submit_case(
        channel=_staff_channel(request.user),
        **intake(payload),
        actor=request.user,
        idempotency_key=idempotency_key,
    )
    return Status(201 if created else 200, case)


# Lists ---------------------------------------------------------------------------------


@router.get(
    "", response=list[CaseListOut], summary="事件列表（管辖范围内）", operation_id="list_cases"
)
@paginate(LimitOffsetPagination)
def list_cases(
    request,
    status: str = Query("", description="状态"),
    matter: str = Query("", description="事项编码"),
    flag: str = Query("", description="normal、yellow 临期、red 超期"),
    urgency: str = Query("", description="normal、urgent、major"),
    created_from: date | None = Query(None, description="上报日期起（含）"),
    created_to: date | None = Query(None, description="上报日期止（含）"),
    q: str = Query("", description="事件编号（开头）"),
):
    cases = _cases(request).select_related(*LIST_RELATED).only(*LIST_FIELDS)
    filters = {
        "status": _choice(status, "status", CaseStatus),
        "flag": _choice(flag, "flag", Flag),
        "urgency": _choice(urgency, "urgency", Urgency),
        "matter__code": matter.strip(),
        "number__startswith": q.strip().upper(),
    }
    if created_from:
        filters["created_at__gte"] = _day_start(created_from)
    if created_to:
        filters["created_at__lt"] = _day_start(created_to + timedelta(days=1))
    return cases.filter(**{k: v for k, v in filters.items() if v}).order_by("-created_at", "-pk")


@router.get("/inbox", response=InboxOut, summary="我的待办", operation_id="case_inbox")
def my_inbox(
    request,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    user = request.user
    work = inbox.inbox(user).only(*LIST_FIELDS)
    return {
        "items": list(work[offset : offset + limit]),
        "count": work.count(),
        "assisting": inbox.assisting(user).count(),
        "extensions": inbox.extensions(user).count(),
        "supervision": inbox.supervision(user).count(),
    }


@router.get(
    "/{number}",
    response={200: CaseDetailOut, 404: ErrorOut},
    summary="事件详情（反映人信息脱敏）",
    operation_id="get_case",
)
def get_case(request, number: str):
    return _detail(request, _case(request, number))


@router.get(
    "/{number}/events",
    response={200: list[EventOut], 404: ErrorOut},
    summary="办理记录（时间线）",
    operation_id="case_events",
)
def case_events(request, number: str):
    case = _case(request, number)
    events = CaseEvent.objects.restrict(request.user, "view").filter(case=case)
    return list(events.prefetch_related("attachments"))


@router.get(
    "/{number}/duplicates",
    response={200: list[DuplicateOut], 404: ErrorOut},
    summary="可能重复的事件（同一事项、未办结、时间和位置相近），近者在前",
    operation_id="case_duplicates",
)
def case_duplicates(request, number: str):
    case = _case(request, number)
    found = possible_duplicates(case)
    visible = set(_cases(request).filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True))
    return [other for other in found if other.pk in visible]


@router.post(
    "/{number}/attachments",
    response={201: EventOut, **ERRORS},
    summary="上传附件（当前承办方；multipart，JPEG/PNG/WebP 照片或 PDF）",
    operation_id="attach_to_case",
)
def attach(
    request,
    number: str,
    files: File[list[UploadedFile]] = None,
    note: Form[str] = "",
    public: Form[bool] = False,
):
    case = _case(request, number)
    event = actions.do_attach(case, files or [], note, actor=request.user, public=public)
    return Status(201, event)


# The flow ------------------------------------------------------------------------------


def _verb(path: str, summary: str, operation_id: str):
    return router.post(
        f"/{{number}}/{path}",
        response={200: CaseOut, **ERRORS},
        summary=summary,
        operation_id=operation_id,
    )


@_verb("resolve-on-site", "就地解决（网格）", "resolve_case_on_site")
def resolve_on_site(request, number: str, payload: ResultIn):
    case = _case(request, number)
    return actions.do_resolve_on_site(
        case, payload.result, actor=request.user, expected_version=payload.version
    )


@_verb("escalate", "上报上级（网格、各级机构）", "escalate_case")
def escalate(request, number: str, payload: RequiredNoteIn):
    case = _case(request, number)
    return actions.do_escalate(
        case, payload.note, actor=request.user, expected_version=payload.version
    )


@_verb("accept", "受理", "accept_case")
def accept(request, number: str, payload: NoteIn):
    case = _case(request, number)
    return actions.do_accept(
        case, payload.note, actor=request.user, expected_version=payload.version
    )


@_verb("reject", "不予受理或合并重复", "reject_case")
def reject(request, number: str, payload: RejectIn):
    case, duplicate = _case(request, number), _duplicate_of(request, payload.duplicate_of)
    return actions.do_reject(
        case,
        payload.ground,
        payload.reason,
        duplicate_of=duplicate,
        actor=request.user,
        expected_version=payload.version,
    )


@_verb("hand-down", "交办下级或网格", "hand_down_case")
def hand_down(request, number: str, payload: HandDownIn):
    case, target = _case(request, number), _target(request, payload.target)
    return actions.do_hand_down(
        case, target, payload.instructions, actor=request.user, expected_version=payload.version
    )


@_verb("dispatch", "流转联动部门（主办一个，协办可多个）", "dispatch_case")
def dispatch(request, number: str, payload: DispatchIn):
    case = _case(request, number)
    lead, assist = _departments(request, payload.lead, payload.assist)
    return actions.do_dispatch(
        case,
        lead,
        payload.instructions,
        assist=assist,
        actor=request.user,
        expected_version=payload.version,
    )


@_verb("sign", "签收（部门）", "sign_case")
def sign(request, number: str, payload: VersionIn):
    case = _case(request, number)
    return actions.do_sign(case, actor=request.user, expected_version=payload.version)


@_verb("return", "退回（非本部门职责，退回期限内）", "return_case")
def return_case(request, number: str, payload: ReasonIn):
    case = _case(request, number)
    return actions.do_return(
        case, payload.reason, actor=request.user, expected_version=payload.version
    )


@_verb("request-extension", "申请延期（主办部门）", "request_case_extension")
def request_extension(request, number: str, payload: ExtensionIn):
    case = _case(request, number)
    return actions.do_request_extension(
        case, payload.until, payload.reason, actor=request.user, expected_version=payload.version
    )


@_verb("decide-extension", "审批延期（流转机构）", "decide_case_extension")
def decide_extension(request, number: str, payload: DecideExtensionIn):
    case = _case(request, number)
    return actions.do_decide_extension(
        case,
        payload.approve,
        payload.note,
        until=payload.until,
        actor=request.user,
        expected_version=payload.version,
    )


@_verb("reply", "答复（主办部门；协办部门为协办意见）", "reply_case")
def reply(request, number: str, payload: ReplyIn):
    case = _case(request, number)
    return actions.do_reply(
        case, payload.reply, actor=request.user, expected_version=payload.version
    )


@_verb("verify", "核查答复：通过或返工", "verify_case")
def verify(request, number: str, payload: VerifyIn):
    case = _case(request, number)
    return actions.do_verify(
        case, payload.accepted, payload.note, actor=request.user, expected_version=payload.version
    )


@_verb("resolve", "办结（机构自办）", "resolve_case")
def resolve(request, number: str, payload: ResultIn):
    case = _case(request, number)
    return actions.do_resolve(
        case, payload.result, actor=request.user, expected_version=payload.version
    )


@_verb("feedback", "反馈反映人（有联系电话的发短信）", "feedback_case")
def feedback(request, number: str, payload: FeedbackIn):
    case = _case(request, number)
    return actions.do_feedback(
        case, payload.feedback, actor=request.user, expected_version=payload.version
    )


@_verb("close", "结案", "close_case")
def close(request, number: str, payload: NoteIn):
    case = _case(request, number)
    return actions.do_close(
        case, payload.note, actor=request.user, expected_version=payload.version
    )


@_verb("postpone", "缓办（本级负责人）", "postpone_case")
def postpone(request, number: str, payload: PostponeIn):
    case = _case(request, number)
    return actions.do_postpone(
        case, payload.reason, payload.until, actor=request.user, expected_version=payload.version
    )


@_verb("park", "挂账（本级负责人）", "park_case")
def park(request, number: str, payload: ReasonIn):
    case = _case(request, number)
    return actions.do_park(
        case, payload.reason, actor=request.user, expected_version=payload.version
    )


@_verb("resume", "恢复办理（缓办、挂账）", "resume_case")
def resume(request, number: str, payload: NoteIn):
    case = _case(request, number)
    return actions.do_resume(
        case, payload.note, actor=request.user, expected_version=payload.version
    )


@_verb("urge", "催办（事件所在地机构）", "urge_case")
def urge(request, number: str, payload: UrgeIn):
    case = _case(request, number)
    return actions.do_urge(case, payload.note, actor=request.user)


@router.post(
    "/{number}/supervise",
    response={201: SupervisionOut, **ERRORS},
    summary="督办：下发督办单（事件所在地机构）",
    operation_id="supervise_case",
)
def supervise(request, number: str, payload: SuperviseIn):
    case = _case(request, number)
    order = actions.do_supervise(case, payload.demand, payload.workdays, actor=request.user)
    return Status(201, order)


@router.post(
    "/supervision/{order_number}/answer",
    response={200: SupervisionOut, **ERRORS},
    summary="回复督办单（被督办单位）",
    operation_id="answer_supervision",
)
def answer_supervision(request, order_number: str, payload: AnswerIn):
    order = get_object_or_404(
        SupervisionOrder.objects.restrict(request.user, "view").select_related("case"),
        number=order_number,
    )
    return actions.do_answer_supervision(order, payload.answer, actor=request.user)
