"""Staff pages of case handling (联动处置, 第十七条): the inbox, the list, the case page with
the action forms its user may use now, intake, the supervision board, supervision
orders, attachments and the time-limit settings.

Every case starts from ``Case.objects.restrict(request.user, "view")``: a case outside
the user's scope answers 404 exactly like a missing one. Every change is a ``do_*`` of
:mod:`gridgov.cases.actions`; a view is access, action, response. Each action form
carries the version of the case the user saw, so that acting on a page somebody else
has just changed is refused with a clear message — and the user's text is kept.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.scope import can, current_posts, subtree
from gridgov.areas.choices import AreaLevel, GridStatus
from gridgov.areas.models import Area, Grid
from gridgov.cases import actions, inbox
from gridgov.cases.choices import (
    OPEN_STATES,
    TIMED_STATES,
    AssignmentRole,
    AssignmentStatus,
    Channel,
    ExtensionStatus,
    Flag,
    Status,
    SupervisionStatus,
)
from gridgov.cases.duplicates import possible_duplicates
from gridgov.cases.forms import (
    ActionForm,
    AnswerForm,
    AttributesForm,
    CaseFilterForm,
    CaseForm,
    DecideExtensionForm,
    DispatchForm,
    EscalateForm,
    ExtensionForm,
    FeedbackForm,
    HandDownForm,
    MergeForm,
    NoteForm,
    ParkForm,
    PolicyForm,
    PostponeForm,
    RejectForm,
    ReplyForm,
    ResultForm,
    ReturnForm,
    RevealForm,
    ReworkForm,
    SuperviseForm,
    UrgeForm,
    add_action_errors,
)
from gridgov.cases.models import (
    Case,
    CaseAssignment,
    CaseAttachment,
    CaseEvent,
    CasePolicy,
    SupervisionOrder,
)
from gridgov.core import clock
from gridgov.core.exceptions import ActionError, Conflict
from gridgov.core.masking import reveal
from gridgov.matters.models import Matter
from gridgov.orgs.choices import (
    AREA_ROLES,
    DEPARTMENT_ROLES,
    EXCLUSIVE_GRID_ROLES,
    GRID_ROLES,
    VILLAGE_ROLES,
)
from gridgov.orgs.models import Department

PAGE_SIZE = 30
BOARD_LIMIT = 500
HAND_DOWN_GRID_LIMIT = 300
THUMB_SIZE = (320, 320)


def _cases(request):
    return Case.objects.restrict(request.user, "view")


def _case_or_404(request, number):
    return get_object_or_404(
        _cases(request).select_related(
            "matter",
            "grid__village__parent",
            "county",
            "holder_grid",
            "holder_area",
            "holder_department",
            "dispatching_area",
            "duplicate_of",
        ),
        number=number,
    )


# The action forms -------------------------------------------------------------------------


@dataclass(frozen=True)
class Act:
    """One action form of the case page: its button, form, action call and message."""

    label: str
    form: type
    run: Callable  # (request, case, form) -> object
    done: str
    style: str = "primary"
    buttons: tuple = field(default=())  # (value, label, style) for several outcomes


def _v(form) -> int:
    return form.cleaned_data["version"]


def _d(form, name, default=""):
    value = form.cleaned_data.get(name)
    return default if value in (None, "") else value


def _visible_case(request, number: str) -> Case:
    other = _cases(request).filter(number=(number or "").strip()).first()
    if other is None:
        raise ValidationError({"duplicate_of": [_("未找到该事件编号，或不在您的管辖范围内")]})
    return other


def _reject(request, case, form):
    ground = _d(form, "ground")
    duplicate = _d(form, "duplicate_of")
    return actions.do_reject(
        case,
        ground,
        _d(form, "reason"),
        duplicate_of=_visible_case(request, duplicate) if ground == "duplicate" else None,
        actor=request.user,
        expected_version=_v(form),
    )


def _merge(request, case, form):
    other = _visible_case(request, _d(form, "duplicate_of"))
    reason = _("与事件 %(n)s 反映的是同一问题") % {"n": other.number}
    return actions.do_reject(
        case, "duplicate", reason, duplicate_of=other, actor=request.user, expected_version=_v(form)
    )


def _hand_down(request, case, form):
    code = _d(form, "target")
    if not code:
        raise ValidationError({"target": [_("请选择交办给哪一级或哪个网格")]})
    model = Grid if len(code) == 15 else Area
    return actions.do_hand_down(
        case,
        model.objects.get(code=code),
        _d(form, "instructions"),
        actor=request.user,
        expected_version=_v(form),
    )


def _dispatch(request, case, form):
    lead = _d(form, "lead")
    if not lead:
        raise ValidationError({"lead": [_("请选择主办部门")]})
    assist = list(Department.objects.filter(pk__in=_d(form, "assist", [])))
    return actions.do_dispatch(
        case,
        Department.objects.get(pk=lead),
        _d(form, "instructions"),
        assist=assist,
        actor=request.user,
        expected_version=_v(form),
    )


def _decide_extension(request, case, form):
    approve = form.data.get(form.add_prefix("decision")) != "reject"
    return actions.do_decide_extension(
        case,
        approve,
        _d(form, "note"),
        until=form.cleaned_data.get("until"),
        actor=request.user,
        expected_version=_v(form),
    )


def _simple(do, *fields, **fixed):
    """An action called as ``do(case, <fields…>, **fixed, actor=, expected_version=)``."""

    def run(request, case, form):
        args = [_d(form, name, None if name in ("until",) else "") for name in fields]
        return do(case, *args, **fixed, actor=request.user, expected_version=_v(form))

    return run


def _with_files(do, text_field):
    def run(request, case, form):
        return do(
            case,
            _d(form, text_field),
            attachments=_d(form, "attachments", []),
            actor=request.user,
            expected_version=_v(form),
        )

    return run


def _verify(*, accepted: bool):
    def run(request, case, form):
        return actions.do_verify(
            case, accepted, _d(form, "note"), actor=request.user, expected_version=_v(form)
        )

    return run


_l = gettext_lazy

ACTIONS: dict[str, Act] = {
    "resolve_on_site": Act(
        _l("就地解决"),
        ResultForm,
        _with_files(actions.do_resolve_on_site, "result"),
        _l("已就地解决"),
    ),
    "escalate": Act(
        _l("上报"), EscalateForm, _simple(actions.do_escalate, "note"), _l("已上报上级"), "warning"
    ),
    "accept": Act(_l("受理"), NoteForm, _simple(actions.do_accept, "note"), _l("已受理")),
    "reject": Act(_l("不予受理"), RejectForm, _reject, _l("已不予受理"), "outline-danger"),
    "merge": Act(_l("合并到该事件"), MergeForm, _merge, _l("已合并"), "outline-danger"),
    "resolve": Act(_l("办结"), ResultForm, _with_files(actions.do_resolve, "result"), _l("已办结")),
    "dispatch": Act(_l("流转"), DispatchForm, _dispatch, _l("已流转到联动部门")),
    "hand_down": Act(_l("交办"), HandDownForm, _hand_down, _l("已交办"), "outline-primary"),
    "postpone": Act(
        _l("缓办"),
        PostponeForm,
        _simple(actions.do_postpone, "reason", "until"),
        _l("已缓办"),
        "outline-secondary",
    ),
    "park": Act(
        _l("挂账"), ParkForm, _simple(actions.do_park, "reason"), _l("已挂账"), "outline-secondary"
    ),
    "sign": Act(_l("签收"), ActionForm, _simple(actions.do_sign), _l("已签收")),
    "return": Act(
        _l("退回"),
        ReturnForm,
        _simple(actions.do_return, "reason"),
        _l("已退回流转机构"),
        "outline-danger",
    ),
    "reply": Act(_l("答复"), ReplyForm, _with_files(actions.do_reply, "reply"), _l("已答复")),
    "request_extension": Act(
        _l("申请延期"),
        ExtensionForm,
        _simple(actions.do_request_extension, "until", "reason"),
        _l("已提交延期申请"),
        "outline-secondary",
    ),
    "decide_extension": Act(
        _l("延期审批"),
        DecideExtensionForm,
        _decide_extension,
        _l("已审批延期申请"),
        buttons=(
            ("approve", _l("同意延期"), "success"),
            ("reject", _l("不同意"), "outline-danger"),
        ),
    ),
    "verify": Act(_l("核查通过"), NoteForm, _verify(accepted=True), _l("核查通过")),
    "rework": Act(
        _l("返工"), ReworkForm, _verify(accepted=False), _l("已退回部门返工"), "outline-danger"
    ),
    "feedback": Act(
        _l("反馈"), FeedbackForm, _simple(actions.do_feedback, "feedback"), _l("已反馈")
    ),
    "close": Act(_l("结案"), NoteForm, _simple(actions.do_close, "note"), _l("已结案")),
    "resume": Act(_l("恢复办理"), NoteForm, _simple(actions.do_resume, "note"), _l("已恢复办理")),
    "assist_sign": Act(_l("签收协办"), ActionForm, _simple(actions.do_sign), _l("已签收协办")),
    "assist_reply": Act(
        _l("协办答复"), ReplyForm, _with_files(actions.do_reply, "reply"), _l("已提交协办意见")
    ),
    "urge": Act(
        _l("催办"),
        UrgeForm,
        lambda request, case, form: actions.do_urge(case, _d(form, "note"), actor=request.user),
        _l("已催办"),
        "warning",
    ),
    "supervise": Act(
        _l("督办"),
        SuperviseForm,
        lambda request, case, form: actions.do_supervise(
            case, _d(form, "demand"), _d(form, "workdays", 0), actor=request.user
        ),
        _l("已下发督办单"),
        "danger",
    ),
}

HOLDER_ACTIONS = {
    Status.AT_GRID: ["resolve_on_site", "escalate"],
    Status.SUBMITTED: ["accept", "reject"],
    Status.ACCEPTED: ["dispatch", "resolve", "hand_down", "escalate", "postpone", "park"],
    Status.DISPATCHED: ["sign", "return"],
    Status.HANDLING: ["reply", "request_extension", "return"],
    Status.REPLIED: ["verify", "rework"],
    Status.RESOLVED: ["feedback", "close"],
    Status.FED_BACK: ["close"],
    Status.POSTPONED: ["resume"],
    Status.PARKED: ["resume"],
}


def _lead_assignment(case):
    if not case.holder_department_id:
        return None
    return CaseAssignment.objects.filter(
        case=case, department_id=case.holder_department_id, active=True
    ).first()


def _assist_assignment(user, case):
    departments = [p.department_id for p in current_posts(user) if p.role in DEPARTMENT_ROLES]
    if not departments:
        return None
    return CaseAssignment.objects.filter(
        case=case, department__in=departments, active=True, role=AssignmentRole.ASSIST
    ).first()


def _covering_agency(user, case) -> bool:
    return any(
        p.role in AREA_ROLES and case.place_code.startswith(p.area.code)
        for p in current_posts(user)
    )


def allowed_actions(user, case: Case) -> list[str]:
    """The action forms ``user`` may use on ``case`` now (the case page shows only these)."""
    names = []
    holder = actions.holder_post(user, case) is not None
    if holder:
        lead = _lead_assignment(case)
        now = clock.now()
        for name in HOLDER_ACTIONS.get(case.status, []):
            if name in ("postpone", "park") and not actions.holder_post(user, case, leader=True):
                continue
            if name == "escalate" and actions.escalation_target(case) is None:
                continue
            if name == "return" and (lead is None or now > lead.return_due_at):
                continue
            if name == "request_extension" and (
                lead is None or lead.extension_status == ExtensionStatus.PENDING
            ):
                continue
            if (
                name == "close"
                and case.status == Status.RESOLVED
                and actions.has_requester(case)
                and not case.anonymous
            ):
                continue
            if name == "hand_down" and not _hand_down_targets(case):
                continue
            if name == "dispatch" and not _departments(case):
                continue
            names.append(name)
    if case.status == Status.HANDLING and case.dispatching_area_id:
        lead = _lead_assignment(case)
        if lead is not None and lead.extension_status == ExtensionStatus.PENDING:
            agency = any(
                p.area_id == case.dispatching_area_id and p.role in (*AREA_ROLES, *VILLAGE_ROLES)
                for p in current_posts(user)
            )
            if agency:
                names.append("decide_extension")
    assist = _assist_assignment(user, case)
    if assist is not None and case.status in (Status.DISPATCHED, Status.HANDLING):
        if assist.status == AssignmentStatus.DISPATCHED:
            names.append("assist_sign")
        if assist.status in (AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED):
            names.append("assist_reply")
    open_for_supervision = case.status in OPEN_STATES and case.status != Status.FED_BACK
    if open_for_supervision and not holder and _covering_agency(user, case):
        names += ["urge", "supervise"]
    return names


def _departments(case) -> list:
    if not case.holder_area_id:
        return []
    return list(
        Department.objects.filter(area=case.holder_area_id, is_active=True).order_by("name")
    )


def _hand_down_targets(case) -> list[tuple[str, str]]:
    """Lower areas containing the case's place, and the grids of the place."""
    own = case.holder_area
    if own is None:
        return []
    place = case.place_code
    prefixes = [place[:n] for n in (6, 9, 12) if n <= len(place)]
    areas = Area.objects.filter(code__in=prefixes, code__startswith=own.code).exclude(code=own.code)
    targets = [(a.code, f"{a.get_level_display()} · {a.name}") for a in areas.order_by("code")]
    if len(place) == 15:
        grids = Grid.objects.filter(code=place)
    else:
        grids = Grid.objects.filter(code__startswith=place, status=GridStatus.ACTIVE)
    grids = grids.filter(code__startswith=own.code).order_by("code")[:HAND_DOWN_GRID_LIMIT]
    targets += [(g.code, f"{_('网格')} · {g.name}") for g in grids]
    return targets


