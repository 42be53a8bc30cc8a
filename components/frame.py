"""The shared frame: header, navigation by role, the admin side menu. Every page builds inside it."""
from __future__ import annotations

import html
from collections.abc import Callable
from contextlib import contextmanager
from time import perf_counter

from nicegui import app, context, ui

import session
from domain import i18n, metrics
from domain.i18n import N_, _, ngettext
from domain.brand import Look
from components import search_box
from components.forms import REFRESH_BADGES, REFRESH_CART, show_flashed
from db.models import User
from workflows import content_pages, languages, settings

HEADER_BUTTON = 'flat no-caps color=header-text'  # a header button: in the header's text colour (the brand's)
POSITIVE = '#1b7a36'  # Quasar's greens and reds fail WCAG AA contrast as text on white
NEGATIVE = '#b00020'


def nav_entries(user: User | None) -> list[tuple[str, str, str]]:
    """(label, path, icon) of the header, decided by the role in this one place."""
    entries = [(N_('Catalogs'), '/catalogs', 'apps')]
    if user is None:
        return entries
    entries += [(N_('Dashboard'), '/dashboard', 'dashboard'), (N_('My apps'), '/apps', 'vpn_key')]
    if not user.organisation.is_default:
        entries.append((N_('Users'), '/dashboard/users', 'group'))
        if session.is_super_admin_of(user, user.organisation_id):
            entries += [(N_('Approvals'), '/dashboard/requests', 'fact_check'), (N_('APIs'), '/dashboard/apis', 'api')]
    if session.is_portal_admin(user):
        entries.append((N_('Admin'), '/admin', 'admin_panel_settings'))
    return entries


def admin_entries(pending: dict[str, int]) -> list[tuple[str, str, str, int]]:
    """(label, path, icon, badge count) of the admin side menu; the labels in English (shown with `_(label)`)."""
    return [
        (N_('Overview'), '/admin', 'space_dashboard', 0),
        (N_('Users'), '/admin/users', 'people', pending.get('users', 0)),
        (N_('Organizations'), '/admin/organizations', 'domain', pending.get('organisations', 0)),
        (N_('Teams'), '/admin/teams', 'groups', 0),
        (N_('Invite codes'), '/admin/invite-codes', 'confirmation_number', 0),
        (N_('Access requests'), '/admin/access-requests', 'how_to_reg', pending.get('access', 0)),
        (N_('Apps'), '/admin/apps', 'widgets', pending.get('apps', 0)),
        (N_('Publish an API'), '/admin/publish', 'rocket_launch', 0),
        (N_('APIs'), '/admin/apis', 'api', pending.get('apis', 0)),
        (N_('Products'), '/admin/products', 'inventory_2', 0),
        (N_('Plans'), '/admin/plans', 'speed', 0),
        (N_('Catalogs'), '/admin/catalogs', 'menu_book', 0),
        (N_('Pages'), '/admin/pages', 'article', 0),
        (N_('Settings'), '/admin/settings', 'tune', 0),
        (N_('Appearance'), '/admin/appearance', 'palette', 0),
        (N_('Sign-in'), '/admin/sign-in', 'login', 0),
        (N_('Email templates'), '/admin/email-templates', 'drafts', 0),
        (N_('Outbox'), '/admin/outbox', 'outbox', pending.get('outbox_failed', 0)),
        (N_('Webhooks'), '/admin/webhooks', 'webhook', 0),
        (N_('Audit log'), '/admin/audit', 'history', 0),
    ]


def admin_page(path: str) -> Callable[[Callable], Callable]:
    """An admin page: routed at `path` and only for portal admins (one decorator, so that no admin page can be
    written without its guard)."""
    def decorate(build: Callable) -> Callable:
        return ui.page(path)(session.admin_required(build))
    return decorate


def admin_frame(title: str, *, intro: str = ''):
    """The frame of an admin page, around the portal admin signed in (the page's guard let no one else in):
    `with admin_frame('Users') as me:`; `intro` says under the title what the page is for."""
    return frame(title, session.current_user(), admin=True, intro=intro)


