"""Template helpers of the account pages: the navigation a user may use, masking."""

from django import template

from gridgov.core.masking import mask_id_number, mask_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_nav(context) -> dict:
    """Which of the staffing, account, post, audit and working-day pages the user may open
    (from the posts already loaded for the request: no query of its own after the first)."""
    from gridgov.accounts.views_admin import may_see_accounts, may_see_posts
    from gridgov.core.actions_workdays import may_manage as may_set_workdays
    from gridgov.core.views_audit import may_search
    from gridgov.orgs.staffing import may_view

    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {}
    return {
        "staffing": may_view(user),
        "users": may_see_accounts(user),
        "posts": may_see_posts(user),
        "audit": may_search(user),
        "workdays": may_set_workdays(user),
    }


@register.filter
def masked_phone(value) -> str:
    """A phone number as ``138****5678`` (never the plaintext)."""
    return mask_phone(value) if value else ""


@register.filter
def masked_id_number(value) -> str:
    return mask_id_number(value) if value else ""
