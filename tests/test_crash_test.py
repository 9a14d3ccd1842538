"""The crash test, small enough for every run: no acknowledged transfer is lost.

bench/crash_test.py kills gunicorn and cuts its database connections while
clients send transfers, then checks every acknowledged one against the books
and exits non-zero naming each that is missing, doubled or unsound.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import postgres_server_url

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
def test_acknowledged_transfers_survive_kills_and_broken_connections() -> None:
    finished = subprocess.run(
        [
            sys.executable,
            "bench/crash_test.py",
            "--postgres-url",
            postgres_server_url(),
            "--clients",
            "6",
            "--kills",
            "3",
            "--connection-breaks",
            "2",
            "--longest-pause",
            "1",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Survived 3 kills and 2 connection breaks" in finished.stdout