def _form_choices(name, case) -> dict:
    if name == "dispatch":
        options = [(str(d.pk), d.name) for d in _departments(case)]
        return {"lead": [("", _("请选择")), *options], "assist": options}
    if name == "hand_down":
        return {"target": [("", _("请选择")), *_hand_down_targets(case)]}
    return {}


def _action_form(name, case, data=None, files=None, initial=None):
    spec = ACTIONS[name]
    return spec.form(
        data,
        files,
        prefix=name,
        case=case,
        choices=_form_choices(name, case),
        initial={"version": case.version, **(initial or {})},
    )


def _initial_from(form) -> dict:
    """What the user typed into ``form``, as the initial values of a fresh one."""
    values = {}
    for name, form_field in form.fields.items():
        key = form.add_prefix(name)
        if name == "version" or key not in form.data:
            continue
        if hasattr(form_field, "choices") and getattr(
            form_field.widget, "allow_multiple_selected", False
        ):
            values[name] = form.data.getlist(key)
        elif not hasattr(form_field.widget, "input_type") or form_field.widget.input_type != "file":
            values[name] = form.data.get(key)
    return values


# The case page ----------------------------------------------------------------------------


def _masked(case, name: str) -> str:
    value = getattr(case, name)
    return Case._meta.get_field(name).mask(value) if value else ""


