"""Choosing rows out of thousands in a dialog (issue 14): a select that searches the server as you type and
never holds more than a bounded number of options, whatever the size of the table.

`one_of(...)` chooses one row (an organisation); `ManyPicker` chooses many (a catalog's products, the
teams that see a catalog) and keeps the chosen ids on the server, so that a catalog of 10,000 products
opens with 20 of them shown and a count, not 10,000 chips.
"""
from __future__ import annotations

from collections.abc import Callable

import peewee as pw
from nicegui import run, ui

from db.models import Catalog, Organisation, OrgStatus, Plan, Product, Team, Visibility
from db.search import matches
from domain import i18n
from domain.i18n import _, ngettext

SHOWN = 20  # options shown at a time: the first chosen ones, then what the search found
Search = Callable[[str, int], dict[int, str]]  # (typed text, limit) -> {id: label}, best first
Names = Callable[[list[int]], dict[int, str]]  # ids -> {id: label}, in the order to show them


def products(text: str, limit: int) -> dict[int, str]:
    query = Product.select(Product.id, Product.name)
    if text:
        query = query.where(matches(Product, text))
    return dict(query.order_by(Product.name, Product.id).limit(limit).tuples())


def product_names(ids: list[int]) -> dict[int, str]:
    return dict(Product.select(Product.id, Product.name).where(Product.id.in_(ids))
                .order_by(Product.name, Product.id).tuples())


def organisations(text: str, limit: int) -> dict[int, str]:
    """Active organisations, the default one first."""
    query = Organisation.select(Organisation.id, Organisation.name).where(Organisation.status == OrgStatus.ACTIVE)
    if text:
        query = query.where(matches(Organisation, text))
    return dict(query.order_by(Organisation.is_default.desc(), Organisation.name, Organisation.id)
                .limit(limit).tuples())


def _teams(query: pw.Select) -> pw.Select:
    return (query.select(Team.id, Organisation.name, Team.name).join(Organisation)
            .where(Organisation.status == OrgStatus.ACTIVE))


def teams(text: str, limit: int) -> dict[int, str]:
    """'Organisation / Team' of active organisations; a search finds the organisation's or the team's name."""
    query = _teams(Team.select())
    if text:
        team_match = pw.fn.LOWER(Team.name).startswith(text.strip().lower())
        query = query.where(team_match | matches(Organisation, text))
    rows = query.order_by(Organisation.name, Team.name, Team.id).limit(limit).tuples()
    return {team_id: f'{org} / {team}' for team_id, org, team in rows}


def teams_of(organisation_id: int | None) -> dict[int, str]:
    """One organisation's teams by name (Admin -> Sign-in's groups to teams); none without an organisation."""
    if not organisation_id:
        return {}
    return dict(Team.select(Team.id, Team.name).where(Team.organisation == organisation_id)
                .order_by(Team.name).tuples())


def plans() -> dict[int, str]:
    return dict(Plan.select(Plan.id, Plan.name).order_by(Plan.name).tuples())


def catalogs() -> dict[int, str]:
    """'Name (visibility)' of every catalog."""
    return {catalog_id: f'{name} ({_(str(Visibility.LABELS.get(visibility, visibility)))})'
            for catalog_id, name, visibility
            in Catalog.select(Catalog.id, Catalog.name, Catalog.visibility).order_by(Catalog.name).tuples()}


def team_names(ids: list[int]) -> dict[int, str]:
    rows = _teams(Team.select()).where(Team.id.in_(ids)).order_by(Organisation.name, Team.name, Team.id).tuples()
    return {team_id: f'{org} / {team}' for team_id, org, team in rows}


def _searching(select: ui.select, found: Callable[[str], None]) -> None:
    """Call `found(text)` with what the user types in the select (at most ~3 times a second)."""
    select.on('input-value', lambda event: found((event.args or '').strip()[:100]), throttle=0.3)


def one_of(label: str, search: Search, chosen: dict[int, str], marker: str, **kwargs) -> ui.select:
    """A select of one row: `chosen` ({id: label} of the current value, or empty) and the first matches of
    what is typed."""
    value = next(iter(chosen), None)
    select = ui.select({**chosen, **search('', SHOWN)}, value=value, label=label, with_input=True, **kwargs) \
        .props('outlined input-debounce=300').mark(marker)

    async def found(text: str) -> None:
        result = await run.io_bound(search, text, SHOWN)
        if result is None or select.is_deleted:
            return
        current = select.value
        keep = {current: select.options[current]} if current in select.options else {}
        select.set_options({**keep, **result}, value=current)

    _searching(select, found)
    return select


class ManyPicker:
    """Many rows: the chosen ids live here; the select shows the first SHOWN chosen ones and what the
    search found, and a click on an option adds or removes it."""

    def __init__(self, label: str, search: Search, names: Names, chosen: list[int], marker: str) -> None:
        self.search, self.names = search, names
        self.chosen: list[int] = list(dict.fromkeys(chosen))
        self.marker = marker
        self.updating = False
        self.select = ui.select({}, multiple=True, label=label, with_input=True, on_change=self._changed) \
            .props('outlined use-chips input-debounce=300').classes('w-full').mark(marker)
        self.count = ui.label().classes('text-xs text-grey-8 -mt-2').mark(f'{marker}-count')
        self._show(self.search('', SHOWN))
        _searching(self.select, self._found)

    @property
    def value(self) -> list[int]:
        return list(self.chosen)

    def set_chosen(self, ids: list[int]) -> None:
        self.chosen = list(dict.fromkeys(ids))
        self._show({key: text for key, text in self.select.options.items() if key not in self.chosen})

    def _show(self, found: dict[int, str]) -> None:
        first = self.names(self.chosen[:SHOWN]) if self.chosen else {}
        options = {**first, **found}
        self.updating = True
        try:
            self.select.set_options(options, value=[key for key in options if key in self.chosen])
        finally:
            self.updating = False
        self._count()

    def _count(self) -> None:
        if len(self.chosen) > SHOWN:
            self.count.text = _('{count} chosen (the first {shown} are shown; type to find the others)',
                                count=i18n.number(len(self.chosen)), shown=SHOWN)
        else:
            self.count.text = ngettext('{count} chosen', '{count} chosen', len(self.chosen))

    async def _found(self, text: str) -> None:
        result = await run.io_bound(self.search, text, SHOWN)
        if result is not None and not self.select.is_deleted:
            self._show(result)

    def _changed(self, event) -> None:
        if self.updating:
            return
        shown = set(self.select.options)
        picked = set(event.value or [])
        kept = [key for key in self.chosen if key not in shown or key in picked]
        self.chosen = kept + [key for key in self.select.options if key in picked and key not in kept]
        self._count()
