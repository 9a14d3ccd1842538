"""The language switcher in every page's header, and the locale of each request."""

from flask import (
    Blueprint,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from timebank.people.views import safe_next
from timebank.unit_of_work import run_use_case

from .services import (
    ENGLISH,
    LANGUAGES,
    UnknownLanguage,
    check_language,
    choose_language,
)

bp = Blueprint("languages", __name__)

# The session's key for a visitor's choice, kept after signing out.
SESSION_KEY = "language"
# Where the JSON API is served, and its one page for people: the docs.
API_PATH = "/api/"
API_DOCS_ENDPOINT = "api.docs"


def select_locale() -> str:
    """Return the language of this request's pages.

    The JSON API and the command-line commands answer in English always,
    whoever asks and whatever their browser prefers: a program that reads
    their messages needs them to stay the same. A page, the API's docs
    included, is in a signed-in
    user's own choice; else the choice made in this browser; else the best
    of the browser's languages that the pages are in.
    """
    if not has_request_context():
        return ENGLISH
    if request.path.startswith(API_PATH) and request.endpoint != API_DOCS_ENDPOINT:
        return ENGLISH
    if current_user.is_authenticated:
        return str(current_user.language)
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or ENGLISH


@bp.app_context_processor
def languages_of_the_page() -> dict[str, object]:
    """Give every template the page's language and the others it could be in."""
    current = str(get_locale() or ENGLISH)
    others = {code: name for code, name in LANGUAGES.items() if code != current}
    return {"current_language": current, "other_languages": others}


@bp.post("/language")
def choose() -> Response | tuple[str, int]:
    """Show the pages in the language chosen, and remember it."""
    try:
        language = check_language(request.form.get("language"))
    except UnknownLanguage as error:
        return render_template(
            "errors/error.html", title=_("Unknown language"), detail=str(error)
        ), 422
    if current_user.is_authenticated:
        user_id = current_user.id
        run_use_case(lambda db: choose_language(db, user_id=user_id, language=language))
        current_user.language = language
    session[SESSION_KEY] = language
    return redirect(safe_next(request.form.get("next")))