def attribute_value(value) -> str:
    """An item-specific value as people write it: 30, not 30.0 (older cases stored whole
    numbers as floats); several choices joined with 、."""
    if isinstance(value, list):
        return "、".join(attribute_value(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _attribute_rows(case) -> list[tuple[str, str]]:
    labels = {spec["code"]: spec["label"] for spec in case.matter.attributes or []}
    return [
        (labels.get(code, code), attribute_value(value))
        for code, value in (case.attributes or {}).items()
    ]


def name_places(cases) -> list:
    """Give the cases placed in a village or town without a grid their place's name
    (``place_name``, shown by the ``place_of`` filter): one query for a whole page."""
    cases = list(cases)
    codes = {c.place_code for c in cases if not c.grid_id and c.place_code}
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for case in cases:
        case.place_name = names.get(case.place_code, "")
    return cases


def _place_areas(case) -> list[str]:
    """The town and village names of a case placed without a grid (测试街道 甲社区…)."""
    if case.grid_id:
        return []
    code = case.place_code
    prefixes = [code[:n] for n in (9, 12) if n <= len(code)]
    names = dict(Area.objects.filter(code__in=prefixes).values_list("code", "name"))
    return [names[p] for p in prefixes if p in names]


def _map_data(case) -> dict:
    features = []
    if case.grid_id:
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": case.grid.kind, "label": case.grid.name},
                "geometry": case.grid.geometry,
            }
        )
    point = [case.lon, case.lat] if case.lon is not None and case.lat is not None else None
    return {
        "point": point,
        "shapes": {"type": "FeatureCollection", "features": features},
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
    }


