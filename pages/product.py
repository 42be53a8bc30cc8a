"""The product page ("More info"): the product, its catalogs with their plans, Get access, and its documentation
as tabs: the API reference (its APIs with a link to each one's reference; the reference itself: api/reference.py),
then the product's guides (issue 25; workflows/guides.py), each also at its own address."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import peewee as pw
from nicegui import run, ui

import config
import session
from api.reference import document_url, reference_url
from components import dialogs, docs
from components.forms import Feedback, refresh_header, reload_with
from components.frame import frame
from db.models import AccessRequest, AccessStatus, Api, ApiReference, App, Guide, Plan, Product, ProductApi
from babel.numbers import format_decimal

from domain import i18n
from domain.errors import DomainError
from domain.i18n import _, ngettext
from workflows import access, browse, cart, content_translations, guides, settings, visibility
from workflows.api_versions import shown_date  # issue 26, item 5


@dataclass
class _Parts:
    """What the product page shows, read in a worker thread (the page is built on the event loop, which also
    answers the gateway: it only lays out what was read here, the frame's settings included)."""
    values: dict
    product: Product | None = None
    offers: list = field(default_factory=list)
    apis: list = field(default_factory=list)
    tabs: list[Guide] = field(default_factory=list)  # the guides the reader may see, without their bodies
    guide: Guide | None = None  # the guide whose tab is open (its own address), with its body
    filled: guides.Values | None = None


def _product_and_parts(me, slug: str, guide_slug: str | None = None) -> _Parts:
    parts = _Parts(settings.load())
    product = browse.products_visible_to(me).where(Product.slug == slug[:100]).first()
    if product is None:
        return parts
    parts.product = product
    parts.offers = browse.catalogs_of_product(me, product)
    successor = Api.alias()  # issue 26, item 5: versions, and the version that replaces a deprecated one
    parts.apis = list(Api.select(Api.id, Api.name, Api.base_path, ApiReference.version, ApiReference.operations,
                                 ApiReference.size, Api.version, Api.deprecated_at, Api.sunset_at,
                                 successor.id, successor.version, successor.base_path)
                      .join(ProductApi).switch(Api)
                      .join(ApiReference, on=(ApiReference.api == Api.id), join_type=pw.JOIN.LEFT_OUTER,
                            attr='reference').switch(Api)
                      .join(successor, pw.JOIN.LEFT_OUTER, on=(successor.id == Api.successor), attr='next_version')
                      .where(ProductApi.product == product).order_by(Api.name, Api.version))
    parts.tabs = guides.guides_visible_to(me, product)
    if guide_slug is not None:
        found = guides.guide_for(me, slug, guide_slug)
        if found is not None:
            parts.guide, parts.filled = found[1], guides.values_for(me, product)
    return parts


def _guide_and_values(me, product: Product, guide_id: int) -> tuple[Guide | None, guides.Values]:
    return guides.body_of(me, product, guide_id), guides.values_for(me, product)


@ui.page('/products/{slug}')
async def product_page(slug: str) -> None:
    await _show(slug)


@ui.page('/products/{slug}/guides/{guide_slug}')
async def guide_page(slug: str, guide_slug: str) -> None:
    """A guide's own address (issue 25): the product page with the guide's tab open, for links and search."""
    await _show(slug, guide_slug[:100])


async def _show(slug: str, guide_slug: str | None = None) -> None:
    me = session.current_user()
    parts = await run.io_bound(_product_and_parts, me, slug, guide_slug)
    product, offers, apis = parts.product, parts.offers, parts.apis
    missing = product is None or (guide_slug is not None and parts.guide is None)
    # what the admin wrote, in the reader's language where translated (issue 28, item 4)
    words = {} if product is None else content_translations.texts('product', [product.id])
    guide_words = content_translations.texts('guide', [tab.id for tab in parts.tabs])
    title = _('Not found') if missing else content_translations.shown(words, product, 'name')
    with frame(title, me, values=parts.values):
        if missing:
            ui.status_code(404)
            if product is None:
                ui.label(_('This product was not found, or you cannot see it.')).mark('product-not-found')
                ui.link(_('Back to the Catalogs'), '/catalogs')
            else:
                ui.label(_('This guide was not found, or you cannot see it.')).mark('guide-not-found')
                ui.link(_('Back to {name}', name=product.name), f'/products/{product.slug}')
            return
        if parts.guide is not None:
            ui.page_title(f'{content_translations.shown(guide_words, parts.guide, "title")} · {title} · '
                          f'{parts.values["portal_name"]}')
        ui.label(content_translations.shown(words, product, 'summary')).classes('text-lg text-grey-8')
        docs.markdown(content_translations.shown(words, product, 'description'))
        if any(plans for _, plans in offers):
            ui.button(_('Get access'), icon='key', on_click=lambda: _get_access(product, offers)) \
                .props('unelevated no-caps color=primary').mark('get-access')
        ui.label(_('Catalogs and plans')).classes('text-xl font-semibold pt-2')
        ui.label(_('Each catalog offers its own plans; choose the catalog whose plan you want.')) \
            .classes('text-grey-8')
        with ui.row().classes('w-full gap-4 items-stretch'):
            for catalog, plans in offers:
                _offer(me, product, catalog, plans)
        ui.label(_('Documentation')).classes('text-xl font-semibold pt-2 portico-documentation') \
            .style('scroll-margin-top: 5rem')
        _documentation(product, apis, parts, guide_words)


def _documentation(product: Product, apis: list, parts: _Parts, words: dict | None = None) -> None:
    """Tabs: the API reference (the product's APIs with their reference), then one tab per guide (issue 25). A
    guide's tab shows its own address, so it can be shared; its body is read when the tab is first opened."""
    words = words or {}
    opened = f'guide-{parts.guide.slug}' if parts.guide is not None else REFERENCE_TAB
    with ui.tabs(value=opened).props('no-caps align=left dense inline-label active-color=primary '
                                     'indicator-color=primary') \
            .classes('w-full text-grey-9').mark('documentation-tabs') as tabs:
        ui.tab(REFERENCE_TAB, label=_('API reference'), icon='api').mark('tab-reference')
        for tab in parts.tabs:
            shown = content_translations.shown(words, tab, 'title')
            ui.tab(f'guide-{tab.slug}', label=shown if tab.published else _('{title} (draft)', title=shown),
                   icon='article').mark(f'tab-guide-{tab.slug}')
    ui.separator().classes('-mt-4')
    holders: dict[str, ui.column] = {}
    with ui.tab_panels(tabs, value=opened).classes('w-full bg-transparent') \
            .mark('documentation-panels'):
        with ui.tab_panel(REFERENCE_TAB).classes('p-0 pt-2 gap-4'):
            for api in apis:
                _api_card(product, api, {other.id for other in apis})
            if not apis:
                ui.label(_('This product has no API yet.')).classes('text-grey-8')
        for tab in parts.tabs:
            with ui.tab_panel(f'guide-{tab.slug}').classes('p-0 pt-2'):
                holders[tab.slug] = ui.column().classes('w-full gap-2 max-w-4xl').mark(f'guide-{tab.slug}')
    if parts.guide is not None:
        with holders[parts.guide.slug]:
            docs.guide(content_translations.shown(words, parts.guide, 'body'), parts.filled,
                       login_next=guides.url(product.slug, parts.guide.slug))
        holders.pop(parts.guide.slug)
        ui.run_javascript("document.querySelector('.portico-documentation')?.scrollIntoView()")
    by_name = {f'guide-{tab.slug}': tab for tab in parts.tabs}

    async def opened_tab(event) -> None:
        tab = by_name.get(event.value)
        address = f'/products/{product.slug}' if tab is None else guides.url(product.slug, tab.slug)
        ui.run_javascript(f'history.replaceState(null, "", {json.dumps(address)})')
        holder = holders.pop(tab.slug, None) if tab is not None else None
        if holder is None:
            return
        guide, values = await run.io_bound(_guide_and_values, session.current_user(), product, tab.id)
        with holder:
            if guide is None:
                ui.label(_('This guide was not found, or you cannot see it.')).mark('guide-not-found')
            else:
                body = content_translations.shown(content_translations.texts('guide', [guide.id]), guide, 'body')
                docs.guide(body, values, login_next=guides.url(product.slug, guide.slug))

    tabs.on_value_change(opened_tab)


REFERENCE_TAB = 'reference'


def _api_card(product: Product, api: Api, in_product: set[int] = frozenset()) -> None:
    reference = getattr(api, 'reference', None)
    with ui.card().classes('w-full p-4 gap-2').mark(f'api-doc-{api.base_path}'):
        with ui.row().classes('items-center gap-3'):
            ui.icon('api', color='primary').classes('text-2xl')
            ui.label(api.name).classes('text-lg font-semibold')
            if api.version:  # issue 26, item 5
                ui.chip(api.version).props('dense square').classes('text-xs')
        _deprecation_banner(product, api, in_product)  # issue 26, item 5
        ui.label(_('Base URL: {url}', url=f'{config.current().gateway_url.rstrip("/")}{api.base_path}')) \
            .classes('font-mono text-sm').mark('api-base-url')
        if reference is None or reference.version is None:
            ui.label(_('No OpenAPI document was published for this API yet.')).classes('text-grey-8')
            return
        version = f'Swagger {reference.version}' if reference.version == '2.0' else f'OpenAPI {reference.version}'
        operations = ngettext('{count} operation', '{count} operations', reference.operations)
        size = format_decimal(round(reference.size / 1e3), '#,##0', locale=i18n.current())
        ui.label(_('{version} · {operations} · {size} kB', version=version, operations=operations, size=size)) \
            .classes('text-sm text-grey-8').mark('api-doc-summary')
        with ui.row().classes('gap-2'):
            reference = ui.button(_('Open the API reference'), icon='menu_book').props('unelevated no-caps') \
                .mark(f'api-reference-{api.base_path}')
            reference.props['href'] = reference_url(product.slug, api.id)  # set, not parsed from a props string
            ui.link(_('Download the OpenAPI document'), document_url(product.slug, api.id)) \
                .props('download').classes('self-center').mark(f'api-download-{api.base_path}')


def _deprecation_banner(product: Product, api: Api, in_product: set[int]) -> None:
    """issue 26, item 5: "Version v1 is deprecated: it stops on <date>. Move to v2." with a link."""
    if getattr(api, 'deprecated_at', None) is None:
        return
    successor = getattr(api, 'next_version', None)
    successor = successor if successor is not None and successor.id else None
    with ui.row().classes('w-full items-center gap-2 rounded bg-red-1 text-negative px-3 py-2') \
            .props('role=status').mark(f'api-deprecated-{api.base_path}'):
        ui.icon('warning')
        ui.label(_('Version {version} is deprecated: it stops on {day}.', version=api.version or api.name,
                   day=shown_date(api.sunset_at)))
        next_name = successor.version or _('its successor') if successor is not None else ''
        if successor is not None and successor.id in in_product:  # its reference is the product's too
            ui.link(_('Move to {version}.', version=next_name), reference_url(product.slug, successor.id)) \
                .classes('text-negative font-medium').mark('api-successor-link')
        elif successor is not None:
            ui.label(_('Move to {version}: {url}', version=next_name,
                       url=f'{config.current().gateway_url.rstrip("/")}{successor.base_path}')).classes('font-medium')


def _get_access(product: Product, offers: list) -> None:
    """Plan and app in one dialog, for this one product (the cart stays for several products)."""
    me = session.current_user()
    if me is None:
        ui.navigate.to(f'/login?next=/products/{product.slug}')
        return
    choices = {f'{catalog.id}:{plan.id}': f'{plan.name} ({catalog.name}) — {str(docs.plan_summary(plan))}'
               for catalog, plans in offers for plan in plans}
    my_apps = {app.id: app.name for app in visibility.apps_visible_to(me).order_by(App.name).limit(100)}
    with dialogs.dialog() as dialog, ui.card().classes('w-[36rem] max-w-full'):
        ui.label(_('Get access to {name}', name=product.name)).classes('text-lg font-semibold')
        plan = ui.select(choices, value=next(iter(choices)), label=_('Plan')).props('outlined') \
            .classes('w-full').mark('get-access-plan')
        app_choice = ui.select({0: _('A new app'), **my_apps}, value=0, label=_('App')).props('outlined') \
            .classes('w-full').mark('get-access-app')
        new_name = ui.input(_('Name of the new app'),
                            value=_('{name}\'s {product} app', name=me.first_name, product=product.name)[:100]) \
            .props('outlined').classes('w-full').mark('get-access-app-name')
        new_name.bind_visibility_from(app_choice, 'value', backward=lambda value: not value)
        feedback = Feedback({'plan': plan, 'app': app_choice, 'name': new_name}, marker='get-access-error')

        def confirm() -> None:
            catalog_id, plan_id = (int(part) for part in str(plan.value).split(':'))
            ready: list[int] = []

            def act() -> str:
                request = access.request_access(session.current_user(), catalog_id, plan_id, [product.id],
                                                app_id=app_choice.value or None, new_app_name=new_name.value)
                if AccessRequest.get_by_id(request.id).status == AccessStatus.APPROVED:
                    ready.append(request.app_id)
                    return _('Your key is ready: open the API reference to try it, or see it under My apps.')
                return _('Your request is sent; we email you when it is approved.')

            def then(message: str) -> None:
                # a key at once, and one API to try it on: straight to its reference, the key chosen for Try it
                target = _only_reference(product) if ready else None
                if target is None:
                    reload_with(message)
                else:
                    ui.navigate.to(f'{target}?ready={ready[0]}')

            dialogs.submit(dialog, feedback, act, then=then)

        dialogs.actions(dialog, _('Get access'), confirm, 'get-access-confirm')
    dialog.open()


def _only_reference(product: Product) -> str | None:
    """The reference page of the product's API when it has exactly one API with a published document."""
    documented = list(ApiReference.select(ApiReference.api).join(ProductApi, on=(ProductApi.api == ApiReference.api))
                      .where((ProductApi.product == product) & ApiReference.version.is_null(False)).limit(2))
    return reference_url(product.slug, documented[0].api_id) if len(documented) == 1 else None


def _offer(me, product: Product, catalog, plans: list[Plan]) -> None:
    with ui.card().classes('p-4 gap-2 min-w-72').mark(f'offer-{catalog.name}'):
        ui.label(catalog.name).classes('text-lg font-semibold')
        for plan in plans:
            with ui.column().classes('gap-0'):
                ui.label(plan.name).classes('font-medium')
                ui.label(str(docs.plan_summary(plan))).classes('text-xs text-grey-8')
        if not plans:
            ui.label(_('No plans are offered in this catalog yet.')).classes('text-grey-8 text-sm')

        def add() -> None:
            user = session.current_user()
            if user is None:
                ui.navigate.to(f'/login?next=/products/{product.slug}')
                return
            try:
                cart.add(user, product.id, catalog.id)
            except DomainError as error:
                ui.notify(str(error), type='negative')
                return
            ui.notify(_('{product} ({catalog}) is in your cart.', product=product.name, catalog=catalog.name),
                      type='positive')
            refresh_header()

        ui.button(_('Add to cart'), icon='add_shopping_cart', on_click=add).props('unelevated no-caps') \
            .mark(f'add-to-cart-{catalog.name}')
