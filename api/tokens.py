"""Personal API tokens: made with an email and password, listed and revoked."""

from typing import Any

from marshmallow import fields, validate

from timebank.extensions import PASSWORD_TRIES
from timebank.people.models import User
from timebank.tokens.models import ApiToken
from timebank.tokens.services import create_token, list_tokens, revoke_token
from timebank.unit_of_work import run_use_case

from .operations import ApiSchema, operation


class TokenIn(ApiSchema):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=1000))
    name = fields.String(load_default="", validate=validate.Length(max=200))


class TokenOut(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The token's first characters."})
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class NewTokenOut(TokenOut):
    token = fields.String(
        metadata={"description": "The secret: shown once, never again."}
    )


class TokenList(ApiSchema):
    tokens = fields.List(fields.Nested(TokenOut))


@operation(
    "POST",
    "/tokens",
    status=201,
    body=TokenIn(),
    response=NewTokenOut(),
    public=True,
    rate_limit=PASSWORD_TRIES,
)
def make_token(body: dict[str, Any]) -> dict[str, Any]:
    """Make a personal token with your email and password.

    Send it as ``Authorization: Bearer <token>``. Its secret is shown in
    this answer only.
    """
    token, secret = run_use_case(lambda session: create_token(session, **body))
    return {**_fields(token), "token": secret}


@operation("GET", "/tokens", response=TokenList())
def tokens(user: User) -> dict[str, Any]:
    """List your personal tokens, the revoked ones too."""
    found = run_use_case(lambda session: list_tokens(session, user=user))
    return {"tokens": [_fields(token) for token in found]}


@operation("DELETE", "/tokens/<id:token_id>")
def revoke(user: User, token_id: int) -> None:
    """Revoke one of your tokens: it opens nothing from now on."""
    run_use_case(lambda session: revoke_token(session, actor=user, token_id=token_id))


def _fields(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "revoked_at": token.revoked_at,
    }
