"""The public case API (no login): a resident reports a problem, follows it by the
tracking code and rates the result.

What a resident sees is deliberately small: the status, the timeline's public events
with their public text and the acting unit (never a staff member's name, nor an
internal note), the feedback and the rating. No personal data is ever returned — not
even the reporter's own, since whoever holds a tracking code may read the page.
"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema, Status

from gridgov.areas.api import ErrorOut
from gridgov.cases import actions
from gridgov.cases.api import CaseIn, intake
from gridgov.cases.choices import PUBLIC_EVENTS, Channel
from gridgov.cases.choices import Status as CaseStatus
from gridgov.cases.models import Case, IdempotencyKey
from gridgov.cases.views_public import recent_reports, reports_per_hour
from gridgov.core.middleware import client_ip

router = Router(auth=None)

PUBLIC_OWNER = "public"


class PublicEventOut(Schema):
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    at: datetime
    unit: str = Field(description="办理单位（不含个人姓名）")
    note: str = Field(..., alias="public_note", description="公开说明")

    @staticmethod
    def resolve_unit(obj):
        # actor_role is "<unit> <post>": the unit only (place names have no spaces).
        return obj.actor_role.split(" ", 1)[0] if obj.actor_role else ""


class PublicCaseOut(Schema):
    tracking_code: str
    number: str
    matter_name: str = Field(..., alias="matter.name")
    status: str
    status_label: str = Field(..., alias="get_status_display")
    created_at: datetime
    timeline: list[PublicEventOut]
    feedback: str = Field(description="办理结果反馈")
    fed_back_at: datetime | None
    rating: str
    rating_label: str = Field(..., alias="get_rating_display")
    rated_at: datetime | None
    can_rate: bool = Field(description="现在可以评价")

    @staticmethod
    def resolve_timeline(obj):
        return list(
            obj.events.filter(kind__in=sorted(PUBLIC_EVENTS)).only(
                "kind", "at", "actor_role", "public_note"
            )
        )

    @staticmethod
    def resolve_can_rate(obj):
        return obj.status == CaseStatus.FED_BACK


class PublicCaseIn(CaseIn):
    reporter_name: str = Field("", description="您的姓名（匿名反映时不填）")
    reporter_phone: str = Field("", description="联系电话，用于反馈办理结果")


class RatingIn(Schema):
    rating: str = Field(
        description="satisfied 满意、basic 基本满意、unsatisfied 不满意（可重新办理一次）"
    )
    comment: str = Field("", description="评价意见；不满意时必填")


def _by_code(tracking_code: str) -> Case:
    code = (tracking_code or "").strip().upper()
    return get_object_or_404(Case.objects.select_related("matter"), tracking_code=code)


@router.post(
    "",
    response={
        201: PublicCaseOut,
        200: PublicCaseOut,
        403: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="群众反映问题（无需登录；返回查询码）",
    description="同一 Idempotency-Key 重复提交同样内容返回原事件（200），不会重复登记。",
    operation_id="public_report_case",
)
def report(
    request, payload: PublicCaseIn, idempotency_key: str = Header("", alias="Idempotency-Key")
):
    # The same per-address limit as the public form (a repeat of an accepted key is not
    # counted: it creates nothing).
    replay = (
        bool(idempotency_key)
        and IdempotencyKey.objects.filter(
            owner=PUBLIC_OWNER, key=idempotency_key.strip()[:100]
        ).exists()
    )
    if not replay and recent_reports(client_ip(request)) >= reports_per_hour():
        return Status(429, {"detail": _("提交过于频繁，请一小时后再试，或拨打 12345 热线反映")})
    case, created = actions.submit_case(
        channel=Channel.RESIDENT,
        **intake(payload),
        idempotency_key=idempotency_key,
        idempotency_owner=PUBLIC_OWNER,
    )
    return Status(201 if created else 200, case)


@router.get(
    "/{tracking_code}",
    response={200: PublicCaseOut, 404: ErrorOut},
    summary="凭查询码查询办理进度（公开）",
    operation_id="public_track_case",
)
def track(request, tracking_code: str):
    return _by_code(tracking_code)


@router.post(
    "/{tracking_code}/rating",
    response={200: PublicCaseOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="评价办理结果（满意、基本满意、不满意）",
    operation_id="public_rate_case",
)
def rate(request, tracking_code: str, payload: RatingIn):
    case = _by_code(tracking_code)
    return actions.do_rate(case, payload.rating, payload.comment)
