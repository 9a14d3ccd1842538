"""The front page."""

from flask import Blueprint

bp = Blueprint("home", __name__)

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Timebank</title></head>
<body>
<h1>Timebank</h1>
<p>Give an hour, earn a time credit. Every hour is worth the same.</p>
<p><a href="/healthz">Service health</a></p>
</body>
</html>
"""


@bp.get("/")
def index() -> str:
    """Show the front page."""
    return PAGE
