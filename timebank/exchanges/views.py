"""Web pages of exchanges."""

from flask import Blueprint

bp = Blueprint("exchanges", __name__, url_prefix="/banks/<slug>")
