"""A server-side paged table with search: one query for the page, one for the count, whatever the size.
The first page is read while the page is built; every search, page change and refresh reads in a worker
thread (run.io_bound), not on the event loop (issue 14)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import peewee as pw
from nicegui import background_tasks, run, ui

import session
from db.paging import MoreThan
from domain import i18n
from domain.i18n import N_, _


@dataclass
class Column:
    label: str
    cell: Callable[[object], None]  # builds the cell's content for one row
    width: str = '1fr'


class PagedTable:
    """`fetch(search, offset, limit) -> (rows, total)` runs in a worker thread after the first page, so it must
    read everything the cells show (joins, counts) and nothing of the session; `refresh()` after an action
    changed the data (the rows follow a moment later); `show_new(id)` before it highlights the row just saved
    (rows are matched by their `id`). `total` may be a `db.paging.MoreThan` (a search counted up to a limit):
    the footer then says "of more than N" and offers one page past the counted ones, so paging on works."""

    def __init__(self, columns: list[Column], fetch: Callable[[str, int, int], tuple[list, int]], *,
                 page_size: int = 20, empty: str = N_('Nothing here yet.'), search_label: str | None = N_('Search'),
                 marker: str = 'table') -> None:
        self.columns = columns
        self.fetch = fetch
        self.page_size = page_size
        self.empty = empty
        self.marker = marker
        self.page = 1
        self.search = ''
        self.new_id = None
        self.generation = 0  # the latest refresh; an older one finishing later must not show its rows
        if search_label:
            ui.input(_(str(search_label)), on_change=self._on_search).props('outlined dense clearable debounce=300') \
                .classes('w-80').mark(f'{marker}-search')
        with ui.card().classes('w-full p-0 overflow-hidden'):
            self.body = ui.column().classes('w-full gap-0')
        self.footer = ui.row().classes('w-full items-center justify-between')
        # the first page at once: a page opens with its rows (an index's first entries, a few ms at any size)
        self._show(*self._read())

    def _on_search(self, event) -> None:
        self.search = (event.value or '').strip()[:100]
        self.page = 1
        self.refresh()

    def _on_page(self, event) -> None:
        if event.value and event.value != self.page:
            self.page = event.value
            self.refresh()

    def show_new(self, row_id) -> None:
        """Highlight this row at the next refresh (a row just added or saved)."""
        self.new_id = row_id

    def row_again(self, model: type[pw.Model], row_id: int, what: str):
        """The row that a dialog opened from this table is about, read again; None, with "{what} was not found."
        and a refresh, when someone deleted it meanwhile."""
        found = model.get_or_none(model.id == row_id)
        if found is None:
            ui.notify(_('{what} was not found.', what=_(str(what))), type='negative')
            self.refresh()
        return found

    def refresh(self) -> None:
        """Read the current page again, in the background (callers need not be async)."""
        # the page's guard again, at the moment of this refresh, search, paging or timer
        if session.still_allowed():
            background_tasks.create(self._load(), name=f'refresh {self.marker}')

    async def _load(self) -> None:
        self.generation += 1
        generation = self.generation
        result = await run.io_bound(self._read)
        if result is not None and generation == self.generation and not self.body.is_deleted:
            self._show(*result)

    def _read(self) -> tuple[list, int]:
        """The current page, or the last one when the list became shorter (runs in a worker thread)."""
        rows, total = self.fetch(self.search, (self.page - 1) * self.page_size, self.page_size)
        pages = self._pages(total)
        if self.page > pages:
            self.page = pages
            rows, total = self.fetch(self.search, (self.page - 1) * self.page_size, self.page_size)
        return rows, total

    def _pages(self, total: int) -> int:
        """Pages to offer: those of the rows counted, and the next one when the count stopped at its limit."""
        return max(1, -(-total // self.page_size)) + (1 if isinstance(total, MoreThan) else 0)

    def _show(self, rows: list, total: int) -> None:
        pages = self._pages(total)
        template = ' '.join(column.width for column in self.columns)
        self.body.clear()
        with self.body:
            with ui.element('div').classes('w-full grid gap-3 px-4 py-2 bg-grey-2 text-xs text-grey-8 uppercase') \
                    .style(f'grid-template-columns: {template}'):
                for column in self.columns:
                    ui.label(str(column.label))
            if not rows:
                ui.label(_(str(self.empty)) if not self.search else _('Nothing matches “{search}”.', search=self.search)) \
                    .classes('p-6 text-grey-8').mark(f'{self.marker}-empty')
            new_id, self.new_id = self.new_id, None
            for row in rows:
                is_new = new_id is not None and getattr(row, 'id', row) == new_id
                with ui.element('div').classes('w-full grid gap-3 px-4 py-2 items-center border-t') \
                        .classes('bg-amber-1' if is_new else '').style(f'grid-template-columns: {template}') \
                        .mark(f'{self.marker}-row' + (f' {self.marker}-new' if is_new else '')):
                    for column in self.columns:
                        _cell(column, row)
        self.footer.clear()
        with self.footer:
            first = 0 if total == 0 else (self.page - 1) * self.page_size + 1
            if isinstance(total, MoreThan):
                shown = _('{first}–{last} of more than {total}', first=i18n.number(first),
                          last=i18n.number((self.page - 1) * self.page_size + len(rows)), total=i18n.number(total))
            else:  # plain digits, as ever
                shown = _('{first}–{last} of {total}', first=first, last=min(total, self.page * self.page_size),
                          total=total)
            ui.label(shown).classes('text-sm text-grey-8').mark(f'{self.marker}-count')
            if pages > 1:
                ui.pagination(1, pages, value=self.page, direction_links=True, on_change=self._on_page) \
                    .props('max-pages=7 boundary-numbers').mark(f'{self.marker}-pages')


def _cell(column: Column, row) -> None:
    """One grid cell: the element the column builds, or a wrapper when it builds none or several. A wrapper for
    every cell was a third of a row's elements, and NiceGUI's time to build a page grows with its elements."""
    slot = ui.context.slot  # the grid row's
    before = len(slot.children)
    column.cell(row)
    built = slot.children[before:]
    if len(built) == 1:  # as wide as its content (a chip is not stretched), at most the column, long words broken
        built[0].classes('min-w-0 max-w-full break-words justify-self-start')
        return
    wrapper = ui.element('div').classes('min-w-0 break-words')
    for element in built:
        element.move(wrapper)


def status_filter(options: dict[str, str], state: dict, refresh: Callable[[], None], marker: str,
                  default: str = '') -> ui.toggle:
    """The status toggle above a table: keeps `state['status']` and refreshes the table on a change."""
    def change(event) -> None:
        state['status'] = event.value or default
        refresh()

    return ui.toggle(options, value=state['status'], on_change=change) \
        .props('no-caps unelevated toggle-color=primary dense').mark(marker)


def intro(text: str) -> ui.label:
    """The sentence under a page's title that says what the page is for."""
    return ui.label(str(text)).classes('text-grey-8')


@contextmanager
def toolbar(add: str, on_add: Callable[[], None], marker: str, *, icon: str = 'add') -> Iterator[None]:
    """The row above a table: what the caller puts in it on the left (an intro, a filter), the Add button on the
    right, marked `marker`."""
    with ui.row().classes('w-full items-center justify-between'):
        yield
        ui.button(str(add), icon=icon, on_click=on_add).props('unelevated no-caps').mark(marker)
