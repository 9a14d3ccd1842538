"""Web pages of spending."""

from flask import Blueprint

bp = Blueprint("spending", __name__, url_prefix="/banks/<slug>")
