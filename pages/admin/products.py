"""API Provider -> Products: API products with their APIs, tags and catalogs; add, edit, delete."""
from __future__ import annotations

from collections import defaultdict

from nicegui import ui

import session
from components import dialogs, translations
from components.forms import Feedback, bounded
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, intro, toolbar
from db.paging import page_of
from db.search import matches
from db.models import Api, ApiStatus, Catalog, CatalogProduct, Product, ProductApi
from domain.i18n import N_, _
from workflows import catalog


def fetch(search: str, offset: int, limit: int) -> tuple[list[Product], int]:
    """One query for the page, one for the count, one for the APIs and one for the catalogs of its products."""
    query = Product.select(Product.id)
    if search:
        query = query.where(matches(Product, search))
    rows, total = page_of(query, [(Product.name, False), (Product.id, False)],
                          Product.select(Product.id, Product.name, Product.slug, Product.summary, Product.tags,
                                         Product.featured),
                          offset, limit, searched=bool(search))
    ids = [product.id for product in rows]
    apis, catalogs = defaultdict(list), defaultdict(list)
    if ids:
        for product_id, name in (ProductApi.select(ProductApi.product, Api.name).join(Api)
                                 .where(ProductApi.product.in_(ids)).order_by(Api.name).tuples()):
            apis[product_id].append(name)
        for product_id, name in (CatalogProduct.select(CatalogProduct.product, Catalog.name).join(Catalog)
                                 .where(CatalogProduct.product.in_(ids)).order_by(Catalog.name).tuples()):
            catalogs[product_id].append(name)
    for product in rows:
        product.api_names, product.catalog_names = apis[product.id], catalogs[product.id]
    return rows, total


@admin_page('/admin/products')
def products_page() -> None:
    with admin_frame(_('Products')):
        with toolbar(_('Add product'), lambda: edit_dialog(None, table), 'products-add'):
            intro(_('A product bundles published APIs; developers find it in the catalogs it is in.'))

        def name_cell(product: Product) -> None:
            with ui.row().classes('items-center gap-1 no-wrap'):
                ui.label(product.name).classes('font-medium')
                if product.featured:
                    star = ui.icon('star', color='amber-9').mark(f'product-featured-{product.slug}')
                    star.props['aria-label'] = _('Featured on the home page')
            if product.summary:
                ui.label(product.summary).classes('text-xs text-grey-8')

        def tags_cell(product: Product) -> None:
            with ui.row().classes('gap-1'):
                for tag in product.tag_list:
                    ui.chip(tag, color='indigo-1', text_color='indigo-10').props('dense square').classes('text-xs')

        def names_cell(names: list[str], missing: str) -> None:
            ui.label(', '.join(names) or missing).classes('text-sm' if names else 'text-sm text-grey-8')

        def actions(product: Product) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                ui.button(_('Edit'), on_click=lambda p=product: edit_dialog(p.id, table)) \
                    .props('flat dense no-caps').mark(f'product-edit-{product.slug}')
                guides = ui.button(_('Guides')).props('flat dense no-caps').mark(f'product-guides-{product.slug}')
                guides.props['href'] = f'/admin/products/{product.id}/guides'  # issue 25: the product's guides
                translations.button('product', product, marker=f'product-{product.slug}').props('dense')
                ui.button(_('Delete'), on_click=lambda p=product: delete_dialog(p, table)) \
                    .props('flat dense no-caps color=negative').mark(f'product-delete-{product.slug}')

        table = PagedTable([
            Column(_('Product'), name_cell, '1.5fr'),
            Column(_('Slug'), lambda p: ui.label(p.slug).classes('font-mono text-sm'), '1fr'),
            Column(_('Tags'), tags_cell, '1fr'),
            Column(_('APIs'), lambda p: names_cell(p.api_names, _('no APIs')), '1fr'),
            Column(_('Catalogs'), lambda p: names_cell(p.catalog_names, _('in no catalog')), '1fr'),
            Column('', actions, '13rem'),
        ], fetch, empty=_('No products yet. Add one to bundle published APIs and offer it in a catalog.'),
            search_label=_('Search by name, slug or tag'), marker='products')


