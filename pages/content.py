"""The admin's content pages at /pages/{slug} (Admin -> Pages), inside the shared frame. Who may read one is
decided in workflows/content_pages.py; a page someone may not read and a draft are the same "not found"."""
from __future__ import annotations

from nicegui import run, ui

import session
from components import docs
from components.frame import frame
from db.models import PageStatus
from domain.i18n import N_, _
from workflows import content_pages, content_translations, settings

NOT_FOUND_TEXT = N_('This page was not found, or you cannot see it.')  # shown translated


def body(text: str) -> None:
    """A page's text as readers get it (the editor's preview builds the same)."""
    with ui.card().classes('w-full p-6 gap-2').mark('content-page-body'):
        docs.markdown(text)


def _read(me, slug: str):
    return content_pages.page_for(me, slug), settings.load()


@ui.page('/pages/{slug}')
async def content_page(slug: str) -> None:
    me = session.current_user()
    found, values = await run.io_bound(_read, me, slug)
    words = content_translations.texts('page', [found.page.id]) if found else {}  # issue 28, item 4
    title = content_translations.shown(words, found.page, 'title', found.revision.title) if found else _('Not found')
    with frame(title, me, values=values):
        if found is None:
            ui.status_code(404)
            ui.label(_(NOT_FOUND_TEXT)).mark('content-page-not-found')
            ui.link(_('Back to the home page'), '/')
            return
        if found.page.status != PageStatus.PUBLISHED or not found.revision.is_live:
            with ui.row().classes('w-full items-center gap-2 p-3 rounded bg-amber-1').mark('content-page-draft'):
                ui.icon('edit_note', color='amber-10')
                ui.label(_('This page is a draft: only portal administrators see it. Publish it in Admin -> Pages.'))
                ui.link(_('Edit'), f'/admin/pages/{found.page.id}')
        body(content_translations.shown(words, found.page, 'body', found.revision.body))
