"""Admin -> Pages: the portal's own Markdown pages (issue 25, item 2), with their menu place, audience and state;
Add page opens the editor (pages/admin/page_editor.py)."""
from __future__ import annotations

from collections import Counter

import peewee as pw
from nicegui import ui

import session
from components import dialogs
from components.forms import Feedback, go
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, intro, toolbar
from db.models import ContentPage, PageAudience, PageAudienceGrant, PageMenu, PageRevision, PageStatus
from domain import i18n
from domain.i18n import _, ngettext
from workflows import content_pages


def with_texts(query: pw.Select) -> pw.Select:
    """Pages with their draft's title (`row.draft.title`) and the ids of their draft and live revisions."""
    latest = PageRevision.select(pw.fn.MAX(PageRevision.id)).where(PageRevision.page == ContentPage.id)
    live = PageRevision.select(pw.fn.MAX(PageRevision.id)).where((PageRevision.page == ContentPage.id)
                                                                 & PageRevision.is_live)
    return (query.select_extend(PageRevision.title, PageRevision.id, live.alias('live_id'))
            .join(PageRevision, on=(PageRevision.id == latest), attr='draft'))


def fetch(search: str, offset: int, limit: int) -> tuple[list[ContentPage], int]:
    """One query for the page of rows, one for the count, one for the chosen audiences' sizes."""
    query = with_texts(ContentPage.select(ContentPage))
    if search:
        query = query.where(ContentPage.slug.contains(search.lower()) | PageRevision.title.contains(search))
    rows = list(query.order_by(ContentPage.updated_at.desc(), ContentPage.id.desc()).offset(offset).limit(limit))
    grants = Counter(page_id for (page_id,) in PageAudienceGrant.select(PageAudienceGrant.page)
                     .where(PageAudienceGrant.page.in_([row.id for row in rows])).tuples()) if rows else Counter()
    for row in rows:
        row.grant_count = grants[row.id]
    return rows, query.order_by().count()


def status_chip(row: ContentPage) -> None:
    published = row.status == PageStatus.PUBLISHED
    with ui.row().classes('items-center gap-1'):
        ui.chip(_(str(PageStatus.LABELS[row.status])), icon='public' if published else 'edit_note',
                color='positive' if published else 'grey-8').props('dense outline square').classes('text-xs') \
            .mark(f'page-status-{row.slug}')
        if published and row.live_id != row.draft.id:
            ui.label(_('draft changes')).classes('text-xs text-deep-orange-10')
        if row.is_home:
            ui.chip(_('Home page'), icon='home', color='primary').props('dense outline square').classes('text-xs')


def audience_text(row: ContentPage) -> str:
    if row.audience == PageAudience.CHOSEN:
        return ngettext('Chosen: {count} organization or team', 'Chosen: {count} organizations or teams',
                        row.grant_count)
    return _(str(PageAudience.LABELS[row.audience]))


@admin_page('/admin/pages')
def pages_page() -> None:
    with admin_frame(_('Pages')):
        with toolbar(_('Add page'), create_dialog, 'pages-add'):
            intro(_('Markdown pages of your portal: in the header or footer menu, for everyone, signed-in developers or '
                    'chosen organizations. One of them can replace the home page.'))

        def title_cell(row: ContentPage) -> None:
            ui.link(row.draft.title, f'/admin/pages/{row.id}').classes('font-medium').mark(f'page-open-{row.slug}')

        def menu_text(row: ContentPage) -> str:
            return _(str(PageMenu.LABELS[row.menu])) + (f' · {row.position}' if row.menu != PageMenu.NONE else '')

        PagedTable([
            Column(_('Title'), title_cell, '1.5fr'),
            Column(_('Slug'), lambda row: ui.label(f'/pages/{row.slug}').classes('font-mono text-sm'), '1.2fr'),
            Column(_('Menu'), lambda row: ui.label(menu_text(row)).classes('text-sm'), '8rem'),
            Column(_('Audience'), lambda row: ui.label(audience_text(row)).classes('text-sm'), '1fr'),
            Column(_('Status'), status_chip, '10rem'),
            Column(_('Updated'), lambda row: ui.label(i18n.moment(row.updated_at, style='short')).classes('text-sm'),
                   '10rem'),
            Column('', lambda row: ui.button(_('Edit'), on_click=lambda r=row: ui.navigate.to(f'/admin/pages/{r.id}'))
                   .props('flat dense no-caps').mark(f'page-edit-{row.slug}'), '5rem'),
        ], fetch, empty=_('No pages yet. Add one: a getting-started guide, terms of use, a support page.'),
            search_label=_('Search by title or slug'), marker='pages')


def create_dialog() -> None:
    with dialogs.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full'):
        ui.label(_('Add a page')).classes('text-lg font-semibold')
        title = ui.input(_('Title')).props(f'outlined maxlength={content_pages.MAX_TITLE}').classes('w-full') \
            .mark('page-new-title')
        slug = ui.input(_('Slug (optional)')).props('outlined').classes('w-full').mark('page-new-slug')
        slug.props['hint'] = _('The address: /pages/<slug>; derived from the title when empty')
        title.on_value_change(lambda e: slug.props.update(placeholder=content_pages.slugify(e.value or '')))
        feedback = Feedback({'title': title, 'slug': slug}, marker='page-new-error')

        def create() -> None:
            def act() -> str:
                page = content_pages.create(title.value, slug.value, by=session.current_user())
                act.page_id = page.id
                return _('Page {slug} created: write its text, then publish it.', slug=page.slug)

            dialogs.submit(dialog, feedback, act, then=lambda message: go(f'/admin/pages/{act.page_id}', message))

        dialogs.actions(dialog, _('Create'), create, 'page-create')
    dialog.open()
