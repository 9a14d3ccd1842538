"""Web pages of banks."""

from flask import Blueprint

bp = Blueprint("banks", __name__, url_prefix="/banks/<slug>")
