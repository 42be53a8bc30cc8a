"""The home page (the page the admin chose in Admin -> Pages, or the default: what the portal offers, how to get
access, the featured products) and the consumer Dashboard."""
from __future__ import annotations

from dataclasses import dataclass

from nicegui import run, ui

import session
from domain import i18n
from components.frame import frame
from db.models import Api, ApiStatus, Product, ProductApi, Role
from domain.i18n import _, ngettext
from pages import content
from workflows import browse, content_pages, content_translations, organisations, settings


MAX_FEATURED = 12
GRID = 'grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr))'  # as many columns as fit


@dataclass
class Offer:
    """What the default home page says: how much the visitor may use, and the featured products they may see."""
    products: int
    apis: int
    featured: list[Product]


def _offer(me) -> Offer:
    visible = browse.products_visible_to(me).select(Product.id).order_by()
    apis = (Api.select(Api.id).where((Api.status == ApiStatus.PUBLISHED)
                                     & Api.id.in_(ProductApi.select(ProductApi.api)
                                                  .where(ProductApi.product.in_(visible)))))
    featured = list(browse.products_visible_to(me).where(Product.featured).limit(MAX_FEATURED))
    return Offer(visible.count(), apis.count(), featured)


def _read(me):
    """Everything the home page shows, in a worker thread: the admin's home page, or the default's numbers."""
    chosen = content_pages.home_page(me)
    return chosen, (_offer(me) if chosen is None else None), settings.load()


@ui.page('/')
async def home_page() -> None:
    me = session.current_user()
    chosen, offer, values = await run.io_bound(_read, me)
    if chosen is not None:  # the page the admin chose in Admin -> Pages
        words = content_translations.texts('page', [chosen.page.id])  # issue 28, item 4
        with frame(content_translations.shown(words, chosen.page, 'title', chosen.revision.title), me, values=values):
            content.body(content_translations.shown(words, chosen.page, 'body', chosen.revision.body))
        return
    portal = values['portal_name']
    with frame(_('Welcome'), me, values=values):
        # tinted with the brand's primary colour (the text stays dark: the tint is 8% of it on white)
        with ui.card().classes('w-full p-8 gap-3').mark('home-default') \
                .style('background: color-mix(in srgb, var(--q-primary) 8%, white)'):
            ui.label(_('APIs for your next integration, on {portal}', portal=portal)) \
                .classes('text-3xl font-semibold text-grey-9')
            ui.label(ngettext('{apis} in {products} is ready for you: browse the catalogs, choose a plan that fits and '
                              'get credentials for your apps in minutes.',
                              '{apis} in {products} are ready for you: browse the catalogs, choose a plan that fits '
                              'and get credentials for your apps in minutes.', offer.apis,
                              apis=ngettext('{count} API', '{count} APIs', offer.apis),
                              products=ngettext('{count} product', '{count} products', offer.products))) \
                .classes('text-lg text-grey-8').mark('home-offer')
            with ui.row().classes('gap-3 pt-2'):
                ui.button(_('Browse Catalogs'), icon='apps').props('unelevated no-caps href="/catalogs"') \
                    .mark('home-catalogs')
                if me is None:
                    ui.button(_('Create an Account')).props('outline no-caps href="/register"').mark('home-register')
                else:
                    ui.button(_('Go to the Dashboard')).props('outline no-caps href="/dashboard"').mark('home-dashboard')
        ui.label(_('How to get access')).classes('text-xl font-semibold pt-2')
        with ui.element('div').classes('w-full grid gap-4').style(GRID).mark('home-steps'):
            for number, (title, text) in enumerate(_steps(me), start=1):
                with ui.card().classes('p-5 gap-1'):
                    ui.label(f'{i18n.number(number)}. {title}').classes('font-semibold')
                    ui.label(text).classes('text-grey-8')
        ui.label(_('Featured products')).classes('text-xl font-semibold pt-2')
        if not offer.featured:
            with ui.card().classes('w-full p-6 gap-1').mark('home-featured-empty'):
                if me is not None and me.is_portal_admin:
                    ui.label(_('No featured products yet.')).classes('font-medium')
                    ui.label(_('Mark products as featured in Admin -> Products (Edit, "Featured on the home page"): '
                               'they are listed here for everyone who may see them.')).classes('text-grey-8')
                    ui.link(_('Open Admin -> Products'), '/admin/products').mark('home-featured-admin-link')
                else:
                    ui.label(_('Nothing is featured right now.')).classes('font-medium')
                    ui.label(_('Every API product you may use is in the catalogs.')).classes('text-grey-8')
                    ui.link(_('Browse Catalogs'), '/catalogs')
            return
        with ui.element('div').classes('w-full grid gap-4').style(GRID).mark('home-featured'):
            words = content_translations.texts('product', [product.id for product in offer.featured])
            for product in offer.featured:
                with ui.link(target=f'/products/{product.slug}').classes('no-underline text-grey-9') \
                        .mark(f'home-featured-{product.slug}'):
                    with ui.card().classes('w-full p-5 gap-1').style('height: 100%'):
                        ui.label(content_translations.shown(words, product, 'name')) \
                            .classes('text-lg font-semibold text-primary')
                        if product.summary:
                            ui.label(content_translations.shown(words, product, 'summary')).classes('text-grey-8')
                        ui.label(_('More info')).classes('text-sm text-primary pt-1')


def _steps(me) -> list[tuple[str, str]]:
    first = (_('Create an Account'), _('Register with your work email, or log in if you have an account.')) \
        if me is None else (_('You are signed in'), _('Welcome, {name}: your organization and teams decide what you '
                                                      'see.', name=me.first_name))
    return [first,
            (_('Choose a product and a plan'), _('Browse the Catalogs, open a product with More info and use Get '
                                                 'access.')),
            (_('Get your key'), _('Once access is granted, your credentials are in My apps, ready for your first '
                                  'call.'))]


@ui.page('/dashboard')
@session.login_required
def dashboard_page() -> None:
    me = session.current_user()
    with frame(_('Dashboard'), me):
        ui.label(_('Welcome, {name}!', name=me.first_name)).classes('text-xl').mark('dashboard-welcome')
        org = me.organisation
        with ui.row().classes('w-full gap-4'):
            with ui.card().classes('p-5 min-w-72 gap-1'):
                ui.label(_('Organization')).classes('text-xs uppercase text-grey-8')
                ui.label(org.name).classes('text-lg').mark('dashboard-org')
                ui.label(_(Role.LABELS[me.role]) if not org.is_default else _('Individual developer')) \
                    .classes('text-grey-8').mark('dashboard-role')
            with ui.card().classes('p-5 min-w-72 gap-1'):
                ui.label(_('Next steps')).classes('text-xs uppercase text-grey-8')
                ui.link(_('Browse the Catalogs to find an API'), '/catalogs')
                ui.link(_('See your apps and credentials in My apps'), '/apps')
                if me.is_portal_admin:
                    ui.link(_('Open the admin area'), '/admin').mark('dashboard-admin-link')
        pending = organisations.pending_request_of(me)
        if pending is not None:
            with ui.card().classes('p-5 gap-1 bg-orange-1').mark('dashboard-org-pending'):
                ui.label(_('Your organization {name} is waiting for approval.', name=pending.name)) \
                    .classes('font-medium')
                ui.label(_('You can invite teammates once an administrator approved it.')).classes('text-grey-8')
