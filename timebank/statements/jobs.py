"""Running a print run in the background: on RQ when Redis is named, else in-process.

With REDIS_URL set, the job goes on the "statements" queue of that Redis,
for a worker started with ``rq worker --url $REDIS_URL statements`` beside
the app. Without it (the embedded default), a thread of the web process
prints it. Either way the job opens its own engine on DATABASE_URL, writes
into STATEMENTS_FOLDER, and draws in the language it was given (the page's
that asked for it); the run's row says how far it has gone.
"""

import threading
from pathlib import Path

from flask import Flask, current_app
from flask_babel import force_locale
from redis import Redis
from rq import Queue

from ledger.database import create_engine
from timebank.extensions import TRANSLATIONS, babel

from .models import PrintRun
from .services import print_run

QUEUE = "statements"
# A run of thousands of statements takes minutes; RQ's default is three.
JOB_TIMEOUT_SECONDS = 60 * 60


def printed_path(folder: str | Path, run: PrintRun) -> Path:
    """Return where a run's file is written."""
    return Path(folder) / f"print-run-{run.id}.{run.file_format}"


def start_print_job(run_id: int, *, language: str) -> None:
    """Print a run in the background, in language, as the app's settings say."""
    arguments = (
        run_id,
        current_app.config["DATABASE_URL"],
        str(current_app.config["STATEMENTS_FOLDER"]),
        language,
    )
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        queue = Queue(QUEUE, connection=Redis.from_url(redis_url))
        queue.enqueue(print_job, *arguments, job_timeout=JOB_TIMEOUT_SECONDS)
        return
    threading.Thread(target=print_job, args=arguments, daemon=True).start()


def print_job(run_id: int, database_url: str, folder: str, language: str) -> None:
    """Print one run in language: the job that RQ's worker or a thread runs."""
    engine = create_engine(database_url)
    try:
        with _translating_app().app_context(), force_locale(language):
            print_run(
                engine,
                run_id=run_id,
                path_for=lambda run: printed_path(folder, run),
            )
    finally:
        engine.dispose()


def _translating_app() -> Flask:
    """Return an app that knows only the translations.

    Flask-Babel translates inside an app context, and a job has none: RQ's
    worker is another process, and a thread does not share the web app's.
    Building the whole app here would also reset its rate limiter's counts.
    """
    app = Flask(__name__)
    babel.init_app(app, default_translation_directories=TRANSLATIONS)
    return app
