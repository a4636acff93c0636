"""The typed timeline of a case: one function writes every event (Saleor's order events)."""

from gridgov.cases.models import Case, CaseAttachment, CaseEvent
from gridgov.core import clock


def role_label(post) -> str:
    """ "犀牛脚镇 网格化服务管理机构工作人员", shown on the timeline."""
    if post is None:
        return ""
    place = post.grid or post.department or post.area or post.zone
    name = getattr(place, "name", "") or ""
    return f"{name} {post.get_role_display()}".strip()


def record(
    case: Case,
    kind: str,
    *,
    actor=None,
    post=None,
    from_status: str = "",
    note: str = "",
    public_note: str = "",
    data: dict | None = None,
    attachments=(),
    public_attachments: bool = False,
    actor_name: str | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=clock.now(),
        actor=actor,
        actor_name=actor_name
        if actor_name is not None
        else (actor.get_full_name() or actor.username if actor else ""),
        actor_role=role_label(post),
        from_status=from_status,
        to_status=case.status,
        note=note,
        public_note=public_note,
        data=data or {},
    )
    for upload, extension, content_type in attachments:
        upload.name = f"{kind}-{event.pk}.{extension}"
        CaseAttachment.objects.create(
            case=case,
            event=event,
            file=upload,
            content_type=content_type,
            size=upload.size,
            public=public_attachments,
            uploaded_by=actor,
        )
    return event
