"""The security headers every answer carries: pages, the API, errors, static files.

The pages have no scripts, inline styles or frames, and load only the one
stylesheet, so the policy allows nothing else: injected markup can run no
script, and no other site can frame a page to trick a click out of someone.
"""

from flask import Flask
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # frame-ancestors, for browsers that predate it.
    "X-Frame-Options": "DENY",
    # Addresses name accounts and members: other sites are told nothing.
    "Referrer-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    """Add the security headers to every response of the app."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set each security header the response does not set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
