"""Importing this package registers every page."""
from pages import auth, home, organisation, register  # noqa: F401
from pages.admin import audit, email_templates, organisations, outbox, overview, settings, teams, users  # noqa: F401