@contextmanager
def frame(title: str, user: User | None = None, *, admin: bool = False, values: dict | None = None, intro: str = ''):
    """Header and navigation around a page's content; `admin` adds the admin side menu. `values`: the
    settings, when the page already read them in a worker thread (else they are read here)."""
    started = perf_counter()
    values = settings.load() if values is None else values
    look = Look.of(values)
    portal_name = look.portal_name
    ui.page_title(f'{title} · {portal_name}')
    ui.colors(primary=look.primary, accent=look.accent, positive=POSITIVE, negative=NEGATIVE,
              header_text=look.header_text)
    ui.add_head_html(f'<link rel="icon" href="{html.escape(look.favicon_url)}">')  # after NiceGUI's: this one wins
    ui.query('body').classes('bg-grey-1')
    # the header's colours come from the brand (workflows/brand.py keeps its text readable); its buttons are in the
    # header's text colour (the custom colour `header-text`)
    with ui.header().classes('items-center justify-between px-6 py-2 shadow-sm portico-header') \
            .style(f'background-color: {look.header}; color: {look.header_text}').mark('header'):
        with ui.row().classes('items-center gap-6 no-wrap'):
            with ui.link(target='/').classes('no-underline row items-center gap-2 portico-brand') \
                    .style('color: inherit').mark('brand'):
                if look.logo:
                    logo = ui.element('img').classes('portico-logo').mark('brand-logo')
                    logo.props['src'], logo.props['alt'] = look.logo_url, portal_name
                else:
                    ui.icon('hub').classes('text-2xl')
                ui.label(portal_name).classes('text-lg font-semibold')
            for label, path, icon in nav_entries(user):
                ui.button(_(label), icon=icon).props(f'{HEADER_BUTTON} href="{path}"') \
                    .mark(f'nav-{path.strip("/") or "home"}')
            for label, path in content_pages.menu(user, 'header'):  # the admin's pages of the header menu
                ui.button(label).props(f'{HEADER_BUTTON} href="{path}"').mark(f'nav-page-{path}')
        with ui.row().classes('items-center gap-2 no-wrap'):
            search_box.header(user)
            language_menu()
            _account_area(user, values)
    if admin:
        _admin_drawer()
    show_flashed()
    with ui.column().classes('w-full max-w-6xl mx-auto p-6 gap-4'):
        ui.label(title).classes('text-2xl font-semibold text-grey-9').mark('page-title')
        if intro:
            ui.label(intro).classes('text-grey-8')
        yield user
    _footer(user, values)
    if user is not None:
        _watch_for_changes(user)
    page = getattr(getattr(context.client, 'page', None), 'path', '') or '-'  # the route, never the address typed
    metrics.PAGE_SECONDS.labels(page).observe(perf_counter() - started)


def _footer(user: User | None, values: dict) -> None:
    """The brand's footer links (terms, privacy, status page) and the admin's pages of the footer menu."""
    links = [(link['label'], link['url']) for link in values.get('brand_footer_links') or []]
    links += content_pages.menu(user, 'footer')
    with ui.element('footer').classes('w-full max-w-6xl mx-auto px-6 pb-6 pt-2 row gap-4 text-sm text-grey-8') \
            .mark('footer'):
        ui.label(f'© {values["portal_name"]}')
        for label, url in links:
            ui.link(label, url).classes('text-grey-8').mark(f'footer-link-{label}')


_MENU_KEYS = '''(e) => {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const items = Array.from(e.currentTarget.querySelectorAll('.q-item'));
  if (!items.length) return;
  e.preventDefault();
  const at = items.indexOf(document.activeElement);
  const next = e.key === 'ArrowDown' ? (at + 1) % items.length : (at - 1 + items.length) % items.length;
  items[next].focus();
}'''


def language_menu() -> None:
    """The header's language choice (issue 28): the offered languages, each by its own name."""
    offered = languages.offered()
    if len(offered) < 2:
        return
    here = i18n.current()
    with ui.button(here.upper(), icon='translate').props(f'{HEADER_BUTTON} aria-label="{_("Language")}"') \
            .mark('language-menu'):
        # Tab and Shift+Tab move between the languages (Quasar's items), Up and Down too, Escape closes the menu
        with ui.menu().on('keydown', js_handler=_MENU_KEYS):
            for code in offered:
                item = ui.menu_item(i18n.language_name(code), on_click=lambda code=code: session.choose_language(code))
                item.props(f'lang={code}').mark(f'language-{code}')
                if code == here:
                    item.classes('text-weight-bold')


