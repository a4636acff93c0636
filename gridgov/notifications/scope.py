"""Scope rule of notifications: a notification is its recipient's alone.

Pages and the API use ``Notification.objects.for_user(user)`` rather than restrict():
restrict() takes the union of rules over a user's *posts*, so a user without a post in
force would see nothing, yet must still read what was sent to them. The rule keeps
restrict() consistent with for_user() for every user who does hold a post.
"""

from django.db.models import Q

from gridgov.accounts.scope import rule


@rule("notifications.Notification")
def _notification(post, action):
    if action in {"view", "change"}:
        return Q(recipient=post.user_id)
    return None
