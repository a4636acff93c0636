"""Registry pages (基础信息): search, person pages, collection forms (phone-friendly),
verification, and lists of addresses, houses, units and vessels.

Every queryset starts from ``restrict()``; an object outside the user's scope answers
404 like a missing one. Every change goes through :mod:`gridgov.registry.actions`. Pages
show personal data masked (present.py); the reveal form is the audited way to the full
value. Edit forms are never prefilled with an ID number or phone: blank keeps the value.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import current_posts
from gridgov.core.exceptions import ActionError
from gridgov.core.masking import mask_id_number, mask_name, mask_phone, reveal
from gridgov.registry import actions, present, search
from gridgov.registry.choices import ConflictStatus, RecordKind, Relation, SubmissionStatus
from gridgov.registry.forms import (
    CareTagForm,
    HouseholdForm,
    MemberFormSet,
    NoteForm,
    RevealForm,
    SearchForm,
    attach_errors,
    form_for,
    protect_secrets,
    restore_secrets,
)
from gridgov.registry.models import (
    Address,
    CareTag,
    Conflict,
    Household,
    Person,
    Submission,
)
from gridgov.registry.scope import visible_tag_codes

PAGE_SIZE = 50


def _tag_codes(user) -> list[str]:
    codes = []
    for post in current_posts(user):
        for code in visible_tag_codes(post):
            if code not in codes:
                codes.append(code)
    return codes


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _may(user, model, action) -> bool:
    from gridgov.accounts.scope import scope_filter

    return scope_filter(user, model, action) is not None


# Search and persons ---------------------------------------------------------------------


@login_required
def home(request):
    """Search. Exact ID-number and phone searches are POSTed, so that the number never
    sits in a URL, a browser history or an access log; the page shows it masked."""
    codes = _tag_codes(request.user)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = SearchForm(data, codes=codes)
    results = None
    notice = ""
    if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
        q = form.cleaned_data["q"]
        exact = bool(q) and search.classify(q) in ("id_number", "phone")
        if request.method == "POST" and not exact:
            # Names, addresses, tags: an ordinary GET, so that the result pages link.
            from django.http import QueryDict

            query = QueryDict(mutable=True)
            query.update({k: v for k, v in form.cleaned_data.items() if v})
            return redirect(f"{request.path}?{query.urlencode()}")
        if exact and request.method != "POST":
            # Do not search, nor echo the number anywhere (the page links its own URL).
            messages.info(
                request, _("按证件号码或电话查询请使用页面上的查询按钮（号码不放在网址中）。")
            )
            return redirect(request.path)
        else:
            with transaction.atomic():
                qs = search.persons(
                    request.user, q=q, tag=form.cleaned_data["tag"], grid=form.cleaned_data["grid"]
                )
                results = _page(request, qs)
        if exact:
            masked = mask_id_number(q) if search.classify(q) == "id_number" else mask_phone(q)
            form = SearchForm({**form.cleaned_data, "q": ""}, codes=codes)
            form.fields["q"].widget.attrs["placeholder"] = masked
            notice = notice or _("按 %(v)s 精确查询") % {"v": masked}
    pending = Submission.objects.restrict(request.user, "view").filter(
        status=SubmissionStatus.PENDING
    )
    context = {
        "form": form,
        "notice": notice,
        "page": results,
        "rows": [present.person_summary(p) for p in results] if results else [],
        "pending_count": pending.count(),
        "to_verify": Submission.objects.restrict(request.user, "approve")
        .filter(status=SubmissionStatus.PENDING)
        .count(),
        "conflict_count": Conflict.objects.restrict(request.user, "view")
        .filter(status=ConflictStatus.OPEN)
        .count(),
        "may_collect": _may(request.user, Submission, "add"),
    }
    return render(request, "registry/home.html", context)


def _person(request, public_id, action="view"):
    return get_object_or_404(
        Person.objects.restrict(request.user, action).select_related(
            "grid", "residence", "ethnicity", "household"
        ),
        public_id=public_id,
    )


def _person_page(request, person, *, revealed=None, reveal_form=None, tag_form=None, status=200):
    with transaction.atomic():
        tags = actions.read_care_tags(person, actor=request.user)
    codes = _tag_codes(request.user)
    may_tag = _may(request.user, CareTag, "add")
    removable = set(
        CareTag.objects.filter(pk__in=[tag.pk for _kind, tag in tags])
        .restrict(request.user, "delete")
        .values_list("pk", flat=True)
    )
    context = {
        "person": person,
        "p": present.person_detail(person),
        "household": (
            present.household_label(person.household, request.user) if person.household_id else ""
        ),
        "tags": [(kind, tag, tag.pk in removable) for kind, tag in tags],
        "events": person.events.select_related("address").order_by("date", "id"),
        "versions": actions.versions(person),
        "pending": actions.pending_for(person),
        "revealed": revealed,
        "reveal_form": reveal_form or RevealForm(initial={"field": "id_number"}),
        "may_reveal": Person.objects.filter(pk=person.pk).restrict(request.user, "unmask").exists(),
        "may_change": Person.objects.filter(pk=person.pk).restrict(request.user, "change").exists(),
        "tag_form": tag_form or (CareTagForm(codes=codes) if may_tag and codes else None),
        "household_members": (
            Person.objects.restrict(request.user, "view").filter(household=person.household_id)
            if person.household_id
            else []
        ),
    }
    return render(request, "registry/person_detail.html", context, status=status)


@login_required
def person_detail(request, public_id):
    return _person_page(request, _person(request, public_id))


@login_required
@require_POST
def person_reveal(request, public_id):
    person = _person(request, public_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, reveal_form=form, status=400)
    field = form.cleaned_data["field"]
    try:
        with transaction.atomic():
            value = reveal(person, field, actor=request.user, purpose=form.cleaned_data["purpose"])
    except ActionError as exc:
        form.add_error("purpose", exc.message)
        return _person_page(request, person, reveal_form=form, status=exc.status)
    return _person_page(request, person, revealed={"field": field, "value": value})


@login_required
@require_POST
def person_tag_add(request, public_id):
    person = _person(request, public_id)
    form = CareTagForm(request.POST, codes=_tag_codes(request.user))
    if form.is_valid():
        try:
            actions.do_add_care_tag(
                person,
                form.cleaned_data["kind"],
                actor=request.user,
                note=form.cleaned_data["note"],
                since=form.cleaned_data["since"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记关爱对象标签"))
            return redirect("registry:person_detail", public_id)
    return _person_page(request, person, tag_form=form, status=400)


@login_required
def person_tag_remove(request, public_id, kind):
    """删除标签 in two steps: a page that asks, and its POST (``confirm=1``) that removes."""
    person = _person(request, public_id)
    index = CareTag._meta.get_field("kind_code").index_of(kind)
    tag = get_object_or_404(
        CareTag.objects.restrict(request.user, "view"), person=person, kind_index=index
    )
    if request.method != "POST" or request.POST.get("confirm") != "1":
        with transaction.atomic():  # the page names the tag: a read audited as such
            shown = dict((t.pk, k) for k, t in actions.read_care_tags(person, actor=request.user))
        if tag.pk not in shown:
            raise Http404
        context = {
            "p": present.person_summary(person),
            "tag": tag,
            "kind": shown[tag.pk],
            "may_remove": CareTag.objects.filter(pk=tag.pk)
            .restrict(request.user, "delete")
            .exists(),
        }
        return render(request, "registry/tag_remove_confirm.html", context)
    try:
        actions.do_remove_care_tag(tag, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除关爱对象标签"))
    return redirect("registry:person_detail", public_id)


# Collection -----------------------------------------------------------------------------


@login_required
def collect_household(request):
    if not _may(request.user, Submission, "add"):
        raise Http404
    data = restore_secrets(request.POST) if request.method == "POST" else None
    form = HouseholdForm(data, user=request.user)
    formset = MemberFormSet(data, prefix="members")
    formset.filled = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        formset.filled = [f for f in formset.forms if not f.is_blank()]
        raw = form.raw()
        raw["members"] = [f.raw() for f in formset.filled]
        try:
            submission = actions.do_submit(RecordKind.HOUSEHOLD, raw, actor=request.user)
        except ValidationError as exc:
            attach_errors(form, exc, formset)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已提交，待网格长核实"))
            return redirect("registry:submission_detail", submission.public_id)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "formset": formset, "secrets": protect_secrets(*formset.forms)}
    return render(request, "registry/household_form.html", context, status=status)


COLLECT_TITLES = {
    "address": _("新增标准地址"),
    "house": _("采集房屋"),
    "rental": _("登记出租房屋"),
    "person": _("采集实有人口"),
    "unit": _("采集实有单位"),
    "vessel": _("采集船舶"),
}
KEEP_IF_BLANK = {"person": ("id_number", "phone"), "unit": ("contact_phone",)}


def _current_raw(kind: str, record) -> dict:
    """The record's values for an edit form — without ID numbers and phones."""
    if kind == "person":
        return {
            "name": record.name,
            "id_type": record.id_type,
            "relation": record.relation,
            "category": record.category,
            "ethnicity": record.ethnicity.code if record.ethnicity else "",
            "nationality": record.nationality,
            "hukou_place": record.hukou_place,
            "residence": record.residence.code if record.residence else "",
            "residence_start": record.residence_start,
            "residence_end": record.residence_end,
            "status": record.status,
        }
    if kind == "address":
        return {
            "level": record.level,
            "name": record.name,
            "parent": record.parent.code if record.parent else "",
            "village": record.village.code,
            "lon": record.lon,
            "lat": record.lat,
        }
    if kind == "house":
        return {
            "address": record.address.code,
            "use": record.use,
            "owner": record.owner.public_id if record.owner else "",
            "owner_unit": record.owner_unit.public_id if record.owner_unit else "",
            "floor_area": record.floor_area,
            "note": record.note,
        }
    if kind == "unit":
        return {
            "name": record.name,
            "credit_code": record.credit_code or "",
            "kind": record.kind,
            "address": record.address.code,
            "legal_representative": record.legal_representative,
            "contact_name": record.contact_name,
            "staff_count": record.staff_count,
            "is_key_unit": record.is_key_unit,
            "key_place_kind": record.key_place_kind,
            "patrol_frequency": record.patrol_frequency,
        }
    if kind == "vessel":
        return {
            "name": record.name,
            "registration_number": record.registration_number,
            "kind": record.kind,
            "grid": record.grid.code,
            "vessel_group": record.vessel_group,
            "home_port": record.home_port,
            "owner": record.owner.public_id if record.owner else "",
            "owner_unit": record.owner_unit.public_id if record.owner_unit else "",
            "length_m": record.length_m,
            "gross_tonnage": record.gross_tonnage,
        }
    if kind == "rental":
        return {
            "house": record.house.public_id,
            "landlord": record.landlord.public_id,
            "tenants": ", ".join(t.public_id for t in record.tenants.all()),
            "start_date": record.start_date,
            "end_date": record.end_date,
        }
    return {}


