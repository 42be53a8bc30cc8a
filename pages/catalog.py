"""Catalogs: the products a user may see, by catalog and search (the product page is in pages/product.py)."""
from __future__ import annotations

from nicegui import background_tasks, run, ui

import session
from components.frame import frame
from db.paging import page_of
from db.models import Catalog, CatalogProduct, Product
from domain.i18n import _, ngettext
from workflows import browse, content_translations

PAGE_SIZE = 24


@ui.page('/catalogs')
def catalogs_page(catalog: int = 0, q: str = '') -> None:
    me = session.current_user()
    with frame(_('Catalogs'), me):
        catalogs = {c.id: c.name for c in browse.catalogs_visible_to(me).order_by(Catalog.name)}
        state = {'catalog': catalog if catalog in catalogs else 0, 'search': q.strip()[:100], 'page': 1, 'generation': 0}
        with ui.row().classes('w-full items-center gap-3'):
            ui.select({0: _('All catalogs'), **catalogs}, value=state['catalog'], label=_('Catalog'),
                      on_change=lambda e: (state.update(catalog=e.value or 0, page=1), update())) \
                .props('outlined dense').classes('w-64').mark('catalog-filter')
            ui.input(_('Search by name or tag'), value=state['search'],
                     on_change=lambda e: (state.update(search=(e.value or '').strip()[:100], page=1), update())) \
                .props('outlined dense clearable debounce=300').classes('w-80').mark('catalog-search')
            if me is None:
                ui.label(_('Log in to see the catalogs for registered developers.')).classes('text-grey-8 text-sm')

        def read() -> tuple[list[Product], int, dict[int, list[str]]]:
            """One page of products: the ids along the name index, then the rows and their catalogs."""
            query = browse.products_visible_to(me, state['catalog'] or None, state['search']).select(Product.id)
            products, total = page_of(query, [(Product.name, False), (Product.id, False)], Product.select(),
                                      (state['page'] - 1) * PAGE_SIZE, PAGE_SIZE)
            return products, total, _catalog_names(me, [product.id for product in products])

        def show(products: list[Product], total: int, names: dict[int, list[str]]) -> None:
            grid.clear()
            with grid:
                if not products:
                    with ui.card().classes('w-full p-8 items-center').mark('catalog-empty'):
                        ui.icon('inventory_2', color='grey-5').classes('text-5xl')
                        ui.label(_('No API products match.') if state['search'] or state['catalog'] else
                                 _('No API products are published for you yet.')).classes('text-lg')
                        ui.label(_('Try another catalog or search, or ask the provider for access.')).classes('text-grey-8')
                    return
                with ui.element('div').classes('w-full grid gap-4').style(
                        'grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr))'):
                    words = content_translations.texts('product', [product.id for product in products])
                    for product in products:
                        _card(product, names.get(product.id, []), words)
                pages = -(-total // PAGE_SIZE)
                with ui.row().classes('w-full items-center justify-between'):
                    ui.label(ngettext('{count} product', '{count} products', total)).classes('text-grey-8').mark('catalog-count')
                    if pages > 1:
                        ui.pagination(1, pages, value=state['page'], direction_links=True,
                                      on_change=lambda e: (state.update(page=e.value), update())) \
                            .props('max-pages=7 boundary-numbers').mark('catalog-pages')

        async def reread() -> None:  # a search, a catalog or a page: read in a worker thread
            state['generation'] += 1
            generation = state['generation']
            result = await run.io_bound(read)
            if result is not None and generation == state['generation'] and not grid.is_deleted:
                show(*result)

        def update() -> None:
            background_tasks.create(reread(), name='catalog page')

        grid = ui.column().classes('w-full gap-4')
        show(*read())


def _catalog_names(user, product_ids: list[int]) -> dict[int, list[str]]:
    """The names of the visible catalogs of these products, in one query."""
    visible = browse.catalogs_visible_to(user).select(Catalog.id)
    names: dict[int, list[str]] = {}
    for link in (CatalogProduct.select(CatalogProduct.product, Catalog.name).join(Catalog)
                 .where(CatalogProduct.product.in_(product_ids) & Catalog.id.in_(visible))
                 .order_by(Catalog.name)):
        names.setdefault(link.product_id, []).append(link.catalog.name)
    return names


def _card(product: Product, catalog_names: list[str], words: dict) -> None:
    with ui.card().classes('p-5 gap-2').mark(f'product-{product.slug}'):
        ui.label(content_translations.shown(words, product, 'name')).classes('text-lg font-semibold')
        ui.label(content_translations.shown(words, product, 'summary')).classes('text-grey-8 text-sm')
        with ui.row().classes('gap-1'):
            for tag in product.tag_list:
                ui.chip(tag, color='indigo-1').props('dense square').classes('text-xs text-indigo-9')
        ui.label(_('In: {catalogs}', catalogs=', '.join(catalog_names))).classes('text-xs text-grey-8')
        ui.button(_('More info')).props(f'href="/products/{product.slug}"') \
            .props('flat no-caps').classes('self-end').mark(f'more-info-{product.slug}')
