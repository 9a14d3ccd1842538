"""Web pages of reversals."""

from flask import Blueprint

bp = Blueprint("reversals", __name__, url_prefix="/banks/<slug>")
