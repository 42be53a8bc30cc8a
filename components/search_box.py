"""The header's search box (issue 25, item 5): products, operations, guides and pages this visitor may see.

Typing shows the best results under the field, each a link labelled with its kind. The search waits for a pause
in the typing (DEBOUNCE) and runs in a worker thread (workflows/search.py), never on the event loop; an answer
that comes back after the text changed again is dropped. Keyboard: Enter opens the full results page
(/search?q=...), Down moves into the results, Up and Down move between them, Escape closes them.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from nicegui import run, ui

from db.models import User
from domain.i18n import N_, _
from workflows import search

DEBOUNCE = 0.25  # seconds without a keystroke before searching
SHOWN, PER_KIND = 8, 4  # results in the dropdown, and of one kind
RESULT = 'portico-search-result'  # the class of a result's link (the keys move between them)
KINDS = (N_('Product'), N_('Operation'), N_('Guide'), N_('Page'))  # search.LABELS, shown translated

# Up and Down between the results, Escape back to the field (in the browser: no round trip per key)
_KEYS = f'''(e) => {{
  const links = Array.from(e.currentTarget.querySelectorAll('.{RESULT}'));
  const at = links.indexOf(document.activeElement);
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {{
    e.preventDefault();
    const next = at + (e.key === 'ArrowDown' ? 1 : -1);
    if (next < 0) e.currentTarget.querySelector('input').focus(); else if (links[next]) links[next].focus();
  }} else if (e.key === 'Escape') {{
    e.currentTarget.querySelector('input').focus();
    emit();
  }}
}}'''
_FIRST = f'(e) => {{ e.preventDefault(); const first = e.target.closest(".portico-search").querySelector(".{RESULT}"); ' \
         'if (first) first.focus(); }'
_LEFT = '(e) => { if (!e.currentTarget.contains(e.relatedTarget)) emit(); }'
# The header has no room to spare (a super admin's six entries fill a 1280 px window): below 1440 px the field is
# its magnifier alone, and widens over the entries to its left while it has the focus (or its results do), without
# moving them; from 1440 px it shows its placeholder at rest (17rem). Its text stays dark on its white field whatever the
# brand's header colours.
_CSS = '''
.portico-search { position: relative; width: 2.75rem; height: 40px; cursor: text; }
.portico-search .portico-search-field { position: absolute; right: 0; top: 0; width: 2.75rem; z-index: 1;
  transition: width .15s ease-out; }
.portico-search:focus-within .portico-search-field { width: min(22rem, 80vw); }
.portico-search:not(:focus-within) .q-field__native::placeholder { color: transparent; }
@media (min-width: 1440px) {
  .portico-search, .portico-search .portico-search-field { width: 17rem; }
  .portico-search:not(:focus-within) .q-field__native::placeholder { color: #424242; }
}
.portico-search .q-field__native, .portico-search .q-field__native::placeholder { color: #424242; opacity: 1; }
'''
_FOCUS = '(e) => { const input = e.currentTarget.querySelector("input"); ' \
         'if (e.target.closest(".portico-search-field") && e.target !== input) setTimeout(() => input.focus(), 0); }'


def results_url(text: str, **more) -> str:
    """The full results page of a search."""
    return '/search?' + urlencode({'q': search.clean(text), **{k: v for k, v in more.items() if v}})


def header(user: User | None) -> None:
    """The search field of the header, with its dropdown of results."""
    state = {'typed': 0}
    ui.add_css(_CSS)
    with ui.element('div').classes('portico-search').mark('search-box') as box:
        field = ui.input(placeholder=_('Search APIs, operations, guides')) \
            .props('dense outlined type=search autocomplete=off maxlength=200 bg-color=white') \
            .classes('portico-search-field').mark('search-field')
        field.props['aria-label'] = _('Search')
        with field.add_slot('prepend'):
            ui.icon('search', color='grey-8')
        dropdown = ui.element('div').classes('absolute right-0 bg-white shadow-lg border rounded-borders py-2') \
            .style('top: 100%; margin-top: 4px; width: 30rem; max-width: 90vw; z-index: 3000; '
                   'max-height: 70vh; overflow-y: auto') \
            .props('role=region').mark('search-dropdown')
        dropdown.props['aria-label'] = _('Search results')
        dropdown.set_visibility(False)

    def hide() -> None:
        dropdown.set_visibility(False)

    def show(text: str, results: list[search.Result]) -> None:
        dropdown.clear()
        with dropdown:
            if not results:
                ui.label(_('No results for “{text}”', text=text)).classes('px-4 py-2 text-grey-8') \
                    .mark('search-nothing')
            for result in results:
                _result_link(result)
            ui.link(_('All results for “{text}”', text=text), results_url(text)) \
                .classes(f'{RESULT} block px-4 pt-2 text-primary').mark('search-all')
        dropdown.set_visibility(True)

    async def typed() -> None:
        state['typed'] += 1
        mine = state['typed']
        text = search.clean(field.value)
        if not search.has_words(text):
            hide()
            return
        await asyncio.sleep(DEBOUNCE)
        if mine != state['typed']:
            return  # more was typed: that keystroke searches
        results = await run.io_bound(lambda: search.search(user, text, SHOWN, per_kind=PER_KIND))
        if mine != state['typed'] or field.is_deleted:
            return  # an answer for an older text
        show(text, results)

    def focused() -> None:
        if search.has_words(field.value) and dropdown.default_slot.children:
            dropdown.set_visibility(True)

    field.on_value_change(typed)
    field.on('keydown.enter', lambda: ui.navigate.to(results_url(field.value)) if search.has_words(field.value)
             else None)
    field.on('keydown.down', js_handler=_FIRST)
    field.on('focus', focused)
    box.on('keydown', hide, js_handler=_KEYS)
    box.on('focusout', hide, js_handler=_LEFT)
    box.on('click', js_handler=_FOCUS)  # the magnifier alone at rest: a click on it goes to the input


def _result_link(result: search.Result) -> None:
    with ui.link(target=result.url).classes(f'{RESULT} block px-4 py-2 no-underline text-grey-9 hover:bg-grey-2') \
            .mark('search-result'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.label(_(str(search.LABELS[result.kind]))).classes('text-xs text-grey-8 rounded-borders px-1 border') \
                .style('min-width: 4.5rem; text-align: center')
            ui.label(result.title).classes('font-medium truncate')
        ui.label(result.subtitle).classes('text-sm text-grey-8 truncate')
