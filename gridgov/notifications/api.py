"""Notification API: the signed-in user's own notifications only.

Every route starts from ``Notification.objects.for_user(request.user)``: another user's
notification answers 404 exactly like a missing one.
"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.notifications import actions
from gridgov.notifications.models import Notification

router = Router()


class ErrorOut(Schema):
    detail: str
    code: str = ""


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    title: str
    body: str
    link: str
    target_type: str
    target_id: str
    created_at: datetime
    read_at: datetime | None
    unread: bool = Field(..., alias="is_unread")


class CountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


@router.get(
    "",
    response=list[NotificationOut],
    summary="我的通知（新者在前）",
    operation_id="list_notifications",
)
@paginate(LimitOffsetPagination)
def list_notifications(request, unread: bool = False):
    qs = Notification.objects.for_user(request.user)
    return qs.unread() if unread else qs


@router.get(
    "/count",
    response=CountOut,
    summary="我的未读通知数",
    operation_id="count_notifications",
)
def count_notifications(request):
    return {"unread": Notification.objects.for_user(request.user).unread().count()}


@router.post(
    "/read-all",
    response=MarkedOut,
    summary="全部标为已读",
    operation_id="read_all_notifications",
)
def read_all(request):
    return {"marked": actions.do_mark_all_read(actor=request.user)}


@router.post(
    "/{int:notification_id}/read",
    response={200: NotificationOut, 404: ErrorOut},
    summary="标为已读",
    operation_id="read_notification",
)
def read(request, notification_id: int):
    notification = get_object_or_404(
        Notification.objects.for_user(request.user), pk=notification_id
    )
    return actions.do_mark_read(notification, actor=request.user)
