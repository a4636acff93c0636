"""The public pages of case handling: a resident reports a problem without an account,
follows it by its tracking code, and rates the result (第十七条: 反馈, 评价).

No login and no scope here: a case is reached only by its random tracking code, and the
page shows what the requester may know — the status, the public timeline (the events of
``PUBLIC_EVENTS`` with their public text and the acting unit; never staff names,
internal notes or personal data), the feedback, and the attachments marked public.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.choices import AreaLevel
from gridgov.areas.models import Area
from gridgov.cases import actions
from gridgov.cases.choices import PUBLIC_EVENTS, Status
from gridgov.cases.forms import AttributesForm, CaseForm, RatingForm, TrackForm
from gridgov.cases.models import Case, CaseAttachment, CaseEvent, IdempotencyKey
from gridgov.cases.views import (
    file_response,
    outline_features,
    picker_config,
    towns_for,
    villages_of,
)
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import ActionError
from gridgov.core.middleware import client_ip
from gridgov.core.models import AuditEvent
from gridgov.matters.models import Matter
from gridgov.orgs.choices import Role

IDEMPOTENCY_OWNER = "public"


def reports_per_hour() -> int:
    return getattr(settings, "CASE_PUBLIC_REPORTS_PER_HOUR", 20)


def recent_reports(ip: str | None) -> int:
    """Cases created from ``ip`` without an account in the last hour (from the audit log,
    which records the client address of every creation: shared by all processes)."""
    if not ip:
        return 0
    return AuditEvent.objects.filter(
        kind=AuditKind.DATA_CREATED,
        target_type="cases.case",
        actor__isnull=True,
        ip=ip,
        at__gte=timezone.now() - timedelta(hours=1),
    ).count()


def _public_matters():
    return Matter.objects.in_force().filter(resident_reportable=True).select_related("area")


def _normalise(code: str) -> str:
    return "".join(str(code or "").split()).upper()


def _case_by_code(code: str) -> Case | None:
    code = _normalise(code)
    if not code or len(code) > 16:
        return None
    return Case.objects.select_related("matter").filter(tracking_code=code).first()


def _not_found(request, code=""):
    form = TrackForm(initial={"code": _normalise(code)})
    return render(request, "cases/public_not_found.html", {"form": form, "code": code}, status=404)


# Reporting ------------------------------------------------------------------------------


def report(request):
    """群众反映: the resident-reportable matters of the list in force, with a contact for
    the feedback (or anonymously where the matter allows it)."""
    town = request.POST.get("town", "")
    form = CaseForm(
        request.POST or None,
        request.FILES or None,
        channel="resident",
        matters=_public_matters(),
        towns=towns_for(None),
        villages=villages_of(town),
        initial={"matter": request.GET.get("matter", "")},
    ).wire(
        fields_url=reverse("public_cases:matter_fields"),
        villages_url=reverse("public_cases:villages"),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            kwargs = form.submit_kwargs()
            replay = IdempotencyKey.objects.filter(
                owner=IDEMPOTENCY_OWNER, key=kwargs["idempotency_key"]
            ).exists()
            if not replay and recent_reports(client_ip(request)) >= reports_per_hour():
                form.add_error(None, _("提交过于频繁，请一小时后再试，或拨打 12345 热线反映"))
                status = 429
            else:
                try:
                    case, _created = actions.submit_case(
                        **kwargs, idempotency_owner=IDEMPOTENCY_OWNER
                    )
                except ValidationError as exc:
                    form.add_action_errors(exc)
                except ActionError as exc:
                    form.add_error(None, exc.message)
                else:
                    return redirect("public_cases:thanks", code=case.tracking_code)
    cities = list(Area.objects.filter(level=AreaLevel.CITY).values_list("code", flat=True))
    context = {
        "form": form,
        "picker": picker_config(outline_features(cities)),
    }
    return render(request, "cases/public_report.html", context, status=status)


def matter_fields(request):
    """The item-specific fields of a resident-reportable matter (htmx fragment)."""
    code = request.GET.get("matter", "")
    matter = _public_matters().filter(code=code).order_by("area__code").first()
    return render(request, "cases/_matter_fields.html", {"form": AttributesForm(matter=matter)})


def villages(request):
    """The villages and communities of a town, as <option>s (htmx)."""
    options = villages_of(request.GET.get("town", "")[:12])
    return render(request, "cases/_village_options.html", {"options": options})


def thanks(request, code):
    case = _case_by_code(code)
    if case is None:
        return _not_found(request, code)
    return render(request, "cases/public_thanks.html", {"case": case})


# Tracking ---------------------------------------------------------------------------------


def track_search(request):
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("public_cases:track", code=form.cleaned_data["code"])
    return render(request, "cases/public_track_search.html", {"form": form})


ROLE_LABELS = sorted((str(label) for label in Role.labels), key=len, reverse=True)


def acting_unit(event: CaseEvent) -> str:
    """The unit that acted (测试街道, 城管执法中队…), never the person."""
    if event.actor_id is None:
        return event.actor_name  # 群众, 反映人, 系统: no one's name
    text = event.actor_role
    for label in ROLE_LABELS:
        if text.endswith(label):
            return text[: -len(label)].strip()
    return text


def _track_page(request, case, *, rating_form=None, status=200):
    events = (
        CaseEvent.objects.filter(case=case, kind__in=sorted(PUBLIC_EVENTS))
        .only("kind", "at", "actor_id", "actor_name", "actor_role", "public_note")
        .order_by("at", "pk")
    )
    timeline = [
        {
            "at": event.at,
            "what": event.get_kind_display(),
            "unit": acting_unit(event),
            "text": event.public_note,
        }
        for event in events
    ]
    files = CaseAttachment.objects.filter(case=case, public=True).order_by("pk")
    context = {
        "case": case,
        "timeline": timeline,
        "files": files,
        "may_rate": case.status == Status.FED_BACK,
        "rating_form": rating_form or RatingForm(),
        "show_feedback": bool(case.feedback) and case.status in (Status.FED_BACK, Status.CLOSED),
    }
    return render(request, "cases/public_track.html", context, status=status)


def track(request, code):
    case = _case_by_code(code)
    if case is None:
        return _not_found(request, code)
    if case.tracking_code != code:
        return redirect("public_cases:track", code=case.tracking_code)
    return _track_page(request, case)


def rate(request, code):
    case = _case_by_code(code)
    if case is None:
        return _not_found(request, code)
    if request.method != "POST":
        # A reload after an error, or a bookmark: the tracking page with its form.
        return redirect("public_cases:track", code=case.tracking_code)
    form = RatingForm(request.POST)
    form.is_valid()
    try:
        actions.do_rate(case, form.cleaned_data.get("rating", ""), form.cleaned_data.get("comment"))
    except ValidationError as exc:
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
        return _track_page(request, case, rating_form=form, status=400)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("感谢您的评价！"))
    return redirect("public_cases:track", code=case.tracking_code)


def attachment(request, code, token):
    """A public attachment of the tracked case (the resident's own photos, results)."""
    case = _case_by_code(code)
    if case is None:
        return _not_found(request, code)
    item = get_object_or_404(CaseAttachment, case=case, public=True, token=token)
    return file_response(item, thumb=request.GET.get("size") == "thumb")
