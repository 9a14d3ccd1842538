"""Who is calling: the user a bearer token stands for."""

from flask import request

from timebank.people.models import User
from timebank.tokens.services import user_for_token
from timebank.unit_of_work import run_use_case

from .problems import ApiProblem


def token_user() -> User:
    """Return the user of the request's bearer token, or refuse it with a 401."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise ApiProblem(
            401, "Send a personal token as 'Authorization: Bearer <token>'."
        )
    user = run_use_case(lambda session: user_for_token(session, secret))
    if user is None:
        raise ApiProblem(401, "That token is unknown or has been revoked.")
    return user
