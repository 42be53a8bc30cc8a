"""The admin area's start page: what waits for a decision."""
from __future__ import annotations

from nicegui import ui

from components.frame import admin_frame, admin_page
from db.models import Organisation, OutboxStatus, User
from domain import i18n
from domain.i18n import _
from workflows import invite_codes, queues, usage


@admin_page('/admin')
def admin_overview_page() -> None:
    with admin_frame(_('Admin')):
        counts = queues.admin_counts()
        mail = queues.outbox_counts()
        with ui.row().classes('w-full items-center gap-3'):
            ui.button(_('Publish an API'), icon='rocket_launch').props('unelevated no-caps href="/admin/publish"') \
                .mark('overview-publish')
            ui.label(_('From an OpenAPI document to a product developers can request, in one step.')) \
                .classes('text-grey-8')
        with ui.row().classes('w-full gap-4'):
            _tile(_('Registrations to approve'), counts['users'], '/admin/users', 'person_add', 'pending-users')
            _tile(_('Organizations to approve'), counts['organisations'], '/admin/organizations', 'domain_add',
                  'pending-orgs')
            _tile(_('Users'), User.select().count(), '/admin/users', 'people', 'users-total')
            _tile(_('Organizations'), Organisation.select().count(), '/admin/organizations', 'domain', 'orgs-total')
            _tile(_('Emails queued'), mail.get(OutboxStatus.QUEUED, 0) + mail.get(OutboxStatus.SENDING, 0), '/admin/outbox',
                  'schedule_send', 'mail-queued')
            _tile(_('Emails failed'), mail.get(OutboxStatus.FAILED, 0), '/admin/outbox', 'error_outline', 'mail-failed')
        with ui.row().classes('w-full gap-4 items-start'):
            _ranking(_('Top apps, last 30 days'), [(f'{app} ({org})', calls) for app, org, calls in usage.top_apps()],
                     'top-apps')
            _ranking(_('Top products, last 30 days'), usage.top_products(), 'top-products')
            _codes_near_limits()


def _codes_near_limits() -> None:
    """Issue 15: active codes with few places left or a close expiry, before their users run into them."""
    with ui.card().classes('p-5 w-96 gap-1').mark('codes-near-limits'):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(_('Invite codes near their quota or expiry')).classes('font-semibold')
            ui.link(_('All codes'), '/admin/invite-codes').classes('text-sm')
        codes = invite_codes.near_limits()
        if not codes:
            ui.label(_('None: every active code has places and time left.')).classes('text-grey-8 text-sm')
        for code in codes:
            with ui.row().classes('w-full justify-between border-t pt-1 no-wrap').mark(f'near-code-{code.id}'):
                ui.label(f'{code.note or code.code_prefix + "…"} ({code.team.organisation.name} · {code.team.name})')
                ui.label(_('{count} left · until {day}', count=i18n.number(code.remaining),
                            day=i18n.day(invite_codes.expiry_day(code)))) \
                    .classes('text-sm text-grey-8 whitespace-nowrap')


def _ranking(title: str, rows: list[tuple[str, int]], marker: str) -> None:
    with ui.card().classes('p-5 w-96 gap-1').mark(marker):
        ui.label(title).classes('font-semibold')
        if not rows:
            ui.label(_('No API calls yet. Calls through the gateway are counted here.')).classes('text-grey-8 text-sm')
        for name, calls in rows:
            with ui.row().classes('w-full justify-between border-t pt-1'):
                ui.label(name)
                ui.label(i18n.number(calls)).classes('font-mono')


def _tile(label: str, value: int, path: str, icon: str, marker: str) -> None:
    # a link around the card: reachable with Tab and opened with Enter, like any other link
    with ui.link(target=path).classes('no-underline text-inherit rounded').mark(f'tile-{marker}'), \
            ui.card().classes('p-5 w-60 gap-1 cursor-pointer'):
        with ui.row().classes('items-center justify-between w-full'):
            ui.label(label).classes('text-grey-8')
            ui.icon(icon, color='primary')
        ui.label(i18n.number(value)).classes('text-3xl font-semibold').mark(f'tile-{marker}-value')
