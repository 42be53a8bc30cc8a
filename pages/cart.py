"""The cart: items grouped by catalog; per group a plan and an app, then Request access (003 steps 5-8)."""
from __future__ import annotations

from nicegui import ui

import session
from components import docs
from components.forms import Feedback, bounded, refresh_header, reload_with
from components.frame import frame
from db.models import AccessStatus, AppStatus
from domain.errors import DomainError
from domain.i18n import _, ngettext
from workflows import access, cart, visibility
from workflows.apps import MAX_DESCRIPTION

NEW_APP = 0


@ui.page('/cart')
@session.login_required
def cart_page() -> None:
    me = session.current_user()
    with frame(_('Cart'), me):
        contents = cart.contents(me)
        groups = contents.groups
        if contents.unavailable:
            _unavailable(contents.unavailable)
        if not groups and not contents.unavailable:
            with ui.card().classes('w-full p-8 items-center').mark('cart-empty'):
                ui.icon('shopping_cart', color='grey-5').classes('text-5xl')
                ui.label(_('Your cart is empty.')).classes('text-lg')
                ui.label(_('Browse the Catalogs, open a product with "More info" and use "Add to cart".')) \
                    .classes('text-grey-8')
                ui.button(_('Browse Catalogs')).props('unelevated no-caps href="/catalogs"')
            return
        if not groups:
            return
        if len(groups) > 1:
            ui.label(ngettext('Your cart holds products of {count} catalogs. Each catalog is a separate request '
                              'and gets its own credentials.',
                              'Your cart holds products of {count} catalogs. Each catalog is a separate request '
                              'and gets its own credentials.', len(groups))).classes('text-grey-8').mark('cart-separate-note')
        app_selects: list[ui.select] = []
        apps = _app_options(me)
        for group in groups:
            _group(group, apps, app_selects)


def _unavailable(items: list) -> None:
    """Items the user can no longer get: shown, and removed only when the user says so (a GET deletes nothing)."""
    with ui.card().classes('w-full p-5 gap-2').mark('cart-unavailable'):
        ui.label(_('No longer available')).classes('text-lg font-semibold')
        ui.label(_('The provider no longer offers these products to you in these catalogs; they cannot be '
                   'requested.')) \
            .classes('text-grey-8')
        for item in items:
            with ui.row().classes('w-full items-center justify-between border-t pt-2') \
                    .mark(f'cart-unavailable-{item.catalog.name}-{item.product.slug}'):
                ui.label(_('{product} (catalog {catalog})', product=item.product.name, catalog=item.catalog.name)) \
                    .classes('text-grey-8')
                remove = ui.button(icon='delete', on_click=lambda i=item: _remove(i.id, i.product.name)) \
                    .props('flat round dense').tooltip(_('Remove from cart')) \
                    .mark(f'cart-remove-{item.catalog.name}-{item.product.slug}')
                remove.props['aria-label'] = _('Remove {name} from the cart', name=item.product.name)
        ui.button(_('Remove unavailable items'), icon='delete_sweep', on_click=_remove_unavailable) \
            .props('outline no-caps').mark('cart-remove-unavailable')


def _app_options(user) -> dict[int, str]:
    return {app.id: app.name + (_(' (waiting for approval)') if app.status == AppStatus.PENDING else '')
            for app in visibility.apps_visible_to(user).where(visibility.App.status != AppStatus.REJECTED)
            .order_by(visibility.App.name)}