def _detail_page(request, case, *, bound=None, kept=None, revealed=None, status=200):
    """The case page: ``bound`` is {action name: form} to show with the user's input and
    errors; ``kept`` is the text of a form that could not be shown again."""
    user = request.user
    names = allowed_actions(user, case)
    bound = bound or {}
    for name, form in bound.items():
        if name not in names:  # a form not offered here any more: its errors as a message
            for error in form.errors.values():
                messages.error(request, " ".join(error))
    forms = {name: bound.get(name) or _action_form(name, case) for name in names}
    events = list(
        CaseEvent.objects.filter(case=case).prefetch_related(
            Prefetch("attachments", queryset=CaseAttachment.objects.order_by("pk"))
        )
    )
    orders = list(
        SupervisionOrder.objects.filter(case=case).select_related(
            "issued_by_area", "target_area", "target_department", "target_grid", "issued_by"
        )
    )
    for order in orders:
        order.answerable = (
            order.status == SupervisionStatus.OPEN
            and actions.supervised_post(user, order) is not None
        )
    duplicates = []
    if case.status in (Status.SUBMITTED, Status.ACCEPTED, Status.AT_GRID):
        found = possible_duplicates(case)
        visible = set(
            _cases(request).filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True)
        )
        duplicates = [c for c in found if c.pk in visible]
    for other in duplicates:
        other.merge_form = MergeForm(
            prefix="merge", initial={"version": case.version, "duplicate_of": other.number}
        )
    has_contact = bool(case.reporter_name or case.reporter_phone)
    context = {
        "case": case,
        "now": clock.now(),
        "actions": [
            (name, ACTIONS[name], forms[name], i == 0 or name in bound)
            for i, name in enumerate(names)
        ],
        "attribute_rows": _attribute_rows(case),
        "place_areas": _place_areas(case),
        "may_merge": "reject" in names,
        "events": events,
        "attachments": [a for e in events for a in e.attachments.all()],
        "assignments": list(
            CaseAssignment.objects.filter(case=case).select_related("department", "dispatched_by")
        ),
        "orders": orders,
        "answer_form": AnswerForm(prefix="answer"),
        "duplicates": duplicates,
        "reporter_name": _masked(case, "reporter_name"),
        "reporter_phone": _masked(case, "reporter_phone"),
        "revealed": revealed,
        "may_reveal": has_contact and can(user, "unmask", case),
        "reveal_form": RevealForm(prefix="reveal"),
        "kept": kept or {},
        "map_data": _map_data(case),
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
def detail(request, number):
    return _detail_page(request, _case_or_404(request, number))


def _next_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _back_to_case(request, number, anchor=""):
    """A GET of a form's address (after a login when the session had expired, or a
    reload): nothing was done; the case page, with a word to fill the form in again."""
    _case_or_404(request, number)  # out of scope: 404 as everywhere
    messages.warning(request, _("操作未提交（登录已过期或页面已刷新），请重新填写并提交"))
    return redirect(reverse("cases:detail", args=[number]) + anchor)


@login_required
def act(request, number, name):
    """Run one action form of the case page."""
    spec = ACTIONS.get(name)
    if request.method != "POST":
        return _back_to_case(request, number, f"#act-{name}" if spec else "")
    case = _case_or_404(request, number)
    if spec is None:
        raise Http404
    form = _action_form(name, case, request.POST, request.FILES)
    if not form.is_valid():
        return _detail_page(request, case, bound={name: form}, status=400)
    try:
        spec.run(request, case, form)
    except Conflict as exc:
        # Somebody changed the case first: the fresh page, with what the user typed.
        messages.error(request, exc.message)
        fresh = _case_or_404(request, number)
        if name in allowed_actions(request.user, fresh):
            again = _action_form(name, fresh, initial=_initial_from(form))
            return _detail_page(request, fresh, bound={name: again}, status=409)
        return _detail_page(request, fresh, kept=form.text_values(), status=409)
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _detail_page(request, case, bound={name: form}, status=400)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", number=number)
    messages.success(request, f"{spec.done} · {case.number}")
    default = reverse("cases:detail", args=[number])
    if not _cases(request).filter(pk=case.pk).exists():
        default = reverse("cases:inbox")
    return redirect(_next_url(request, default))


@login_required
def reveal_contact(request, number):
    """查看完整联系方式: with a stated purpose, audited (pii_unmasked), agency staff only."""
    if request.method != "POST":
        return _back_to_case(request, number)
    case = _case_or_404(request, number)
    form = RevealForm(request.POST, prefix="reveal")
    form.is_valid()
    purpose = form.cleaned_data.get("purpose", "")
    try:
        with transaction.atomic():
            revealed = {
                name: reveal(case, name, actor=request.user, purpose=purpose)
                for name in ("reporter_name", "reporter_phone")
                if getattr(case, name)
            }
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", number=number)
    return _detail_page(request, case, revealed=revealed)


# Attachments --------------------------------------------------------------------------------


def file_response(item: CaseAttachment, *, thumb: bool = False):
    """An attachment (a small JPEG for ``thumb``), never cached by shared caches."""
    handle = item.file.open("rb")
    if thumb and item.is_image:
        from PIL import Image, ImageOps

        with Image.open(handle) as image:
            image.draft("RGB", THUMB_SIZE)  # JPEG: decode at a reduced size
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail(THUMB_SIZE)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=80)
        handle.close()
        response = HttpResponse(buffer.getvalue(), content_type="image/jpeg")
    else:
        response = FileResponse(handle, content_type=item.content_type)
        extension = item.file.name.rsplit(".", 1)[-1]
        response["Content-Disposition"] = f'inline; filename="{item.token}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def attachment(request, token):
    item = get_object_or_404(
        CaseAttachment.objects.filter(case__in=_cases(request)).select_related("case"),
        token=token,
    )
    return file_response(item, thumb=request.GET.get("size") == "thumb")


