"""Settings read from the environment, with defaults fit for a developer's machine."""

import os
from pathlib import Path

DEV_SECRET_KEY = "dev"


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
    }
