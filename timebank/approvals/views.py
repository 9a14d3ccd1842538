"""Web pages of approvals."""

from flask import Blueprint

bp = Blueprint("approvals", __name__, url_prefix="/banks/<slug>")