def _group(group: cart.Group, apps: dict[int, str], app_selects: list[ui.select]) -> None:
    catalog = group.catalog
    with ui.card().classes('w-full p-5 gap-3').mark(f'cart-group-{catalog.name}') as card:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(_('Catalog: {name}', name=catalog.name)).classes('text-lg font-semibold')
            ui.label(_('one request, one set of credentials')).classes('text-xs text-grey-8')
        for item in group.items:
            with ui.row().classes('w-full items-center justify-between border-t pt-2'):
                with ui.column().classes('gap-0'):
                    ui.label(item.product.name).classes('font-medium')
                    ui.label(item.product.summary).classes('text-xs text-grey-8')
                remove = ui.button(icon='delete', on_click=lambda i=item: _remove(i.id, i.product.name)) \
                    .props('flat round dense').tooltip(_('Remove from cart')) \
                    .mark(f'cart-remove-{catalog.name}-{item.product.slug}')
                remove.props['aria-label'] = _('Remove {name} from the cart', name=item.product.name)
        if not group.plans:
            ui.label(_('This catalog offers no plan yet; the provider must add one before you can request access.')) \
                .classes('text-deep-orange-10')
            return
        plan = ui.select({p.id: f'{p.name} — {docs.plan_summary(p)}' for p in group.plans},
                         value=group.plans[0].id if len(group.plans) == 1 else None, label=_('Plan')) \
            .props('outlined').classes('w-full').mark(f'cart-plan-{catalog.name}')
        app = ui.select({NEW_APP: _('Create a new app'), **apps}, value=NEW_APP if not apps else None, label=_('App')) \
            .props('outlined').classes('w-full').mark(f'cart-app-{catalog.name}')
        app_selects.append(app)
        with ui.column().classes('w-full gap-2').bind_visibility_from(app, 'value', lambda v: v == NEW_APP):
            name = ui.input(_('App name')).props('outlined').classes('w-full').mark(f'cart-app-name-{catalog.name}')
            description = bounded(ui.textarea(_('Description (optional)')).props('outlined autogrow')
                                  .classes('w-full').mark(f'cart-app-description-{catalog.name}'), MAX_DESCRIPTION)
        feedback = Feedback({'plan': plan, 'app': app, 'app_name': name, 'app_description': description},
                            marker=f'cart-error-{catalog.name}')

        def request() -> None:
            feedback.clear()
            if app.value is None:
                feedback.show(DomainError('Choose an app, or "Create a new app".', 'app'))
                return
            try:
                created = access.request_access(
                    session.current_user(), catalog.id, plan.value, [i.product_id for i in group.items],
                    app_id=app.value or None, new_app_name=name.value or '', new_app_description=description.value or '')
            except DomainError as error:
                feedback.show(error)
                return
            app_selects.remove(app)
            refresh_header()
            card.clear()
            with card:
                _outcome(created)
            if not app.value:  # a new app: the other groups may use it too
                options = {NEW_APP: _('Create a new app'), **_app_options(session.current_user())}
                for other in app_selects:
                    other.set_options(options, value=other.value)

        ui.button(_('Request access'), icon='key', on_click=request).props('unelevated no-caps') \
            .mark(f'cart-request-{catalog.name}')


def _outcome(request) -> None:
    request = access.AccessRequest.get_by_id(request.id)
    approved = request.status == AccessStatus.APPROVED
    with ui.row().classes('items-center gap-3').mark(f'cart-outcome-{request.status}'):
        ui.icon('check_circle' if approved else 'hourglass_top', color='positive' if approved else 'orange') \
            .classes('text-3xl')
        with ui.column().classes('gap-0'):
            ui.label(_('{catalog}: access granted', catalog=request.catalog.name) if approved else
                     _('{catalog}: access requested', catalog=request.catalog.name)).classes('font-semibold')
            ui.label(_('Your credentials are ready in My apps.') if approved else
                     _('The request waits for approval; we will email you the decision.')).classes('text-grey-8')
    ui.button(_('Open My apps')).props(f'flat no-caps href="/apps/{request.app_id}"') \
        .mark('cart-open-app')


def _remove(item_id: int, name: str) -> None:
    try:
        cart.remove(session.current_user(), item_id)
    except DomainError as error:
        reload_with(str(error), 'negative')
        return
    reload_with(_('{name} was removed from your cart.', name=name))


def _remove_unavailable() -> None:
    removed = cart.remove_unavailable(session.current_user())
    reload_with(ngettext('{count} unavailable item removed from your cart.',
                         '{count} unavailable items removed from your cart.', removed))
