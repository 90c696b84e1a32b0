from django.http import HttpRequest

from accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """The request a view behind login_required / agent_required receives: `user` is a signed-in
    User. Only an annotation for type checkers; Django passes a plain HttpRequest."""

    user: User  # type: ignore[assignment]