def _account_area(user: User | None, values: dict) -> None:
    if user is None:
        ui.button(_('Log in')).props(f'{HEADER_BUTTON} href="/login"').mark('nav-login')
        ui.button(_('Register')).props('unelevated no-caps href="/register"').mark('nav-register')
        return
    from workflows import organisations
    _cart_button(user)
    if organisations.may_request(user):
        ui.button(_('Create an organization'), icon='domain_add', on_click=lambda: ui.navigate.to('/organization/new')) \
            .props('outline no-caps color=header-text').mark('nav-create-org')
    with ui.button(icon='account_circle').props(HEADER_BUTTON).mark('account-menu') as button:
        button.text = user.first_name
        with ui.menu():
            ui.menu_item(f'{user.full_name} · {user.email}').props('disable')
            ui.menu_item(_('Profile'), on_click=lambda: ui.navigate.to('/profile')).mark('menu-profile')
            ui.menu_item(_('Log out'), on_click=lambda: ui.navigate.to('/logout')).mark('menu-logout')


def _cart_button(user: User) -> None:
    """The header's cart with its count; `forms.refresh_header()` shows a new count on this page."""
    from workflows import cart
    area = ui.element('div')

    def build(who: User | None) -> None:
        area.clear()
        items = cart.count(who) if who is not None else 0
        with area, ui.button(icon='shopping_cart').props('flat round color=header-text href="/cart"') \
                .mark('nav-cart') as button:
            button.props['aria-label'] = ngettext('Cart ({count} item)', 'Cart ({count} items)', items) if items \
                else _('Cart')
            if items:
                ui.badge(str(items), color='accent').props('floating').mark('cart-count')

    build(user)
    app.storage.client[REFRESH_CART] = lambda: build(session.current_user())


SECTION = 'q-item__section column justify-center'  # what Quasar's q-item-section renders as


def _admin_drawer() -> None:
    from workflows import queues  # counts for the badges, one grouped query each
    request = context.client.request
    here = request.url.path if request is not None else ''
    with ui.left_drawer(value=True, fixed=True).classes('bg-white border-r pt-4 overflow-x-hidden') \
            .props('width=250 bordered'):
        ui.label(_('ADMIN')).classes('text-xs text-grey-8 px-4 pb-2 tracking-wider')
        menu = ui.element('nav')
        menu.props['aria-label'] = _('Admin')

    def build() -> None:
        menu.clear()
        with menu, ui.list():
            for label, path, icon, count in admin_entries(queues.admin_counts()):
                # links (<a href>), as the header's: they open in a new tab too, with no round trip to the server
                # the icon, the name and the badge carry Quasar's section classes themselves: a wrapper element
                # each made the menu (16 entries) 87 of the 160 elements of an admin page
                with ui.item().classes('rounded-lg mx-2') \
                        .props(f'clickable href="{path}"' + (' active aria-current=page' if path == here else '')) \
                        .mark(f'admin-nav-{label.lower().replace(" ", "-")}'):
                    ui.icon(icon, color='grey-8', size='24px') \
                        .classes(f'{SECTION} q-item__section--avatar q-item__section--side self-center') \
                        .style('box-sizing: border-box')
                    ui.label(_(label)).classes(f'{SECTION} q-item__section--main')
                    if count:
                        badge = ui.badge(str(count), color='accent').mark(f'badge-{label.lower()}') \
                            .classes('self-center q-ml-md')
                        badge.props['aria-label'] = ngettext('{count} waiting', '{count} waiting', count)

    build()
    app.storage.client[REFRESH_BADGES] = build


def _watch_for_changes(user: User) -> None:
    """An open tab notices a deactivation or a role change within seconds and reloads."""
    fingerprint = (user.id, user.status, user.role, user.is_portal_admin, user.organisation_id)

    def check() -> None:
        fresh = session.current_user()
        now = None if fresh is None else (fresh.id, fresh.status, fresh.role, fresh.is_portal_admin,
                                          fresh.organisation_id)
        if now != fingerprint:
            timer.deactivate()
            ui.navigate.reload()

    timer = ui.timer(10, check)


def forbidden_content() -> None:
    with ui.card().classes('p-6 items-start gap-2').mark('forbidden'):
        ui.icon('block', color='negative').classes('text-4xl')
        ui.label(_('You do not have access to this page.')).classes('text-lg')
        ui.label(_('If you think you should, ask your portal administrator.')).classes('text-grey-8')
        ui.button(_('Go to the Dashboard')).props('flat no-caps href="/dashboard"')
