"""Request type for views behind login_required: request.user is a real User there, never AnonymousUser."""

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    user: User
