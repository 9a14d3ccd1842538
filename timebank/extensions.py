"""The Flask extensions: created unbound here, bound to an app in create_app."""

from pathlib import Path

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "people.sign_in"
login_manager.login_message = "Please sign in to see that page."
# A new browser or address for the same session cookie signs the user out.
login_manager.session_protection = "strong"

csrf = CSRFProtect()

babel = Babel()
# Where babel finds each language's catalogue (cy/LC_MESSAGES/messages.mo).
TRANSLATIONS = str(Path(__file__).resolve().parent / "translations")

# Counted per client address, in the storage RATELIMIT_STORAGE_URI names:
# memory, per process, by default.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)

# Guessing passwords, by sign-in form or by token request, is slowed to this.
PASSWORD_TRIES = "10 per minute"
