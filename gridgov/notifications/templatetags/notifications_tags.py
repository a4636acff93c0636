"""The notification bell of the navigation bar and small helpers of the list."""

from django import template

from gridgov.notifications.choices import NotificationKind
from gridgov.notifications.models import Notification

register = template.Library()

# Counts above this show as "99+": the badge stays small, and the list gives the rest.
BELL_CAP = 99

_KIND_CLASS = {
    NotificationKind.NEW_WORK: "text-bg-primary",
    NotificationKind.URGE: "text-bg-warning",
    NotificationKind.DUE_SOON: "text-bg-warning",
    NotificationKind.OVERDUE: "text-bg-danger",
    NotificationKind.SUPERVISION: "text-bg-danger",
    NotificationKind.RESULT: "text-bg-success",
    NotificationKind.SYSTEM: "text-bg-secondary",
}


def unread_count(request) -> int:
    """The user's unread notifications: one COUNT on the inbox index, once per request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_unread_notifications", None)
    if cached is None:
        cached = Notification.objects.for_user(user).unread().count()
        request._unread_notifications = cached
    return cached


def bell_text(count: int) -> str:
    return f"{BELL_CAP}+" if count > BELL_CAP else str(count)


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    request = context.get("request")
    count = unread_count(request) if request is not None else 0
    return {"count": count, "shown": bell_text(count)}


@register.filter
def kind_class(kind) -> str:
    return _KIND_CLASS.get(kind, "text-bg-secondary")
