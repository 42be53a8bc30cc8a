"""Admin -> Pages -> a page: its settings, its Markdown, a preview exactly as readers will get it, Save draft,
Publish, Unpublish, Use as home page, Delete; and its history, where an older text can be restored as the draft."""
from __future__ import annotations

import peewee as pw
from nicegui import ui

import session
from components import dialogs, pickers, translations
from components.forms import Feedback, bounded, go, reload_with
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable
from db.models import (ContentPage, Organisation, OrgStatus, PageAudience, PageMenu, PageRevision, PageStatus, User)
from db.search import matches
from domain.errors import DomainError
from domain import i18n
from domain.i18n import N_, _
from pages import content
from workflows import content_pages

MENU_OPTIONS = {PageMenu.HEADER: N_('Header menu'), PageMenu.FOOTER: N_('Footer menu'),
                PageMenu.NONE: N_('No menu (a link only)')}
AUDIENCE_OPTIONS = {PageAudience.EVERYONE: N_('Everyone, also visitors'),
                    PageAudience.SIGNED_IN: N_('Signed-in developers'),
                    PageAudience.CHOSEN: N_('Chosen organizations and teams')}


def organisations(text: str, limit: int) -> dict[int, str]:
    """Organisations for the audience picker (the default one, where individual developers live, too)."""
    query = Organisation.select(Organisation.id, Organisation.name).where(Organisation.status == OrgStatus.ACTIVE)
    if text:
        query = query.where(matches(Organisation, text))
    return dict(query.order_by(Organisation.is_default.desc(), Organisation.name, Organisation.id).limit(limit).tuples())


def organisation_names(ids: list[int]) -> dict[int, str]:
    return dict(Organisation.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
                .order_by(Organisation.name, Organisation.id).tuples())


