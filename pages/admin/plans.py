"""API Provider -> Plans: rate limits, quotas and whether access needs a manual approval; add and edit."""
from __future__ import annotations

from nicegui import ui

import session
from components import dialogs
from components.forms import Feedback
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, intro, toolbar
from db.models import Plan
from workflows import catalog

QUOTA_PERIODS = {'day': 'per day', 'month': 'per month'}


def fetch(search: str, offset: int, limit: int) -> tuple[list[Plan], int]:
    query = Plan.select()
    if search:
        query = query.where(Plan.name.contains(search))
    return list(query.order_by(Plan.name, Plan.id).offset(offset).limit(limit)), query.count()


def rate_text(plan: Plan) -> str:
    return f'{plan.rate_limit:,} requests / {plan.rate_period:,} s'


def quota_text(plan: Plan) -> str:
    return f'{plan.quota:,} / {plan.quota_period}' if plan.quota else 'unlimited'


@admin_page('/admin/plans')
def plans_page() -> None:
    with admin_frame('Plans'):
        with toolbar('Add plan', lambda: edit_dialog(None, table), 'plans-add'):
            intro('Each catalog offers its own plans; a plan that requires approval sends access requests '
                  'to the approval queue.')

        def approval_cell(plan: Plan) -> None:
            if plan.requires_approval:
                ui.label('yes (manual)').classes('text-deep-orange-10')
            else:
                ui.label('no (automatic)').classes('text-grey-8')

        table = PagedTable([
            Column('Plan', lambda p: ui.label(p.name).classes('font-medium'), '1.2fr'),
            Column('Rate limit', lambda p: ui.label(rate_text(p)), '1fr'),
            Column('Quota', lambda p: ui.label(quota_text(p)), '1fr'),
            Column('Requires approval', approval_cell, '9rem'),
            Column('', lambda p: ui.button('Edit', on_click=lambda p=p: edit_dialog(p.id, table))
                   .props('flat dense no-caps').mark(f'plan-edit-{p.name}'), '5rem'),
        ], fetch, empty='No plans yet. Add one (for example "Free": 60 requests / 60 s), then offer it in a catalog.',
            search_label=None, marker='plans')


def edit_dialog(plan_id: int | None, table: PagedTable) -> None:
    plan = table.row_again(Plan, plan_id, 'This plan') if plan_id else None
    if plan_id and plan is None:
        return
    with dialogs.dialog() as dialog, ui.card().classes('w-[30rem] max-w-full'):
        ui.label('Add a plan' if plan is None else f'Edit {plan.name}').classes('text-lg font-semibold')
        name = ui.input('Name', value=plan.name if plan else '').props('outlined').classes('w-full').mark('plan-name')
        with ui.row().classes('w-full no-wrap gap-3 items-start'):
            rate_limit = ui.number('Rate limit (requests)', value=plan.rate_limit if plan else 60, min=1,
                                   precision=0, format='%d').props('outlined').classes('grow').mark('plan-rate-limit')
            rate_period = ui.number('per (seconds)', value=plan.rate_period if plan else 60, min=1,
                                    precision=0, format='%d').props('outlined').classes('grow').mark('plan-rate-period')
        with ui.row().classes('w-full no-wrap gap-3 items-start'):
            quota = ui.number('Quota (requests, 0 = unlimited)', value=plan.quota if plan else 0, min=0,
                              precision=0, format='%d').props('outlined').classes('grow').mark('plan-quota')
            quota_period = ui.select(QUOTA_PERIODS, value=plan.quota_period if plan else 'month', label='Quota period') \
                .props('outlined').classes('w-40').mark('plan-quota-period')
        requires_approval = ui.switch('Requires approval (manual)', value=plan.requires_approval if plan else False) \
            .mark('plan-requires-approval')
        lifetime = ui.number('Keys expire after (days, 0 = never)', value=plan.key_lifetime_days if plan else 0, min=0,
                             precision=0, format='%d').props('outlined').classes('w-full').mark('plan-key-lifetime')
        ui.label('New keys get this lifetime; keys issued before keep theirs. Owners are emailed 14 and 3 days '
                 'before a key expires, and renew it in one click.').classes('text-xs text-grey-8')
        feedback = Feedback({'name': name, 'rate_limit': rate_limit, 'rate_period': rate_period, 'quota': quota,
                             'quota_period': quota_period, 'key_lifetime_days': lifetime}, marker='plan-error')

        def save() -> None:
            def act() -> str:
                saved = catalog.save_plan(plan.id if plan else None, name.value, rate_limit.value, rate_period.value,
                                          quota.value, quota_period.value, requires_approval.value,
                                          by=session.current_user(),
                                          key_lifetime_days=0 if lifetime.value is None else lifetime.value)
                table.show_new(saved.id)
                return f'Plan {saved.name} saved.'

            dialogs.submit(dialog, feedback, act, table.refresh)

        dialogs.actions(dialog, 'Save', save, 'plan-save')
    dialog.open()
