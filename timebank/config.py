"""Settings read from the environment, with defaults fit for a developer's machine."""

import os
from pathlib import Path

DEV_SECRET_KEY = "dev"


def default_database_url(instance_path: str) -> str:
    """Return the URL of the SQLite file in the instance folder, creating the folder."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'timebank.sqlite3'}"


def from_environment(instance_path: str) -> dict[str, str]:
    """Return the settings: DATABASE_URL and SECRET_KEY, each with its default."""
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or default_database_url(instance_path),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or DEV_SECRET_KEY,
    }
