"""Making, checking, listing and revoking personal API tokens.

A token's secret is shown once, when it is made; the service keeps only its
SHA-256 digest. The secret holds 256 random bits, so a fast digest is as
safe as a slow password hash would be, and checking it costs nothing.
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import is_whole_number
from timebank.banks.rules import MAX_NAME_LENGTH, check_text
from timebank.errors import BadCredentials, UnknownToken
from timebank.people.models import User
from timebank.people.services import authenticate

from .models import ApiToken

SECRET_PREFIX = "tb_"


def create_token(
    session: Session, *, email: str, password: str, name: str = ""
) -> tuple[ApiToken, str]:
    """Make a token for the user with this email and password; return its secret."""
    user = authenticate(session, email=email, password=password)
    if user is None:
        raise BadCredentials(_("That email address and password do not match."))
    name = (
        check_text(name, what="token's name", required=False, longest=MAX_NAME_LENGTH)
        or "API token"
    )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        digest=_digest(secret),
        created_at=datetime.now(UTC),
    )
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> User | None:
    """Return the user a token's secret stands for, or None if it opens nothing."""
    return session.scalars(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.digest == _digest(secret), ApiToken.revoked_at.is_(None))
    ).first()


def list_tokens(session: Session, *, user: User) -> Sequence[ApiToken]:
    """Return the user's tokens, newest first, the revoked ones too."""
    return session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def revoke_token(session: Session, *, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; revoking it again changes nothing."""
    token = session.get(ApiToken, token_id) if is_whole_number(token_id) else None
    if token is None or token.user_id != actor.id:
        raise UnknownToken(_("You have no token %(id)r.", id=token_id))
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.flush()
    return token


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
