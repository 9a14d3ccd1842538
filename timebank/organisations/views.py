"""Web pages of organisations."""

from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/banks/<slug>")
