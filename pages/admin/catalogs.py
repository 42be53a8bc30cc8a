"""API Provider -> Catalogs: visibility (Public, Private, Custom), products and plans; the teams of Custom ones."""
from __future__ import annotations

from collections import defaultdict

import peewee as pw
from nicegui import ui

import session
from components import dialogs, pickers
from components.forms import Feedback
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, intro, toolbar
from db import paging
from db.models import Catalog, CatalogPlan, CatalogProduct, CatalogTeam, Organisation, Plan, Visibility
from domain.errors import DomainError
from domain import i18n
from domain.i18n import N_, _, ngettext
from workflows import catalog as catalogs

VISIBILITY_LOOK = {Visibility.PUBLIC: ('public', 'positive'), Visibility.PRIVATE: ('lock', 'primary'),
                   Visibility.CUSTOM: ('groups', 'deep-purple')}
VISIBILITY_HINTS = {Visibility.PUBLIC: N_('everyone, also visitors'), Visibility.PRIVATE: N_('signed-in users'),
                    Visibility.CUSTOM: N_('chosen teams only')}


def visibility_choices() -> dict[str, str]:
    """The visibility select's options, each with who sees it, in the reader's language."""
    return {key: _('{visibility}: {who}', visibility=_(str(label)), who=_(VISIBILITY_HINTS[key]))
            for key, label in Visibility.LABELS.items()}


def fetch(search: str, offset: int, limit: int) -> tuple[list[Catalog], int]:
    products = CatalogProduct.select(pw.fn.COUNT(CatalogProduct.id)).where(CatalogProduct.catalog == Catalog.id)
    teams = CatalogTeam.select(pw.fn.COUNT(CatalogTeam.id)).where(CatalogTeam.catalog == Catalog.id)
    query = Catalog.select(Catalog, products.alias('product_count'), teams.alias('team_count'))
    if search:
        query = query.where(Catalog.name.contains(search))
    rows = list(query.order_by(Catalog.name).offset(offset).limit(limit))
    plans = defaultdict(list)
    if rows:
        for catalog_id, name in (CatalogPlan.select(CatalogPlan.catalog, Plan.name).join(Plan)
                                 .where(CatalogPlan.catalog.in_([c.id for c in rows])).order_by(Plan.name).tuples()):
            plans[catalog_id].append(name)
    for row in rows:
        row.plan_names = plans[row.id]
    return rows, paging.count(Catalog.select(Catalog.id).where(Catalog.name.contains(search)) if search
                              else Catalog.select(Catalog.id))


def visibility_chip(visibility: str) -> ui.chip:
    icon, colour = VISIBILITY_LOOK.get(visibility, ('help', 'grey'))
    return ui.chip(_(str(Visibility.LABELS.get(visibility, visibility))), icon=icon, color=colour) \
        .props('dense outline square').classes('text-xs').mark(f'visibility-{visibility}')


@admin_page('/admin/catalogs')
def catalogs_page() -> None:
    with admin_frame(_('Catalogs')):
        with toolbar(_('Add catalog'), lambda: edit_dialog(None, table), 'catalogs-add'):
            intro(_('Public catalogs are seen by everyone, Private ones by signed-in users, Custom ones by the '
                    'teams you grant.'))

        def visibility_cell(row: Catalog) -> None:
            visibility_chip(row.visibility)
            if row.visibility == Visibility.CUSTOM:
                ui.label(ngettext('{count} team', '{count} teams', row.team_count)).classes('text-xs text-grey-8')

        def actions(row: Catalog) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                if row.visibility == Visibility.CUSTOM:
                    ui.button(_('Teams'), on_click=lambda c=row: teams_dialog(c, table)) \
                        .props('flat dense no-caps').mark(f'catalog-teams-{row.name}')
                ui.button(_('Edit'), on_click=lambda c=row: edit_dialog(c.id, table)) \
                    .props('flat dense no-caps').mark(f'catalog-edit-{row.name}')
                ui.button(_('Delete'), on_click=lambda c=row: delete_dialog(c, table)) \
                    .props('flat dense no-caps color=negative').mark(f'catalog-delete-{row.name}')

        table = PagedTable([
            Column(_('Catalog'), lambda c: ui.label(c.name).classes('font-medium'), '1.3fr'),
            Column(_('Visibility'), visibility_cell, '8rem'),
            Column(_('Products'), lambda c: ui.label(i18n.number(c.product_count)), '6rem'),
            Column(_('Plans'), lambda c: ui.label(', '.join(c.plan_names) or _('no plans'))
                   .classes('text-sm' if c.plan_names else 'text-sm text-grey-8'), '1.3fr'),
            Column('', actions, '13rem'),
        ], fetch, empty=_('No catalogs yet. Add one, put products in it and offer plans, so developers can request '
                          'access.'), search_label=None, marker='catalogs')