def edit_dialog(product_id: int | None, table: PagedTable) -> None:
    product = table.row_again(Product, product_id, N_('This product')) if product_id else None
    if product_id and product is None:
        return
    api_options = {api.id: f'{api.name} ({api.base_path})' for api in Api.select(Api.id, Api.name, Api.base_path)
                   .where(Api.status == ApiStatus.PUBLISHED).order_by(Api.name)}
    catalog_options = {c.id: c.name for c in Catalog.select(Catalog.id, Catalog.name).order_by(Catalog.name)}
    api_ids = [link.api_id for link in ProductApi.select(ProductApi.api).where(ProductApi.product == product_id)] \
        if product else []
    catalog_ids = [link.catalog_id for link in CatalogProduct.select(CatalogProduct.catalog)
                   .where(CatalogProduct.product == product_id)] if product else []
    with dialogs.dialog() as dialog, ui.card().classes('w-[40rem] max-w-full'):
        ui.label(_('Add a product') if product is None else _('Edit {name}', name=product.name)).classes('text-lg font-semibold')
        with ui.row().classes('w-full no-wrap gap-3'):
            name = ui.input(_('Name'), value=product.name if product else '').props('outlined').classes('grow') \
                .mark('product-name')
            slug = ui.input(_('Slug (optional)'), value=product.slug if product else '').props('outlined') \
                .classes('w-64').mark('product-slug')
            slug.props['hint'] = _('Used in the address; derived from the name when empty')
        name.on_value_change(lambda e: slug.props.update(placeholder=catalog.slugify(e.value or '')))
        summary = ui.input(_('Summary'), value=product.summary if product else '').props('outlined counter maxlength=300') \
            .classes('w-full').mark('product-summary')
        description = bounded(ui.textarea(_('Description (Markdown)'), value=product.description if product else '')
                              .props('outlined rows=6').classes('w-full').mark('product-description'),
                              catalog.MAX_DESCRIPTION)
        apis = ui.select(api_options, multiple=True, label=_('APIs (published)'),
                         value=[i for i in api_ids if i in api_options]) \
            .props('outlined use-chips').classes('w-full').mark('product-apis')
        tags = ui.input(_('Tags (comma-separated)'), value=product.tags.replace(',', ', ') if product else '') \
            .props('outlined').classes('w-full').mark('product-tags')
        catalogs = ui.select(catalog_options, multiple=True, label=_('Catalogs'), value=catalog_ids) \
            .props('outlined use-chips').classes('w-full').mark('product-catalogs')
        featured = ui.checkbox(_('Featured on the home page'), value=product.featured if product else False) \
            .mark('product-featured')
        if not api_options:
            ui.label(_('No published APIs yet: add one under APIs first.')).classes('text-sm text-grey-8')
        feedback = Feedback({'name': name, 'slug': slug, 'summary': summary, 'description': description,
                             'apis': apis, 'tags': tags, 'catalogs': catalogs}, marker='product-error')

        def save() -> None:
            def act() -> str:
                saved = catalog.save_product(product.id if product else None, name.value, slug.value, summary.value,
                                             description.value, list(apis.value or []), tags.value,
                                             list(catalogs.value or []), by=session.current_user(),
                                             featured=bool(featured.value))
                table.show_new(saved.id)
                return _('{name} saved.', name=saved.name)

            dialogs.submit(dialog, feedback, act, table.refresh)

        dialogs.actions(dialog, _('Save'), save, 'product-save')
    dialog.open()


def delete_dialog(product: Product, table: PagedTable) -> None:
    dialogs.confirm_delete(product.name, _('It leaves every catalog, cart and access request that lists it. Its '
                                         'APIs stay.'), 'product-delete',
                           lambda: catalog.delete_product(catalog.find(Product, product.id, N_('This product')),
                                                          by=session.current_user()), table.refresh)
