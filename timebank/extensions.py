"""The Flask extensions: created unbound here, bound to an app in create_app."""

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "people.sign_in"
login_manager.login_message = "Please sign in to see that page."
# A new browser or address for the same session cookie signs the user out.
login_manager.session_protection = "strong"

csrf = CSRFProtect()
