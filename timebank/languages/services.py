"""Choosing the language of the pages: English or Welsh (Cymraeg)."""

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from timebank.errors import TimebankError
from timebank.people.models import User

ENGLISH = "en"
# Each language by its code, named in itself, so that anyone can find their own.
LANGUAGES = {ENGLISH: "English", "cy": "Cymraeg"}


class UnknownLanguage(TimebankError):
    """The pages are shown only in a language they are translated into."""


def check_language(code: object) -> str:
    """Return code if the pages are translated into it; refuse it otherwise."""
    if code not in LANGUAGES:
        raise UnknownLanguage(
            _("The pages are shown in English (en) or Cymraeg (cy) only.")
        )
    return str(code)


def choose_language(session: Session, *, user_id: int, language: str) -> User:
    """Remember the language a user reads the pages in, for every later visit."""
    user = session.get_one(User, user_id)
    user.language = check_language(language)
    return user