def edit_dialog(catalog_id: int | None, table: PagedTable) -> None:
    row = table.row_again(Catalog, catalog_id, N_('This catalog')) if catalog_id else None
    if catalog_id and row is None:
        return
    plan_options = {p.id: p.name for p in Plan.select(Plan.id, Plan.name).order_by(Plan.name)}
    # ids only, as tuples: a catalog may hold 10,000 products, the picker shows 20 of them
    product_ids = [product_id for (product_id,) in CatalogProduct.select(CatalogProduct.product)
                   .where(CatalogProduct.catalog == catalog_id).tuples()] if row else []
    plan_ids = [link.plan_id for link in CatalogPlan.select(CatalogPlan.plan).where(CatalogPlan.catalog == catalog_id)] \
        if row else []
    with dialogs.dialog() as dialog, ui.card().classes('w-[34rem] max-w-full'):
        ui.label(_('Add a catalog') if row is None else _('Edit {name}', name=row.name)).classes('text-lg font-semibold')
        name = ui.input(_('Name'), value=row.name if row else '').props('outlined').classes('w-full').mark('catalog-name')
        visibility = ui.select(visibility_choices(), value=row.visibility if row else Visibility.PUBLIC,
                               label=_('Visibility')) \
            .props('outlined').classes('w-full').mark('catalog-visibility')
        products = pickers.ManyPicker(_('Products'), pickers.products, pickers.product_names,
                                      product_ids, 'catalog-products')
        plans = ui.select(plan_options, multiple=True, value=plan_ids, label=_('Plans')) \
            .props('outlined use-chips').classes('w-full').mark('catalog-plans')
        if not plan_options:
            ui.label(_('No plans yet: add one under Plans so developers can request access.')) \
                .classes('text-sm text-grey-8')
        feedback = Feedback({'name': name, 'visibility': visibility, 'products': products.select, 'plans': plans},
                            marker='catalog-error')

        def save() -> None:
            feedback.clear()
            try:
                saved = catalogs.save_catalog(row.id if row else None, name.value, visibility.value,
                                              list(products.value or []), list(plans.value or []),
                                              by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            dialog.close()
            ui.notify(_('Catalog {name} saved. Grant teams access with "Teams".', name=saved.name)
                      if saved.visibility == Visibility.CUSTOM else _('Catalog {name} saved.', name=saved.name),
                      type='positive')
            table.show_new(saved.id)
            table.refresh()

        dialogs.actions(dialog, _('Save'), save, 'catalog-save')
    dialog.open()


def granted_team_ids(catalog_id: int) -> list[int]:
    return [link.team_id for link in CatalogTeam.select(CatalogTeam.team).where(CatalogTeam.catalog == catalog_id)]


def teams_dialog(row: Catalog, table: PagedTable) -> None:
    with dialogs.dialog() as dialog, ui.card().classes('w-[34rem] max-w-full'):
        ui.label(_('Teams that see {name}', name=row.name)).classes('text-lg font-semibold')
        ui.label(_('Only the teams chosen here see this Custom catalog and may request access to its products.')) \
            .classes('text-grey-8 text-sm')
        teams = pickers.ManyPicker(_('Organization / Team'), pickers.teams, pickers.team_names,
                                   granted_team_ids(row.id), 'catalog-team-select')
        with ui.row().classes('w-full no-wrap items-center gap-3'):
            organisation = pickers.one_of(_('Organization'), pickers.organisations, {}, 'catalog-grant-org') \
                .props('dense').classes('grow')
            ui.button(_('Grant organization'), icon='domain_add', on_click=lambda: grant_organisation()) \
                .props('outline no-caps').mark('catalog-grant-org-button')
        feedback = Feedback({'teams': teams.select}, marker='catalog-teams-error')
        # the dialog lives in a table row: refreshing the table while it is open would delete it
        dialog.on_value_change(lambda event: None if event.value else table.refresh())

        def act(action, message: str) -> bool:
            feedback.clear()
            found = Catalog.get_or_none(Catalog.id == row.id)
            try:
                if found is None:
                    raise DomainError('This catalog was not found.')
                action(found)
            except DomainError as error:
                feedback.show(error)
                return False
            ui.notify(message, type='positive')
            return True

        def grant_organisation() -> None:
            if organisation.value is None:
                feedback.show(DomainError('Choose an organization first.', 'teams'))
                return
            org = Organisation.get_or_none(Organisation.id == organisation.value)
            if org is not None and act(lambda c: catalogs.grant_organisation(c, org, by=session.current_user()),
                                       _('Every team of {organisation} now sees {catalog}.', organisation=org.name,
                                         catalog=row.name)):
                teams.set_chosen(granted_team_ids(row.id))

        def save() -> None:
            if act(lambda c: catalogs.grant_teams(c, list(teams.value or []), by=session.current_user()),
                   _('Teams of {name} saved.', name=row.name)):
                dialog.close()

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Close'), on_click=dialog.close).props('flat no-caps').mark('catalog-teams-close')
            ui.button(_('Save teams'), on_click=save).props('unelevated no-caps').mark('catalog-teams-save')
    dialog.open()


def delete_dialog(row: Catalog, table: PagedTable) -> None:
    dialogs.confirm_delete(row.name, _('Its products stay; they are no longer offered through this catalog.'),
                           'catalog-delete',
                           lambda: catalogs.delete_catalog(catalogs.find(Catalog, row.id, N_('This catalog')),
                                                           by=session.current_user()), table.refresh)
