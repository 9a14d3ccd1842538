"""Web pages of gifts."""

from flask import Blueprint

bp = Blueprint("gifts", __name__, url_prefix="/banks/<slug>")
