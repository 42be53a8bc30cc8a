"""Dashboard -> Approvals: with delegated application management the super admins of an organisation
decide its pending apps and access requests (000, application creation and API access, case 4)."""
from __future__ import annotations

from collections.abc import Callable

import peewee as pw
from nicegui import ui

import session
from components.decisions import ACCESS, APPS, decision_buttons
from components.frame import frame
from db.models import AccessRequest, AccessStatus, App, AppStatus, User
from domain import i18n
from domain.i18n import _
from workflows import access, apps, settings

SHOWN = 50  # the oldest requests first; the rest follow as these are decided


@ui.page('/dashboard/requests')
@session.login_required
def approvals_page() -> None:
    me = session.current_user()
    with frame(_('Approvals'), me):
        if me.is_portal_admin:
            with ui.row().classes('items-center gap-2').mark('approvals-admin'):
                ui.label(_('As a portal administrator you decide in the admin area:'))
                ui.link(_('Apps'), f'/admin/apps?status={AppStatus.PENDING}')
                ui.link(_('Access requests'), f'/admin/access-requests?status={AccessStatus.PENDING}')
            return
        if not settings.get('delegate_app_management'):
            ui.label(_('The portal administrators approve new apps and access requests; '
                       'you get an email with their decision.')).classes('text-grey-8').mark('approvals-not-delegated')
            return

        @ui.refreshable
        def queues() -> None:
            actor = session.current_user()
            pending_apps = apps.pending_apps_for(actor)
            waiting = access.pending_for(actor)
            requests = list(waiting.switch(AccessRequest)
                            .join(User, pw.JOIN.LEFT_OUTER, on=AccessRequest.requested_by).select_extend(User)
                            .limit(SHOWN))
            if not pending_apps and not requests:
                ui.label(_('Nothing waits for your approval.')).classes('text-grey-8').mark('approvals-empty')
                if not session.is_super_admin_of(actor, actor.organisation_id):
                    ui.label(_('The super admins of your organization approve its new apps and access requests.')) \
                        .classes('text-grey-8 text-sm')
                return
            if pending_apps:
                app_list(pending_apps, queues.refresh)
            if requests:
                request_list(requests, waiting.count() if len(requests) == SHOWN else len(requests), queues.refresh)

        queues()


def app_list(pending: list[App], done: Callable[[], None]) -> None:
    owners = {user.id: user for user in User.select().where(User.id.in_({app.owner_id for app in pending}))}
    with ui.card().classes('w-full p-0 gap-0').mark('approvals-apps'):
        ui.label(_('Apps waiting for approval')).classes('text-lg font-semibold px-4 py-3')
        for app in pending:
            owner = owners.get(app.owner_id)
            with ui.row().classes('w-full items-center justify-between px-4 py-2 border-t no-wrap') \
                    .mark(f'approvals-app-{app.id}'):
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(app.name).classes('font-medium')
                    if app.description:
                        ui.label(app.description).classes('text-sm text-grey-8')
                    ui.label(_('by {name} <{email}> · {day}', name=owner.full_name, email=owner.email,
                               day=i18n.day(app.created_at)) if owner
                             else i18n.day(app.created_at)).classes('text-xs text-grey-8')
                with ui.row().classes('gap-1 no-wrap'):
                    decision_buttons(APPS, app.id, approved=_('{name} approved.', name=app.name),
                                     rejected=_('{name} rejected.', name=app.name),
                                     question=_('Reject the app {name}?', name=app.name), marker='app-reject',
                                     buttons=(f'app-approve-{app.id}', f'app-reject-{app.id}'), done=done)


def request_list(requests: list[AccessRequest], total: int, done: Callable[[], None]) -> None:
    names = access.product_names_by_request(request.id for request in requests)
    with ui.card().classes('w-full p-0 gap-0').mark('approvals-access'):
        ui.label(_('Access requests waiting for approval')).classes('text-lg font-semibold px-4 py-3')
        for request in requests:
            requester = request.requested_by if request.requested_by_id else None
            with ui.row().classes('w-full items-center justify-between px-4 py-2 border-t no-wrap') \
                    .mark(f'approvals-access-{request.id}'):
                with ui.column().classes('gap-0 min-w-0'):
                    with ui.row().classes('items-center gap-2'):
                        ui.label(f'{request.app.name}: {", ".join(names.get(request.id, []))}') \
                            .classes('font-medium')
                        if request.app.status == AppStatus.PENDING:
                            ui.label(_('pending app')).classes('text-xs text-deep-orange-10') \
                                .tooltip(_('Approve the app first.'))
                    ui.label(_('{catalog} · plan {plan}', catalog=request.catalog.name, plan=request.plan.name)) \
                        .classes('text-sm text-grey-8')
                    ui.label(_('by {name} <{email}> · {day}', name=requester.full_name, email=requester.email,
                               day=i18n.day(request.created_at)) if requester else i18n.day(request.created_at)) \
                        .classes('text-xs text-grey-8')
                with ui.row().classes('gap-1 no-wrap'):
                    decision_buttons(ACCESS, request.id,
                                     approved=_('Access for {name} approved.', name=request.app.name),
                                     rejected=_('Access for {name} rejected.', name=request.app.name),
                                     question=_('Reject the access request of {name}?', name=request.app.name),
                                     marker='access-reject',
                                     buttons=(f'access-approve-{request.id}', f'access-reject-{request.id}'), done=done)
        if total > len(requests):
            ui.label(_('The oldest {shown} of {total} are shown; the rest follow as you decide these.',
                       shown=i18n.number(len(requests)), total=i18n.number(total))) \
                .classes('text-sm text-grey-8 px-4 py-2 border-t')
