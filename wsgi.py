"""The WSGI entry point: the only module a server imports."""

from timebank import create_app

app = create_app()
