"""Importing this package registers every page."""
from pages import auth, home  # noqa: F401
from pages.admin import outbox, overview  # noqa: F401
