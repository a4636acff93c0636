"""API authentication: the site's login session, or a bearer token for programs."""

from ninja.security import HttpBearer, django_auth


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        from gridgov.accounts.actions import user_for_token

        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


api_auth = [TokenAuth(), django_auth]
