"""Timebank: a time-bank credit ledger as a web application."""

from typing import Any

from flask import Flask

from . import config, database, health, home


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)

    database.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(health.bp)
    return app
