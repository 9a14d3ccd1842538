"""Settings read from the environment, with defaults fit for a developer's machine.

``TIMEBANK_ENV=production`` says that the app serves real people. Then the
defaults that suit a developer are refused: the app does not start unless
SECRET_KEY names a secret of its own, since anyone who knows the secret can
forge a session cookie and sign in as anyone.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev"
DEVELOPMENT = "development"
PRODUCTION = "production"
# As many characters as secrets.token_urlsafe(32) gives: 256 random bits.
SHORTEST_SECRET_KEY = 32


class InsecureSettings(RuntimeError):
    """Production refuses the settings that are safe only on a developer's machine."""


def default_database_url(instance_path: str) -> str:
    """Return the URL of the SQLite file in the instance folder, creating the folder."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'timebank.sqlite3'}"


# Cookies only over HTTPS (browsers count http://127.0.0.1 as secure), never
# readable by scripts, and not sent with another site's form posts; rate
# limits on, in every app (the limiter would otherwise keep the last app's).
SECURITY_SETTINGS = {
    "RATELIMIT_ENABLED": True,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # A form's CSRF token lasts as long as the session: a volunteer may take
    # their time over a form.
    "WTF_CSRF_TIME_LIMIT": None,
}


def from_environment(instance_path: str) -> dict[str, str]:
    """Return the settings from the environment, each with its default."""
    return {
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "memory://",
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or default_database_url(instance_path),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or DEV_SECRET_KEY,
        "TIMEBANK_ENV": os.environ.get("TIMEBANK_ENV") or DEVELOPMENT,
        # Bulk statements run on RQ when a Redis is named, else in-process.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "STATEMENTS_FOLDER": os.environ.get("TIMEBANK_STATEMENTS_FOLDER")
        or str(Path(instance_path) / "statements"),
    }


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse an unknown TIMEBANK_ENV, and in production a missing or weak secret."""
    environment = settings["TIMEBANK_ENV"]
    if environment not in (DEVELOPMENT, PRODUCTION):
        raise InsecureSettings(
            f"TIMEBANK_ENV is {environment!r}; set it to {PRODUCTION!r} on a server "
            f"that serves people, or to {DEVELOPMENT!r} (the default)."
        )
    if environment != PRODUCTION:
        return
    secret = settings.get("SECRET_KEY") or DEV_SECRET_KEY
    if secret == DEV_SECRET_KEY or len(secret) < SHORTEST_SECRET_KEY:
        raise InsecureSettings(
            "In production the SECRET_KEY environment variable must hold a secret "
            f"of at least {SHORTEST_SECRET_KEY} characters, not the development "
            "default; make one with: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'"
        )
