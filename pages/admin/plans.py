"""API Provider -> Plans: rate limits, quotas and whether access needs a manual approval; add and edit."""
from __future__ import annotations

from nicegui import ui

import session
from components import dialogs
from components.forms import Feedback
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, intro, toolbar
from db.models import Plan
from domain import i18n
from domain.i18n import N_, _
from workflows import catalog, oauth_clients

QUOTA_PERIODS = {'day': N_('per day'), 'month': N_('per month')}
PERIOD_WORDS = {'day': N_('day'), 'month': N_('month')}  # '1,000 / month'


def quota_periods() -> dict[str, str]:
    return {key: _(label) for key, label in QUOTA_PERIODS.items()}


def fetch(search: str, offset: int, limit: int) -> tuple[list[Plan], int]:
    query = Plan.select()
    if search:
        query = query.where(Plan.name.contains(search))
    return list(query.order_by(Plan.name, Plan.id).offset(offset).limit(limit)), query.count()


def rate_text(plan: Plan) -> str:
    return _('{limit} requests / {period} s', limit=i18n.number(plan.rate_limit), period=i18n.number(plan.rate_period))


def quota_text(plan: Plan) -> str:
    if not plan.quota:
        return _('unlimited')
    return _('{quota} / {period}', quota=i18n.number(plan.quota),
             period=_(PERIOD_WORDS.get(plan.quota_period, plan.quota_period)))


@admin_page('/admin/plans')
def plans_page() -> None:
    with admin_frame(_('Plans')):
        with toolbar(_('Add plan'), lambda: edit_dialog(None, table), 'plans-add'):
            intro(_('Each catalog offers its own plans; a plan that requires approval sends access requests '
                    'to the approval queue.'))

        def approval_cell(plan: Plan) -> None:
            if plan.requires_approval:
                ui.label(_('yes (manual)')).classes('text-deep-orange-10')
            else:
                ui.label(_('no (automatic)')).classes('text-grey-8')

        table = PagedTable([
            Column(_('Plan'), lambda p: ui.label(p.name).classes('font-medium'), '1.2fr'),
            Column(_('Rate limit'), lambda p: ui.label(rate_text(p)), '1fr'),
            Column(_('Quota'), lambda p: ui.label(quota_text(p)), '1fr'),
            Column(_('Requires approval'), approval_cell, '9rem'),
            Column(_('Access gives'), lambda p: ui.label(_('OAuth clients') if p.credential_kind == 'oauth_client'
                                                         else _('API keys')).mark(f'plan-kind-{p.name}'), '8rem'),
            Column('', lambda p: ui.button(_('Edit'), on_click=lambda p=p: edit_dialog(p.id, table))
                   .props('flat dense no-caps').mark(f'plan-edit-{p.name}'), '5rem'),
        ], fetch, empty=_('No plans yet. Add one (for example "Free": 60 requests / 60 s), then offer it in a catalog.'),
            search_label=None, marker='plans')


def edit_dialog(plan_id: int | None, table: PagedTable) -> None:
    plan = table.row_again(Plan, plan_id, N_('This plan')) if plan_id else None
    if plan_id and plan is None:
        return
    with dialogs.dialog() as dialog, ui.card().classes('w-[30rem] max-w-full'):
        ui.label(_('Add a plan') if plan is None else _('Edit {name}', name=plan.name)).classes('text-lg font-semibold')
        name = ui.input(_('Name'), value=plan.name if plan else '').props('outlined').classes('w-full').mark('plan-name')
        with ui.row().classes('w-full no-wrap gap-3 items-start'):
            rate_limit = ui.number(_('Rate limit (requests)'), value=plan.rate_limit if plan else 60, min=1,
                                   precision=0, format='%d').props('outlined').classes('grow').mark('plan-rate-limit')
            rate_period = ui.number(_('per (seconds)'), value=plan.rate_period if plan else 60, min=1,
                                    precision=0, format='%d').props('outlined').classes('grow').mark('plan-rate-period')
        with ui.row().classes('w-full no-wrap gap-3 items-start'):
            quota = ui.number(_('Quota (requests, 0 = unlimited)'), value=plan.quota if plan else 0, min=0,
                              precision=0, format='%d').props('outlined').classes('grow').mark('plan-quota')
            quota_period = ui.select(quota_periods(), value=plan.quota_period if plan else 'month',
                                    label=_('Quota period')) \
                .props('outlined').classes('w-40').mark('plan-quota-period')
        requires_approval = ui.switch(_('Requires approval (manual)'), value=plan.requires_approval if plan else False) \
            .mark('plan-requires-approval')
        lifetime = ui.number(_('Keys expire after (days, 0 = never)'), value=plan.key_lifetime_days if plan else 0, min=0,
                             precision=0, format='%d').props('outlined').classes('w-full').mark('plan-key-lifetime')
        ui.label(_('New keys get this lifetime; keys issued before keep theirs. Owners are emailed 14 and 3 days '
                   'before a key expires, and renew it in one click.')).classes('text-xs text-grey-8')
        kind = _kind_field(plan)
        feedback = Feedback({'name': name, 'rate_limit': rate_limit, 'rate_period': rate_period, 'quota': quota,
                             'quota_period': quota_period, 'key_lifetime_days': lifetime, 'credential_kind': kind},
                            marker='plan-error')

        def save() -> None:
            def act() -> str:
                saved = catalog.save_plan(plan.id if plan else None, name.value, rate_limit.value, rate_period.value,
                                          quota.value, quota_period.value, requires_approval.value,
                                          by=session.current_user(),
                                          key_lifetime_days=0 if lifetime.value is None else lifetime.value,
                                          credential_kind=kind.value)
                table.show_new(saved.id)
                return _('Plan {name} saved.', name=saved.name)

            dialogs.submit(dialog, feedback, act, table.refresh)

        dialogs.actions(dialog, _('Save'), save, 'plan-save')
    dialog.open()


def _kind_field(plan: Plan | None) -> ui.select:
    """Issue 26: whether approved access gets an API key or an OAuth client (the client credentials grant)."""
    field = ui.select({key: _(str(label)) for key, label in oauth_clients.KINDS.items()},
                      value=plan.credential_kind if plan else oauth_clients.API_KEY, label=_('Access gives')).props('outlined').classes('w-full').mark('plan-credential-kind')
    ui.label(_('OAuth clients get short-lived access tokens from /oauth/token, which gateways verify against the '
               'portal\'s public keys. Access approved before keeps what it was given.')).classes('text-xs text-grey-8')
    return field
