"""The full results of a search (issue 25, item 5): /search?q=...&kind=...&page=..., for visitors too; the header's
box (components/search_box.py) opens it with Enter. The ranking and who sees what: workflows/search.py."""
from __future__ import annotations

from nicegui import run, ui

import session
from components.frame import frame
from components.search_box import results_url
from domain.i18n import N_, _
from workflows import search, settings

PAGE_SIZE = 20
PAGES = search.MAX_RESULTS // PAGE_SIZE
KIND_FILTERS = [('', N_('All')), ('product', N_('Products')), ('operation', N_('Operations')),
                ('guide', N_('Guides')), ('page', N_('Pages'))]
# "No results for “...” among products": the kinds as a word inside a sentence
KIND_WORDS = {'product': N_('products'), 'operation': N_('operations'), 'guide': N_('guides'), 'page': N_('pages')}


def _read(me, text: str, kind: str, page: int) -> tuple[dict, list[search.Result]]:
    """The frame's settings and the results up to this page and one more (is there a next page?), in a worker."""
    kinds = (kind,) if kind else None
    return settings.load(), search.search(me, text, page * PAGE_SIZE + 1, kinds) if search.has_words(text) else []


@ui.page('/search')
async def search_page(q: str = '', kind: str = '', page: int = 1) -> None:
    me = session.current_user()
    text = search.clean(q)
    kind = kind if kind in search.KINDS else ''
    page = max(1, min(page, PAGES))
    values, found = await run.io_bound(_read, me, text, kind, page)
    shown, more = found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], len(found) > page * PAGE_SIZE
    with frame(_('Search: {text}', text=text) if text else _('Search'), me, values=values):
        field = ui.input(placeholder=_('Search APIs, operations, guides'), value=text) \
            .props('outlined dense type=search autocomplete=off maxlength=200') \
            .classes('w-full max-w-xl').mark('search-page-field')
        field.props['aria-label'] = _('Search again')
        with field.add_slot('prepend'):
            ui.icon('search', color='grey-8')
        field.on('keydown.enter', lambda: ui.navigate.to(results_url(field.value, kind=kind)))
        if not search.has_words(text):
            ui.label(_('Type a few words: a product, an operation (its path, summary or operationId), a guide or a '
                       'page.')).classes('text-grey-8').mark('search-empty')
            return
        with ui.row().classes('items-center gap-2').props('role=group') as kinds:
            kinds.props['aria-label'] = _('Kinds of results')
            for value, label in KIND_FILTERS:
                current = value == kind
                ui.button(_(label)).props(f'{"unelevated" if current else "outline"} no-caps color=primary '
                                       f'href="{results_url(text, kind=value)}"'
                                       + (' aria-current=true' if current else '')).classes('px-3') \
                    .mark(f'search-kind-{value or "all"}')
        if not shown:
            with ui.card().classes('w-full p-8 items-center').mark('search-no-results'):
                ui.icon('search_off', color='grey-5').classes('text-5xl')
                ui.label(_('No results for “{text}” among {kind} — try fewer words or browse the Catalogs.', text=text,
                           kind=_(KIND_WORDS[kind])) if kind else
                         _('No results for “{text}” — try fewer words or browse the Catalogs.', text=text)) \
                    .classes('text-lg text-center')
                ui.link(_('Browse the Catalogs'), '/catalogs')
            return
        with ui.list().props('separator').classes('w-full bg-white rounded-borders shadow-sm').mark('search-results'):
            for result in shown:
                _result(result)
        with ui.row().classes('w-full items-center justify-between'):
            first = (page - 1) * PAGE_SIZE + 1
            ui.label(_('Results {first}–{last}', first=first, last=first + len(shown) - 1)).classes('text-grey-8') \
                .mark('search-count')
            with ui.row().classes('gap-2'):
                if page > 1:
                    ui.button(_('Previous'), icon='chevron_left').props(
                        f'flat no-caps href="{results_url(text, kind=kind, page=page - 1 if page > 2 else "")}"') \
                        .mark('search-previous')
                if more and page < PAGES:
                    ui.button(_('Next'), icon='chevron_right').props(
                        f'flat no-caps href="{results_url(text, kind=kind, page=page + 1)}"').mark('search-next')


def _result(result: search.Result) -> None:
    item = ui.item().props('clickable').classes('py-3').mark('search-page-result')
    item.props['href'] = result.url  # set, not parsed from a props string
    with item:
        with ui.column().classes('gap-1 min-w-0'):
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.label(_(str(search.LABELS[result.kind]))).classes('text-xs text-grey-8 rounded-borders px-1 border') \
                    .style('min-width: 4.5rem; text-align: center')
                ui.label(result.title).classes('text-base font-medium text-primary')
            ui.label(result.subtitle).classes('text-sm text-grey-8')
            if result.snippet and result.snippet not in (result.title, result.subtitle):
                ui.label(result.snippet).classes('text-sm text-grey-9')