def _page_id(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 16 else 0


@admin_page('/admin/pages/{page_id}')
def page_editor(page_id: str) -> None:
    page = ContentPage.get_or_none(ContentPage.id == _page_id(page_id))
    draft = content_pages.latest_revision(page.id) if page is not None else None
    with admin_frame(_('Edit {name}', name=draft.title) if draft else _('Page not found')):
        if page is None or draft is None:
            ui.status_code(404)
            ui.label(_('This page was not found.')).mark('page-editor-not-found')
            ui.link(_('Back to Pages'), '/admin/pages')
            return
        _editor(page, draft)
        _history(page, draft)


def _state_line(page: ContentPage, draft: PageRevision) -> None:
    live = content_pages.live_revision(page.id)
    with ui.row().classes('w-full items-center gap-3').mark('page-state'):
        if live is None:
            ui.chip(_('Draft'), icon='edit_note', color='grey-8').props('outline square').mark('page-state-draft')
            ui.label(_('Readers get "not found" until you publish it.')).classes('text-grey-8')
        else:
            ui.chip(_('Published'), icon='public', color='positive').props('outline square').mark('page-state-published')
            ui.label(_('The draft has changes that readers do not see yet: publish them.') if live.id != draft.id
                     else _('Readers see the text below.')).classes('text-grey-8').mark('page-state-text')
        if page.is_home:
            ui.chip(_('Home page'), icon='home', color='primary').props('outline square').mark('page-state-home')
        ui.link(f'/pages/{page.slug}', f'/pages/{page.slug}').classes('font-mono text-sm').mark('page-address')


def _editor(page: ContentPage, draft: PageRevision) -> None:
    state = {'based_on': draft.id}
    org_ids, team_ids = content_pages.grants_of(page.id)
    _state_line(page, draft)
    with ui.card().classes('w-full p-5 gap-3'):
        with ui.row().classes('w-full no-wrap gap-3'):
            title = ui.input(_('Title'), value=draft.title).props(f'outlined maxlength={content_pages.MAX_TITLE}') \
                .classes('grow').mark('page-title-input')
            slug = ui.input(_('Slug'), value=page.slug).props('outlined').classes('w-72').mark('page-slug')
            slug.props['hint'] = _('The address: /pages/<slug>')
        with ui.row().classes('w-full no-wrap gap-3'):
            menu = ui.select({key: _(label) for key, label in MENU_OPTIONS.items()}, value=page.menu,
                             label=_('Menu')).props('outlined').classes('w-64') \
                .mark('page-menu')
            position = ui.number(_('Position in the menu'), value=page.position, precision=0).props('outlined') \
                .classes('w-56').mark('page-position')
            position.props['hint'] = _('Lower numbers come first')
            audience = ui.select({key: _(label) for key, label in AUDIENCE_OPTIONS.items()}, value=page.audience,
                                 label=_('Who may read it')) \
                .props('outlined').classes('grow').mark('page-audience')
        chosen = ui.column().classes('w-full gap-2').mark('page-chosen')
        with chosen:
            ui.label(_('An organization means all its teams, also those added later.')).classes('text-sm text-grey-8')
            orgs = pickers.ManyPicker(_('Organizations'), organisations, organisation_names, org_ids,
                                      'page-organisations')
            teams = pickers.ManyPicker(_('Teams (Organization / Team)'), pickers.teams, pickers.team_names, team_ids,
                                       'page-teams')
        chosen.bind_visibility_from(audience, 'value', backward=lambda value: value == PageAudience.CHOSEN)
        text = bounded(ui.textarea(_('Text (Markdown)'), value=draft.body)
                       .props('outlined rows=18 input-class=font-mono').classes('w-full').mark('page-body'),
                       content_pages.MAX_BODY)
        feedback = Feedback({'title': title, 'slug': slug, 'menu': menu, 'position': position, 'audience': audience,
                             'organisations': orgs.select, 'teams': teams.select, 'body': text},
                            marker='page-error')

    def form() -> content_pages.PageForm:
        return content_pages.PageForm(title=title.value, slug=slug.value, body=text.value or '', menu=menu.value,
                                      position=position.value, audience=audience.value,
                                      organisation_ids=orgs.value, team_ids=teams.value)

    def attempt(act, message: str) -> None:
        feedback.clear()
        try:
            act()
        except DomainError as error:
            feedback.show(error)  # nothing is saved and everything typed stays
            return
        reload_with(message)

    def save(publish: bool) -> None:
        attempt(lambda: content_pages.save(page.id, form(), session.current_user(), based_on=state['based_on'],
                                           publish=publish),
                _('Published: readers see this text now.') if publish else
                _('Draft saved. Readers see it once you publish it.'))

    def preview() -> None:
        with dialogs.dialog() as box, ui.card().classes('gap-3') \
                .style('width: 60rem; max-width: 90vw').mark('page-preview'):
            ui.label(_('Preview: the page as readers will get it')).classes('text-xs uppercase text-grey-8')
            ui.label(' '.join((title.value or '').split())).classes('text-2xl font-semibold text-grey-9')
            content.body(text.value or '')
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Close'), on_click=box.close).props('flat no-caps').mark('page-preview-close')
        box.open()

    with ui.row().classes('w-full items-center gap-2'):
        ui.button(_('Save draft'), icon='save', on_click=lambda: save(False)).props('outline no-caps').mark('page-save')
        ui.button(_('Preview'), icon='visibility', on_click=preview).props('outline no-caps').mark('page-preview-button')
        ui.button(_('Publish'), icon='publish', on_click=lambda: save(True)).props('unelevated no-caps') \
            .mark('page-publish')
        if page.status == PageStatus.PUBLISHED:
            ui.button(_('Unpublish'), icon='unpublished',
                      on_click=lambda: attempt(lambda: content_pages.unpublish(page.id, session.current_user()),
                                               _('Unpublished: readers get "not found"; the text stays here.'))) \
                .props('flat no-caps').mark('page-unpublish')
        if page.is_home:
            ui.button(_('Use the default home page'), icon='home',
                      on_click=lambda: attempt(lambda: content_pages.use_default_home(session.current_user()),
                                               _('The default home page is shown again.'))) \
                .props('flat no-caps').mark('page-default-home')
        else:
            ui.button(_('Use as home page'), icon='home',
                      on_click=lambda: attempt(lambda: content_pages.use_as_home(page.id, session.current_user()),
                                               _('{title} is the home page now.', title=draft.title))) \
                .props('flat no-caps').mark('page-use-home')
        translations.button('page', page, marker='page')
        ui.space()
        ui.button(_('Delete'), icon='delete', on_click=lambda: dialogs.confirm(
            _('Delete {name}?', name=draft.title),
            _('The page and its history are removed; its address answers "not found".'), _('Delete'), 'page-delete', lambda: _delete(page.id), then=lambda message: go('/admin/pages', message))) \
            .props('flat no-caps color=negative').mark('page-delete')


def _delete(page_id: int) -> str:
    content_pages.delete(page_id, session.current_user())
    return _('Page deleted.')


def _history(page: ContentPage, draft: PageRevision) -> None:
    ui.label(_('History')).classes('text-xl font-semibold pt-2')
    ui.label(_('Every saved text, newest first. Restore makes an older one the draft; Publish makes it live.')) \
        .classes('text-grey-8')

    def fetch(_search: str, offset: int, limit: int) -> tuple[list[PageRevision], int]:
        query = (PageRevision.select(PageRevision.id, PageRevision.title, PageRevision.created_at,
                                     PageRevision.is_live, PageRevision.published_at, User.first_name,
                                     User.last_name, User.email)
                 .join(User, pw.JOIN.LEFT_OUTER, on=(PageRevision.author == User.id), attr='writer')
                 .where(PageRevision.page == page.id))
        rows = list(query.order_by(PageRevision.id.desc()).offset(offset).limit(limit))
        return rows, query.order_by().count()

    def state_cell(row: PageRevision) -> None:
        if row.is_live:
            ui.chip(_('Live'), icon='public', color='positive').props('dense outline square').classes('text-xs')
        elif row.id == draft.id:
            ui.chip(_('Draft'), icon='edit_note', color='grey-8').props('dense outline square').classes('text-xs')
        elif row.published_at is not None:
            ui.label(_('published {when}', when=i18n.moment(row.published_at, style='short'))).classes('text-xs text-grey-8')
        else:
            ui.label(_('saved')).classes('text-xs text-grey-8')

    def author(row: PageRevision) -> str:
        writer = getattr(row, 'writer', None)
        return f'{writer.first_name} {writer.last_name}' if writer and writer.email else _('a deleted user')

    def actions(row: PageRevision) -> None:
        with ui.row().classes('gap-1 no-wrap'):
            ui.button(_('View'), on_click=lambda r=row: _view(page, r)).props('flat dense no-caps') \
                .mark(f'revision-view-{row.id}')
            if row.id != draft.id:
                ui.button(_('Restore'), on_click=lambda r=row: _restore(page, r)).props('flat dense no-caps') \
                    .mark(f'revision-restore-{row.id}')

    PagedTable([
        Column(_('Saved'), lambda row: ui.label(i18n.moment(row.created_at)).classes('text-sm'), '12rem'),
        Column(_('By'), lambda row: ui.label(author(row)).classes('text-sm'), '1fr'),
        Column(_('Title'), lambda row: ui.label(row.title), '1.5fr'),
        Column(_('State'), state_cell, '11rem'),
        Column('', actions, '10rem'),
    ], fetch, page_size=10, search_label=None, marker='revisions')


def _view(page: ContentPage, revision_row: PageRevision) -> None:
    revision = PageRevision.get_or_none((PageRevision.id == revision_row.id) & (PageRevision.page == page.id))
    if revision is None:
        ui.notify(_('This revision was not found.'), type='negative')
        return
    with dialogs.dialog() as box, ui.card().classes('gap-3') \
            .style('width: 60rem; max-width: 90vw').mark('revision-dialog'):
        ui.label(_('Saved {when}', when=i18n.moment(revision.created_at))).classes('text-xs uppercase text-grey-8')
        ui.label(revision.title).classes('text-2xl font-semibold text-grey-9')
        content.body(revision.body)
        with ui.row().classes('w-full justify-end'):
            ui.button(_('Close'), on_click=box.close).props('flat no-caps')
            ui.button(_('Restore'), on_click=lambda: (box.close(), _restore(page, revision))) \
                .props('unelevated no-caps').mark('revision-dialog-restore')
    box.open()


def _restore(page: ContentPage, revision: PageRevision) -> None:
    def act() -> str:
        content_pages.restore(page.id, revision.id, session.current_user())
        return _('The text of {when} is the draft now: publish it to make it live.', when=i18n.moment(revision.created_at))

    dialogs.confirm(_('Restore this text as the draft?'), _('It replaces the text in the editor (unsaved changes '
                                                            'there are lost). Readers see it once you publish it.'),
                    _('Restore'), 'revision-restore', act,
                    then=reload_with)