def _record(request, kind, key, action="view"):
    model = actions.MODELS[RecordKind(kind)]
    field = "code" if kind == RecordKind.ADDRESS else "public_id"
    return get_object_or_404(model.objects.restrict(request.user, action), **{field: key})


@login_required
def collect(request, kind, key=None):
    if kind not in COLLECT_TITLES or not _may(request.user, Submission, "add"):
        raise Http404
    record = _record(request, kind, key, "change") if key else None
    form_class = form_for(kind)
    initial = _current_raw(kind, record) if record else None
    data = restore_secrets(request.POST) if request.method == "POST" else None
    form = form_class(data, user=request.user, initial=initial)
    if record is not None:
        for name in KEEP_IF_BLANK.get(kind, ()):
            form.fields[name].required = False
            form.fields[name].help_text = _("不修改请留空（当前：%(v)s）") % {
                "v": _masked_current(kind, record, name)
            }
    if request.method == "POST" and form.is_valid():
        raw = form.raw()
        if record is not None:
            for name in KEEP_IF_BLANK.get(kind, ()):
                if not raw.get(name):
                    raw[name] = getattr(record, name)
            if kind == "person" and record.household_id:
                raw["household"] = record.household.public_id
        try:
            submission = actions.do_submit(kind, raw, actor=request.user, record=record)
        except ValidationError as exc:
            attach_errors(form, exc)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已提交，待网格长核实"))
            return redirect("registry:submission_detail", submission.public_id)
    context = {
        "form": form,
        "kind": kind,
        "title": COLLECT_TITLES[kind] if record is None else _("变更") + str(record),
        "record": record,
        "secrets": protect_secrets(form),
    }
    return render(
        request,
        "registry/collect_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _masked_current(kind, record, name) -> str:
    value = getattr(record, name)
    if not value:
        return _("无")
    return mask_id_number(value) if name == "id_number" else mask_phone(value)


# Verification ---------------------------------------------------------------------------


@login_required
def submission_list(request):
    status = request.GET.get("status", SubmissionStatus.PENDING)
    qs = Submission.objects.restrict(request.user, "view").select_related("grid", "submitted_by")
    if status in SubmissionStatus.values:
        qs = qs.filter(status=status)
    context = {
        "page": _page(request, qs),
        "status": status,
        "statuses": SubmissionStatus.choices,
        "conflicts": Conflict.objects.restrict(request.user, "view")
        .filter(status=ConflictStatus.OPEN)
        .select_related("submission")[:100],
    }
    return render(request, "registry/submission_list.html", context)


def _submission(request, public_id):
    return get_object_or_404(
        Submission.objects.restrict(request.user, "view").select_related("grid", "submitted_by"),
        public_id=public_id,
    )


def _record_link(sub):
    if sub.record_id is None:
        return None
    model = actions.MODELS[RecordKind(sub.record_kind)]
    record = model.objects.filter(pk=sub.record_id).first()
    if record is None:
        return None
    return sub.record_kind, getattr(record, "public_id", None) or record.code, str(record)


@login_required
def submission_detail(request, public_id, *, error=None, status=200):
    sub = _submission(request, public_id)
    may_approve = Submission.objects.filter(pk=sub.pk).restrict(request.user, "approve").exists()
    context = {
        "sub": sub,
        "is_change": present.is_change(sub),
        "data": present.submission_rows(sub.record_kind, sub.data, user=request.user),
        "conflicts": sub.conflicts.all(),
        "may_approve": may_approve and sub.status == SubmissionStatus.PENDING,
        "may_withdraw": sub.submitted_by_id == request.user.pk
        and sub.status == SubmissionStatus.PENDING,
        "record": _record_link(sub),
        "note_form": NoteForm(),
        "error": error,
    }
    return render(request, "registry/submission_detail.html", context, status=status)


def _decide(request, public_id, do):
    sub = _submission(request, public_id)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        do(sub, form.cleaned_data.get("note", ""))
    except ValidationError as exc:
        return submission_detail(request, public_id, error=" ".join(exc.messages), status=400)
    except ActionError as exc:
        return submission_detail(request, public_id, error=exc.message, status=exc.status)
    return redirect("registry:submission_detail", public_id)


@login_required
@require_POST
def submission_verify(request, public_id):
    def do(sub, note):
        actions.do_verify(sub, actor=request.user, note=note)
        messages.success(request, _("已核实，记录已更新"))

    return _decide(request, public_id, do)


@login_required
@require_POST
def submission_reject(request, public_id):
    def do(sub, note):
        actions.do_reject(sub, actor=request.user, note=note)
        messages.success(request, _("已退回"))

    return _decide(request, public_id, do)


@login_required
@require_POST
def submission_withdraw(request, public_id):
    def do(sub, note):
        actions.do_withdraw(sub, actor=request.user)
        messages.success(request, _("已撤回"))

    return _decide(request, public_id, do)


@login_required
@require_POST
def conflict_resolve(request, public_id):
    conflict = get_object_or_404(
        Conflict.objects.restrict(request.user, "view").select_related("submission"),
        public_id=public_id,
    )
    accept = request.POST.get("accept") == "1"
    try:
        actions.do_resolve_conflict(
            conflict, accept=accept, note=request.POST.get("note", ""), actor=request.user
        )
    except ValidationError as exc:
        return submission_detail(
            request, conflict.submission.public_id, error=" ".join(exc.messages), status=400
        )
    except ActionError as exc:
        return submission_detail(
            request, conflict.submission.public_id, error=exc.message, status=exc.status
        )
    messages.success(request, _("冲突已处理"))
    return redirect("registry:submission_detail", conflict.submission.public_id)


# Other records --------------------------------------------------------------------------

LISTS = {
    "household": (_("户"), ("head", "number", "address", "grid")),
    "address": (_("标准地址"), ("code", "full_name", "level", "grid")),
    "house": (_("房屋"), ("address", "use", "owner", "grid")),
    "rental": (_("出租房屋"), ("house", "landlord", "start_date", "grid")),
    "unit": (_("实有单位"), ("name", "credit_code", "kind", "key", "grid")),
    "vessel": (_("船舶"), ("name", "registration_number", "vessel_group", "grid")),
}


def _row(kind, obj) -> dict:
    """Cells of a list or detail row, masked."""
    if kind == "household":
        heads = getattr(obj, "heads", None) or []
        return {
            "key": obj.public_id,
            _("户主"): mask_name(heads[0].name) if heads else "—",
            _("户号"): obj.number or "—",
            _("户类型"): obj.get_kind_display(),
            _("住址"): obj.address.full_name,
            _("人数"): getattr(obj, "member_count", "—"),
            _("所属网格"): obj.grid.name,
        }
    if kind == "address":
        return {
            "key": obj.code,
            _("地址编码"): obj.code,
            _("完整地址"): obj.full_name,
            _("层级"): obj.get_level_display(),
            _("所属网格"): obj.grid.name if obj.grid_id else "—",
            _("经纬度"): f"{obj.lon:.6f}, {obj.lat:.6f}" if obj.lon is not None else "—",
        }
    if kind == "house":
        owner = mask_name(obj.owner.name) if obj.owner_id else ""
        return {
            "key": obj.public_id,
            _("地址"): obj.address.full_name,
            _("用途"): obj.get_use_display(),
            _("产权人"): owner or (obj.owner_unit.name if obj.owner_unit_id else "—"),
            _("建筑面积（平方米）"): obj.floor_area or "—",
            _("所属网格"): obj.grid.name,
        }
    if kind == "rental":
        return {
            "key": obj.public_id,
            _("房屋"): obj.house.address.full_name,
            _("出租人"): mask_name(obj.landlord.name),
            _("承租人"): "、".join(mask_name(t.name) for t in obj.tenants.all()) or "—",
            _("租赁期"): f"{obj.start_date} ～ {obj.end_date or ''}",
            _("所属网格"): obj.grid.name,
        }
    if kind == "unit":
        return {
            "key": obj.public_id,
            _("单位名称"): obj.name,
            _("统一社会信用代码"): obj.credit_code or "—",
            _("单位类别"): obj.get_kind_display(),
            _("地址"): obj.address.full_name,
            _("法定代表人"): mask_name(obj.legal_representative) or "—",
            _("联系人"): mask_name(obj.contact_name) or "—",
            _("联系电话"): mask_phone(obj.contact_phone) if obj.contact_phone else "—",
            _("从业人数"): obj.staff_count if obj.staff_count is not None else "—",
            _("重点单位"): (
                f"{obj.get_key_place_kind_display() or _('是')}（{obj.get_patrol_frequency_display()}巡查）"
                if obj.is_key_unit
                else _("否")
            ),
            _("所属网格"): obj.grid.name,
        }
    if kind == "vessel":
        return {
            "key": obj.public_id,
            _("船名"): obj.name,
            _("船舶登记号"): obj.registration_number,
            _("船舶类别"): obj.get_kind_display(),
            _("船只编组"): obj.vessel_group or "—",
            _("船籍港"): obj.home_port or "—",
            _("所有人"): mask_name(obj.owner.name)
            if obj.owner_id
            else (obj.owner_unit.name if obj.owner_unit_id else "—"),
            _("所属海上网格"): obj.grid.name,
        }
    return {}


SELECTS = {
    "household": ("address", "grid"),
    "address": ("grid", "village", "parent"),
    "house": ("address", "owner", "owner_unit", "grid"),
    "rental": ("house__address", "landlord", "grid"),
    "unit": ("address", "grid"),
    "vessel": ("owner", "owner_unit", "grid"),
}


@login_required
def record_list(request, kind):
    if kind not in LISTS:
        raise Http404
    model = actions.MODELS[RecordKind(kind)]
    qs = model.objects.restrict(request.user, "view").select_related(*SELECTS[kind])
    q = request.GET.get("q", "").strip()[:100]
    if q:
        if kind == "address":
            qs = search.addresses(request.user, q, qs)
        elif kind in ("unit", "vessel"):
            qs = qs.filter(name__contains=q)
        elif kind == "house":
            qs = qs.filter(search.address_filter(q, request.user, field="address"))
        elif kind == "household":
            qs = qs.filter(Q(number=q) | search.address_filter(q, request.user, field="address"))
    if kind == "household":
        heads = Person.objects.restrict(request.user, "view").filter(relation=Relation.HEAD)
        qs = qs.annotate(member_count=Count("members")).order_by("grid__code", "id")
        qs = qs.prefetch_related(
            Prefetch("members", queryset=heads.order_by("id"), to_attr="heads")
        )
    page = _page(request, qs)
    rows = [_row(kind, obj) for obj in page]
    context = {
        "kind": kind,
        "title": LISTS[kind][0],
        "page": page,
        "rows": rows,
        "headers": [h for h in rows[0] if h != "key"] if rows else [],
        "q": q,
        "may_collect": _may(request.user, Submission, "add"),
    }
    return render(request, "registry/record_list.html", context)


@login_required
def record_detail(request, kind, key):
    if kind not in LISTS and kind != "household":
        raise Http404
    if kind == "household":
        household = get_object_or_404(
            Household.objects.restrict(request.user, "view").select_related("address", "grid"),
            public_id=key,
        )
        members = Person.objects.restrict(request.user, "view").filter(household=household)
        context = {
            "household": household,
            "label": present.household_label(household, request.user),
            "members": [
                present.person_summary(p) for p in members.select_related("grid", "residence")
            ],
            "versions": actions.versions(household),
        }
        return render(request, "registry/household_detail.html", context)
    model = actions.MODELS[RecordKind(kind)]
    field = "code" if kind == "address" else "public_id"
    obj = get_object_or_404(
        model.objects.restrict(request.user, "view").select_related(*SELECTS[kind]),
        **{field: key},
    )
    context = {
        "kind": kind,
        "title": LISTS[kind][0],
        "obj": obj,
        "row": {k: v for k, v in _row(kind, obj).items() if k != "key"},
        "key": key,
        "versions": actions.versions(obj),
        "pending": actions.pending_for(obj),
        "may_change": model.objects.filter(pk=obj.pk).restrict(request.user, "change").exists(),
        "children": (
            Address.objects.restrict(request.user, "view").filter(parent=obj)
            if kind == "address"
            else None
        ),
        "residents": (
            [
                present.person_summary(p)
                for p in Person.objects.restrict(request.user, "view")
                .filter(residence=obj.address)
                .select_related("grid", "residence")
            ]
            if kind == "house"
            else None
        ),
    }
    return render(request, "registry/record_detail.html", context)
