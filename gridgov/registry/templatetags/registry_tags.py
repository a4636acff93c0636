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
