"""Timebank: a time-bank credit ledger as a web application."""

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

import api

from . import (
    backups,
    commands,
    config,
    database,
    error_pages,
    health,
    home,
    security_headers,
)
from .accounts import views as accounts
from .approvals import views as approvals
from .banks import views as banks
from .durations import format_minutes
from .exchanges import views as exchanges
from .exports import views as exports
from .extensions import TRANSLATIONS, babel, csrf, limiter, login_manager
from .forms import LARGEST_ID
from .gifts import views as gifts
from .hour_logs import views as hour_logs
from .languages import views as languages
from .organisations import views as organisations
from .people import views as people
from .reports import views as reports
from .reversals import views as reversals
from .spending import views as spending
from .statements import commands as statement_commands
from .statements import views as statements
from .tokens import views as tokens
from .verification import views as verification

PROJECT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """A row's id in a URL: a larger number than a column holds is not found."""

    def __init__(self, map: Any) -> None:
        super().__init__(map, min=1, max=LARGEST_ID)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=PROJECT / "templates",
        static_folder=PROJECT / "static",
    )
    app.config.from_mapping(config.SECURITY_SETTINGS)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.check_settings(app.config)

    app.url_map.converters["id"] = IdConverter
    database.init_app(app)
    commands.init_app(app)
    backups.init_app(app)
    statement_commands.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=languages.select_locale,
        default_translation_directories=TRANSLATIONS,
    )
    limiter.init_app(app)
    error_pages.init_app(app)
    security_headers.init_app(app)
    app.jinja_env.filters["duration"] = format_minutes
    # Pages small enough for a slow phone connection: no blank lines from tags.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    for feature in (
        home,
        health,
        people,
        languages,
        accounts,
        hour_logs,
        gifts,
        exchanges,
        spending,
        approvals,
        reversals,
        organisations,
        banks,
        tokens,
        verification,
        exports,
        reports,
        statements,
    ):
        app.register_blueprint(feature.bp)
    api.init_app(app)
    return app
