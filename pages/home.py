"""The landing page and the consumer Dashboard."""
from __future__ import annotations

from nicegui import ui

import session
from components.frame import frame
from db.models import Role
from workflows import organisations


@ui.page('/')
def home_page() -> None:
    me = session.current_user()
    with frame('Welcome', me):
        with ui.card().classes('w-full p-8 gap-3 bg-indigo-1'):
            ui.label('APIs for your next integration').classes('text-3xl font-semibold text-grey-9')
            ui.label('Browse the catalog, request access with a plan that fits, and get credentials '
                     'for your apps in minutes.').classes('text-lg text-grey-8')
            with ui.row().classes('gap-3 pt-2'):
                ui.button('Browse Catalogs', icon='apps').props('unelevated no-caps href="/catalogs"').mark('home-catalogs')
                if me is None:
                    ui.button('Create an Account').props('outline no-caps href="/register"').mark('home-register')
                else:
                    ui.button('Go to the Dashboard').props('outline no-caps href="/dashboard"').mark('home-dashboard')


@ui.page('/dashboard')
@session.login_required
def dashboard_page() -> None:
    me = session.current_user()
    with frame('Dashboard', me):
        ui.label(f'Welcome, {me.first_name}!').classes('text-xl').mark('dashboard-welcome')
        org = me.organisation
        with ui.row().classes('w-full gap-4'):
            with ui.card().classes('p-5 min-w-72 gap-1'):
                ui.label('Organization').classes('text-xs uppercase text-grey-8')
                ui.label(org.name).classes('text-lg').mark('dashboard-org')
                ui.label(Role.LABELS[me.role] if not org.is_default else 'Individual developer') \
                    .classes('text-grey-8').mark('dashboard-role')
            with ui.card().classes('p-5 min-w-72 gap-1'):
                ui.label('Next steps').classes('text-xs uppercase text-grey-8')
                ui.link('Browse the Catalogs to find an API', '/catalogs')
                ui.link('See your apps and credentials in My apps', '/apps')
                if me.is_portal_admin:
                    ui.link('Open the admin area', '/admin').mark('dashboard-admin-link')
        pending = organisations.pending_request_of(me)
        if pending is not None:
            with ui.card().classes('p-5 gap-1 bg-orange-1').mark('dashboard-org-pending'):
                ui.label(f'Your organization {pending.name} is waiting for approval.').classes('font-medium')
                ui.label('You can invite teammates once an administrator approved it.').classes('text-grey-8')
