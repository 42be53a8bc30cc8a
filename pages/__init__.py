"""Importing this package registers every page (one line a module, so that additions do not collide)."""
# ruff: noqa: F401
from pages import apps
from pages import auth
from pages import cart
from pages import catalog
from pages import product
from pages import search
from pages import dashboard_requests
from pages import home
from pages import organisation
from pages import register
from pages import sessions
from pages import second_factor
from pages import security
from pages.admin import access_requests
from pages.admin import apps as admin_apps
from pages.admin import audit
from pages.admin import email_templates
from pages.admin import organisations
from pages.admin import outbox
from pages.admin import overview
from pages.admin import settings
from pages.admin import appearance
from pages.admin import sign_in
from pages.admin import teams
from pages.admin import invite_codes as admin_invite_codes
from pages.admin import users
from pages.admin import apis
from pages.admin import products
from pages.admin import plans
from pages.admin import catalogs
from pages.admin import publish as admin_publish
from pages import dashboard_apis
from pages.admin import webhooks
from pages import sso_link
from pages import content
from pages.admin import pages as admin_pages
from pages.admin import page_editor
from pages.admin import guides as admin_guides
