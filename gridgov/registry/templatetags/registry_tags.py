from django import template

from gridgov.accounts.scope import current_posts, scope_filter

register = template.Library()


@register.simple_tag(takes_context=True)
def registry_nav(context) -> dict:
    """Which registry pages the signed-in user may use (for the navigation bar)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"view": False, "collect": False}
    from gridgov.registry.models import Person, Submission

    if not current_posts(user):
        return {"view": False, "collect": False}
    return {
        "view": scope_filter(user, Person, "view") is not None,
        "collect": scope_filter(user, Submission, "add") is not None,
    }


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.simple_tag(takes_context=True)
def registry_tabs(context) -> dict:
    """Which optional registry tabs the user may use: the same checks as the import and
    export pages themselves (cached on the request)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"import": False, "export": False}
    cached = getattr(request, "_registry_tabs", None)
    if cached is not None:
        return cached
    from gridgov.registry import actions_import
    from gridgov.registry.models_import import ExportRequest

    tabs = {
        "import": bool(actions_import.import_areas(user)),
        "export": actions_import.export_place(user) is not None
        or ExportRequest.objects.restrict(user, "view").exists(),
    }
    request._registry_tabs = tabs
    return tabs


@register.filter
def is_change(submission) -> bool:
    """变更 (of an existing record) rather than 采集 (a new one), as submitted."""
    from gridgov.registry.present import is_change as _is_change

    return _is_change(submission)