# Supervision orders ---------------------------------------------------------------------


def _order_or_404(request, number):
    return get_object_or_404(
        SupervisionOrder.objects.restrict(request.user, "view").select_related(
            "case__matter", "issued_by_area", "target_area", "target_department", "target_grid"
        ),
        number=number,
    )


@login_required
def supervision_order(request, number):
    """A supervision order (督办单) and, for the supervised party, its answer form."""
    order = _order_or_404(request, number)
    form = AnswerForm(request.POST or None, prefix="answer")
    status = 200
    if request.method == "POST":
        try:
            actions.do_answer_supervision(
                order, form.data.get("answer-answer", ""), actor=request.user
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
            status = 400
        except ActionError as exc:
            messages.error(request, exc.message)
            return redirect("cases:supervision_order", number=number)
        else:
            messages.success(request, _("已回复督办单 %(n)s") % {"n": order.number})
            return redirect(_next_url(request, reverse("cases:detail", args=[order.case.number])))
    context = {
        "order": order,
        "form": form,
        "answerable": order.status == SupervisionStatus.OPEN
        and actions.supervised_post(request.user, order) is not None,
    }
    return render(request, "cases/supervision_order.html", context, status=status)


# The inbox ----------------------------------------------------------------------------------

TABS = (
    ("todo", _l("待办")),
    ("assist", _l("协办")),
    ("extensions", _l("延期审批")),
    ("supervision", _l("督办")),
    ("paused", _l("缓办/挂账")),
)


def _inbox_sources(user) -> dict:
    return {
        "todo": inbox.inbox(user),
        "assist": inbox.assisting(user),
        "extensions": inbox.extensions(user),
        "supervision": inbox.supervision(user),
        "paused": inbox.paused(user).select_related("matter", "grid"),
    }


@login_required
def inbox_page(request):
    sources = _inbox_sources(request.user)
    tab = request.GET.get("tab", "todo")
    if tab not in sources:
        tab = "todo"
    counts = {name: qs.count() for name, qs in sources.items()}
    qs = sources[tab]
    if tab == "todo":
        qs = qs.select_related("grid")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if tab in ("todo", "paused"):
        page.object_list = name_places(page.object_list)
    context = {
        "tab": tab,
        "tabs": [(name, label, counts[name]) for name, label in TABS],
        "page": page,
        "now": clock.now(),
        "answer_form": AnswerForm(prefix="answer"),
    }
    return render(request, "cases/inbox.html", context)


# The list -----------------------------------------------------------------------------------


@login_required
def case_list(request):
    matters = Matter.objects.in_force()
    form = CaseFilterForm(request.GET or None, matters=matters)
    qs = _cases(request).select_related("matter", "grid", "holder_area", "holder_department")
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    data = form.cleaned_data if form.is_bound else {}
    if data.get("status") == "open":
        qs = qs.filter(status__in=sorted(OPEN_STATES))
    elif data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("matter"):
        qs = qs.filter(matter__code=data["matter"])
    if data.get("urgency"):
        qs = qs.filter(urgency=data["urgency"])
    if data.get("flag"):
        qs = qs.filter(flag=data["flag"])
    if data.get("since"):
        qs = qs.filter(created_at__date__gte=data["since"])
    if data.get("until"):
        qs = qs.filter(created_at__date__lte=data["until"])
    if data.get("q"):
        text = data["q"].strip().upper()
        qs = qs.filter(Q(number=text) | Q(tracking_code=text))
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = name_places(page.object_list)
    context = {"form": form, "page": page, "now": clock.now()}
    return render(request, "cases/list.html", context, status=status)


# The supervision board ------------------------------------------------------------------


def _holder_label(case) -> tuple[str, str]:
    if case.holder_department_id:
        return _("联动部门"), case.holder_department.name
    if case.holder_area_id:
        return _("网格化服务管理机构"), case.holder_area.name
    if case.holder_grid_id:
        return _("网格"), case.holder_grid.name
    return "", "—"


@login_required
def board(request):
    """督办看板: red (overdue) and yellow cases of the agency's area, by holder."""
    if not any(p.role in AREA_ROLES for p in current_posts(request.user)):
        raise Http404
    now = clock.now()
    late = (
        _cases(request)
        .filter(status__in=sorted(TIMED_STATES))
        .filter(Q(flag__in=[Flag.YELLOW, Flag.RED]) | Q(due_at__lt=now) | Q(warn_at__lte=now))
        .select_related("matter", "holder_area", "holder_department", "holder_grid")
        .order_by("due_at", "pk")[:BOARD_LIMIT]
    )
    groups: dict[tuple, dict] = {}
    for case in late:
        case.red = case.flag == Flag.RED or (case.due_at is not None and case.due_at < now)
        kind, name = _holder_label(case)
        group = groups.setdefault(
            (kind, name), {"kind": kind, "name": name, "cases": [], "red": 0, "yellow": 0}
        )
        group["cases"].append(case)
        group["red" if case.red else "yellow"] += 1
    ordered = sorted(groups.values(), key=lambda g: (-g["red"], -len(g["cases"]), g["name"]))
    orders = (
        SupervisionOrder.objects.restrict(request.user, "view")
        .filter(status=SupervisionStatus.OPEN)
        .select_related("case", "target_area", "target_department", "target_grid")
        .order_by("due_at")[:100]
    )
    context = {
        "groups": ordered,
        "red": sum(g["red"] for g in ordered),
        "yellow": sum(g["yellow"] for g in ordered),
        "orders": orders,
        "now": now,
    }
    return render(request, "cases/board.html", context)


# Intake ---------------------------------------------------------------------------------------


def intake_channels(user) -> list[str]:
    """How ``user`` may register a case: as a grid worker, or taking a call for an agency."""
    roles = {p.role for p in current_posts(user)}
    channels = []
    if roles & {*GRID_ROLES, *EXCLUSIVE_GRID_ROLES}:
        channels.append("grid")
    if roles & set(AREA_ROLES):
        channels.append("phone")
    return channels


def outline_features(codes: list[str]) -> list[dict]:
    """County and town outlines within ``codes`` (the cached, simplified outlines of the
    grid map) as a background for picking a point."""
    from gridgov.areas.views import _outline_features

    features = []
    for level in (AreaLevel.COUNTY, AreaLevel.TOWN):
        for feature in _outline_features(level):
            code = feature["properties"]["code"]
            if any(code.startswith(c) or c.startswith(code) for c in codes):
                features.append(feature)
    return features


def picker_config(features, point=None) -> dict:
    return {
        "shapes": {"type": "FeatureCollection", "features": features},
        "point": point,
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "text": {
            "locating": _("正在获取位置……"),
            "located": _("已获取当前位置"),
            "denied": _("无法获取位置，请在地图上点选或手工填写"),
            "unsupported": _("此设备不支持定位，请在地图上点选"),
        },
    }


def _own_grids(user):
    ids = [p.grid_id for p in current_posts(user) if p.grid_id]
    return Grid.objects.filter(pk__in=ids, status=GridStatus.ACTIVE).order_by("code")


def _agency_codes(user) -> list[str]:
    return [p.area.code for p in current_posts(user) if p.role in AREA_ROLES]


def towns_for(codes) -> list[tuple[str, str]]:
    towns = Area.objects.filter(level=AreaLevel.TOWN)
    if codes is not None:
        towns = towns.filter(subtree("code", codes) | Q(code__in=[c[:9] for c in codes]))
    return [(a.code, a.name) for a in towns.order_by("code")]


def villages_of(town: str) -> list[tuple[str, str]]:
    if not town:
        return []
    villages = Area.objects.filter(level=AreaLevel.VILLAGE, parent__code=town).order_by("code")
    return [(a.code, a.name) for a in villages]


def _tracking_code_message(case) -> str:
    code = format_html(
        '<strong class="font-monospace fs-5" data-testid="new-tracking-code">{}</strong>',
        case.tracking_code,
    )
    return format_html(
        _(
            "请告知来电人查询码 {code}：凭此码在网上查询办理进度并评价结果。"
            "查询码只显示这一次，事件页面上不再显示。"
        ),
        code=code,
    )


@login_required
def new(request):
    channels = intake_channels(request.user)
    if not channels:
        return render(request, "cases/new.html", {"channels": []}, status=403)
    wanted = request.POST.get("channel") or request.GET.get("channel")
    channel = wanted if wanted in channels else channels[0]
    codes = _agency_codes(request.user)
    town = request.POST.get("town", "")
    form = CaseForm(
        request.POST or None,
        request.FILES or None,
        channel=channel,
        matters=Matter.objects.in_force().select_related("area"),
        towns=towns_for(codes) if channel == "phone" else (),
        villages=villages_of(town) if town and channel == "phone" else (),
    ).wire(fields_url=reverse("cases:matter_fields"), villages_url=reverse("public_cases:villages"))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case, created = actions.submit_case(**form.submit_kwargs(), actor=request.user)
            except ValidationError as exc:
                form.add_action_errors(exc)
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                text = (
                    _("已登记事件 %(n)s")
                    if created
                    else _("该事件已登记（重复提交只保留一件）：%(n)s")
                )
                messages.success(request, text % {"n": case.number})
                if case.channel == Channel.PHONE:
                    # The caller's code, shown this once to the operator taking the call
                    # (never on the case page: the rating is the requester's own).
                    messages.info(request, _tracking_code_message(case))
                return redirect("cases:detail", number=case.number)
        status = 400
    if channel == "grid":
        grids = _own_grids(request.user)
        features = [
            {
                "type": "Feature",
                "properties": {"kind": g.kind, "label": g.name},
                "geometry": g.geometry,
            }
            for g in grids
        ]
    else:
        features = outline_features(codes)
    context = {
        "form": form,
        "channel": channel,
        "channels": channels,
        "picker": picker_config(features),
    }
    return render(request, "cases/new.html", context, status=status)


@login_required
def matter_fields(request):
    """The item-specific fields of the chosen matter (htmx fragment of the intake form)."""
    code = request.GET.get("matter", "")
    matter = (
        Matter.objects.in_force()
        .filter(code=code)
        .select_related("area")
        .order_by("area__code")
        .first()
    )
    return render(request, "cases/_matter_fields.html", {"form": AttributesForm(matter=matter)})


# Settings -----------------------------------------------------------------------------------


@login_required
def policy(request):
    """办理时限设置, for the system administrator only (404 for everybody else)."""
    if not actions.may_edit_policy(request.user):
        raise Http404
    form = PolicyForm(request.POST or None, instance=CasePolicy.current())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_update_policy(form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("办理时限设置已保存"))
                return redirect("cases:policy")
        status = 400
    return render(request, "cases/policy.html", {"form": form}, status=status)
