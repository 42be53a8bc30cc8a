"""My apps: every app the user may see, its access requests, and the credentials of approved ones."""
from __future__ import annotations

import json

import peewee as pw
from nicegui import ui

import config
import session
from components import dialogs, docs
from components.chips import status_chip
from components.forms import Feedback, bounded, go, reload_with
from components.frame import frame
from components.tables import Column, PagedTable
from db import clock
from db.paging import page_of
from db.search import matches
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, Api, App, AppStatus, Catalog,
                       Credential, CredentialStatus, OAuthClient, OAuthClientStatus, Plan, Product, ProductApi, User)
from domain import i18n
from domain.errors import DomainError
from domain.i18n import N_, _
from workflows import apps, credentials, oauth_clients, plan_changes, usage, visibility

# when the old key of a rotation stops (the keys of credentials.OVERLAPS), in words
OVERLAP_WORDS = {0: N_('now'), 3600: N_('in 1 hour'), 86400: N_('in 24 hours'), 7 * 86400: N_('in 7 days')}
OVERLAP_LENGTHS = {3600: N_('for 1 hour'), 86400: N_('for 24 hours'), 7 * 86400: N_('for 7 days')}


@ui.page('/apps')
@session.login_required
def apps_page() -> None:
    me = session.current_user()
    with frame(_('My apps'), me):
        shared = '' if me.organisation.is_default else \
            _(' Apps are shared with everyone in {organization}.', organization=me.organisation.name)
        ui.label(_('Your applications and their credentials.') + shared).classes('text-grey-8')

        def fetch(search: str, offset: int, limit: int):  # in a worker thread: no session there, the user again
            query = visibility.apps_visible_to(User.get_or_none(User.id == me.id)).select(App.id)
            if search:
                query = query.where(matches(App, search))
            rows, total = page_of(query, [(App.created_at, True), (App.id, True)], App.select(), offset, limit)
            counts = dict(Credential.select(Credential.app, pw.fn.COUNT(Credential.id))
                          .where(Credential.app.in_([a.id for a in rows]) & (Credential.status == CredentialStatus.ACTIVE))
                          .group_by(Credential.app).tuples())
            for row in rows:
                row.key_count = counts.get(row.id, 0)
            return rows, total

        def name(app: App) -> None:
            ui.link(app.name, f'/apps/{app.id}').classes('font-medium').mark(f'app-link-{app.name}')
            if app.description:
                ui.label(app.description).classes('text-xs text-grey-8')

        ui.button(_('Create a new app'), icon='add', on_click=lambda: _create_dialog()).props('unelevated no-caps') \
            .mark('apps-create')
        PagedTable([
            Column(_('App'), name, '2fr'),
            Column(_('Status'), lambda a: status_chip(a.status), '7rem'),
            Column(_('Active keys'), lambda a: ui.label(i18n.number(a.key_count)), '6rem'),
            Column(_('Created'), lambda a: ui.label(i18n.day(a.created_at)), '6rem'),
        ], fetch, empty=_('No apps yet. Browse the Catalogs, add products to your cart and request access: '
                          'your first app is created on the way.'), search_label=_('Search apps'), marker='apps')


def _create_dialog() -> None:
    with dialogs.dialog() as dialog, ui.card().classes('w-96'):
        ui.label(_('Create a new app')).classes('font-semibold')
        name = ui.input(_('App name')).props('outlined').classes('w-full').mark('new-app-name')
        description = bounded(ui.textarea(_('Description (optional)')).props('outlined autogrow').classes('w-full')
                              .mark('new-app-description'), apps.MAX_DESCRIPTION)
        feedback = Feedback({'app_name': name, 'app_description': description})

        def save() -> None:
            feedback.clear()
            try:
                app = apps.create_app(name.value, description.value, by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            dialog.close()
            go(f'/apps/{app.id}', _('{name} was created.', name=app.name) + (
                _(' It waits for approval; we will email you the decision.') if app.status == AppStatus.PENDING
                else ''))

        dialogs.actions(dialog, _('Create'), save, 'new-app-save')
    dialog.open()


@ui.page('/apps/{app_id}')
@session.login_required
def app_page(app_id: int) -> None:
    me = session.current_user()
    app = visibility.can_see_app(me, app_id)
    with frame(app.name if app else _('Not found'), me):
        if app is None:
            ui.status_code(404)
            ui.label(_('This app was not found.')).mark('app-not-found')
            ui.link(_('Back to My apps'), '/apps')
            return
        with ui.row().classes('items-center gap-3'):
            status_chip(app.status)
            ui.label(_('Owner: {owner} · created {day}', owner=app.owner.full_name if app.owner else '—',
                       day=i18n.day(app.created_at))).classes('text-grey-8 text-sm')
        if app.status == AppStatus.PENDING:
            ui.label(_('This app waits for approval; approved requests get their keys once it is approved.')) \
                .classes('text-deep-orange-10').mark('app-pending-note')
        if app.description:
            ui.label(app.description).classes('text-grey-8')
        with ui.row().classes('gap-2'):
            ui.button(_('Add products'), icon='add_shopping_cart').props('href="/catalogs"') \
                .props('outline no-caps').mark('app-add-products')
            ui.button(_('Delete app'), icon='delete', on_click=lambda: _confirm_delete(app)) \
                .props('flat no-caps color=negative').mark('app-delete')
        _usage_chart(app)
        every = list(AccessRequest.select(AccessRequest, Catalog, Plan).join(Catalog).switch(AccessRequest)
                     .join(Plan).where(AccessRequest.app == app).order_by(AccessRequest.created_at.desc()))
        requests = [request for request in every if request.changes_id is None]  # plan changes: on their request
        changes = {request.changes_id: request for request in every
                   if request.changes_id is not None and request.status == AccessStatus.PENDING}
        if not requests:
            ui.label(_('No access requests yet: add products to your cart and request access for this app.')) \
                .classes('text-grey-8').mark('app-no-requests')
        products = _products_by_request([r.id for r in requests])
        keys: dict[int, list[Credential]] = {}
        for credential in Credential.select().where(Credential.app == app):
            keys.setdefault(credential.access_request_id, []).append(credential)
        for request in requests:
            _request_card(request, products.get(request.id, []), credentials.shown(keys.get(request.id, [])),
                          changes.get(request.id))


def _usage_chart(app: App) -> None:
    days = usage.daily_calls_of_app(app)
    total = sum(calls for _day, calls in days)
    with ui.card().classes('w-full p-4 gap-1').mark('usage-chart'):
        ui.label(_('Calls in the last 30 days: {total}', total=i18n.number(total))).classes('font-semibold') \
            .mark('usage-total')
        ui.echart({
            'grid': {'left': 50, 'right': 10, 'top': 10, 'bottom': 25},
            'tooltip': {'trigger': 'axis'},
            'xAxis': {'type': 'category', 'data': [i18n.day(day, style='d MMM') for day, _calls in days]},
            'yAxis': {'type': 'value', 'minInterval': 1},
            'series': [{'type': 'bar', 'data': [calls for _day, calls in days], 'itemStyle': {'color': '#3949ab'}}],
        }).classes('w-full h-40')


def _products_by_request(request_ids: list[int]) -> dict[int, list[tuple[Product, list[Api]]]]:
    """Products of these requests with their APIs, in two queries."""
    result: dict[int, list[tuple[Product, list[Api]]]] = {}
    links = list(AccessRequestProduct.select(AccessRequestProduct, Product).join(Product)
                 .where(AccessRequestProduct.request.in_(request_ids)).order_by(Product.name))
    apis: dict[int, list[Api]] = {}
    for link in ProductApi.select(ProductApi, Api).join(Api).where(
            ProductApi.product.in_([link.product_id for link in links])):
        apis.setdefault(link.product_id, []).append(link.api)
    for link in links:
        result.setdefault(link.request_id, []).append((link.product, apis.get(link.product_id, [])))
    return result


def _request_card(request: AccessRequest, products: list, keys: list[Credential],
                  change: AccessRequest | None = None) -> None:
    with ui.card().classes('w-full p-4 gap-2').mark(f'request-{request.id}'):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(', '.join(product.name for product, _apis in products)).classes('text-lg font-semibold')
            status_chip(request.status)
        ui.label(_('Catalog {catalog} · plan {plan}: {summary}', catalog=request.catalog.name, plan=request.plan.name,
                   summary=str(docs.plan_summary(request.plan)))).classes('text-sm text-grey-8')
        if request.reason and request.status in {AccessStatus.REJECTED, AccessStatus.REVOKED}:
            ui.label(_('Reason: {reason}', reason=request.reason)).classes('text-sm text-negative').mark(f'request-reason-{request.id}')
        if change is not None:
            ui.label(_('A change to the plan {new} waits for approval; {old} stays in force until then, with the '
                       'same key.', new=change.plan.name, old=request.plan.name)).classes('text-sm text-deep-orange-10') \
                .mark(f'plan-change-pending-{request.id}')
        elif request.status == AccessStatus.APPROVED:
            others = plan_changes.offered_plans(request)
            if others:
                ui.button(_('Change plan'), icon='swap_vert', on_click=lambda: _change_plan(request, others)) \
                    .props('flat dense no-caps').classes('self-start').mark(f'plan-change-{request.id}')
        if request.status == AccessStatus.APPROVED:
            for credential in keys:
                _credential(credential, products)
            _oauth_clients(request, products)  # issue 26: OAuth clients (see the end of this file)


def _credential(credential: Credential, products: list) -> None:
    """One key: the current one, or the old key of a rotation, working until its end beside the new one."""
    gateway = config.current().gateway_url
    replaced = credential.end_reason == credentials.ROTATED
    expired = credential.expires_at is not None and credential.expires_at <= clock.now()
    with ui.column().classes('w-full gap-1 bg-grey-2 rounded p-3').mark(f'credential-{credential.id}'):
        with ui.row().classes('items-center gap-2 w-full'):
            ui.label(_('Old API key') if replaced else _('API key')).classes('text-xs uppercase text-grey-8')
            status_chip('expired' if expired else credential.status)
            when = i18n.moment(credential.expires_at, style='short')
            if replaced:
                ui.label(_('Stops working on {when}: switch your clients to the new key before then.', when=when)) \
                    .classes('text-sm text-deep-orange-10').mark(f'key-ends-{credential.id}')
            elif expired:
                ui.label(_('Expired on {when}: calls with it are refused. Renew it to get a new key.', when=when)) \
                    .classes('text-sm text-negative').mark(f'key-expired-{credential.id}')
            elif credential.expires_at is not None:
                ui.label(_('Expires on {when}', when=when)).classes('text-sm text-grey-8') \
                    .mark(f'key-expires-{credential.id}')
        key_label = ui.label(f'{credential.key_prefix}••••••••••••••••').classes('font-mono') \
            .mark(f'key-{credential.id}')
        if credential.status == CredentialStatus.ACTIVE:
            shown = {'value': False}

            def toggle() -> None:
                try:
                    plain = credentials.reveal(Credential.get_by_id(credential.id), session.current_user())
                except DomainError as error:
                    ui.notify(str(error), type='negative')
                    return
                shown['value'] = not shown['value']
                key_label.set_text(plain if shown['value'] else f'{credential.key_prefix}••••••••••••••••')

            async def copy() -> None:
                try:
                    plain = credentials.reveal(Credential.get_by_id(credential.id), session.current_user())
                except DomainError as error:
                    ui.notify(str(error), type='negative')
                    return
                ui.clipboard.write(plain)
                ui.notify(_('API key copied.'), type='positive')

            with ui.row().classes('gap-1'):
                ui.button(_('Show / hide'), icon='visibility', on_click=toggle).props('flat dense no-caps') \
                    .mark(f'key-toggle-{credential.id}')
                ui.button(_('Copy'), icon='content_copy', on_click=copy).props('flat dense no-caps') \
                    .mark(f'key-copy-{credential.id}')
                if credential.end_reason == credentials.LIFETIME:
                    ui.button(_('Renew'), icon='update', on_click=lambda: _renew(credential)) \
                        .props('flat dense no-caps').mark(f'key-renew-{credential.id}')
                if not replaced and not expired:
                    ui.button(_('Rotate'), icon='autorenew', on_click=lambda: _rotate(credential)) \
                        .props('flat dense no-caps').mark(f'key-rotate-{credential.id}')
                ui.button(_('Revoke'), icon='block', on_click=lambda: _confirm_key_change(
                    credentials.revoke, credential, _('Revoke this key?'),
                    _('It stops working at once and cannot be used again. To call the API afterwards, request '
                      'access again.'), _('Revoke'), _('The key was revoked.'), 'revoke')) \
                    .props('flat dense no-caps color=negative').mark(f'key-revoke-{credential.id}')
        ui.label(_('Call with the header X-API-Key: <key> (or Authorization: Bearer <key>) at:')) \
            .classes('text-xs text-grey-8 pt-1')
        for product, product_apis in products:
            for api in product_apis:
                ui.label(f'{product.name} · {api.name}: {gateway}{api.base_path}').classes('font-mono text-sm') \
                    .mark(f'base-url-{api.base_path}')


def _change_plan(request: AccessRequest, plans: list[Plan]) -> None:
    """Move the access to another plan of its catalog, keeping the key (issue 26)."""
    with dialogs.dialog() as box, ui.card().classes('w-[32rem] max-w-full'):
        ui.label(_('Change the plan of {name}', name=request.app.name)).classes('font-semibold')
        ui.label(_('Now: {plan} ({summary}). The key stays the same; the new limits apply at once, or after approval '
                   'when the plan needs it.', plan=request.plan.name, summary=str(docs.plan_summary(request.plan)))) \
            .classes('text-grey-8')
        choice = ui.radio({plan.id: f'{plan.name}: {str(docs.plan_summary(plan))}' for plan in plans},
                          value=plans[0].id).mark('plan-change-choice')
        feedback = Feedback({'plan': choice}, marker='plan-change-error')

        def act() -> str:
            result = plan_changes.change_plan(request, choice.value, by=session.current_user())
            if result.id == request.id:
                return _('{app} is on {plan} now, with the same key.', app=request.app.name, plan=result.plan.name)
            return _('The change to {new} waits for approval; {old} stays in force until then.', new=result.plan.name,
                     old=request.plan.name)

        dialogs.actions(box, _('Change plan'), lambda: dialogs.submit(box, feedback, act, then=reload_with),
                        'plan-change-confirm')
    box.open()


def _renew(credential: Credential) -> None:
    """One click: a new key with a new lifetime; the old one keeps working until its own end."""
    try:
        new = credentials.renew(Credential.get_by_id(credential.id), by=session.current_user())
    except (DomainError, Credential.DoesNotExist) as error:
        ui.notify(str(error) if isinstance(error, DomainError) else _('This key was not found.'), type='negative')
        return
    old = Credential.get_by_id(credential.id)
    ends = i18n.day(new.expires_at) if new.expires_at else _('never')
    if old.status == CredentialStatus.ACTIVE and old.end_reason == credentials.ROTATED:
        reload_with(_('A new key is ready (it expires {ends}); the old one works until {until}. Show or copy the new '
                      'one.', ends=ends, until=i18n.moment(old.expires_at, style='short')))
    else:
        reload_with(_('A new key is ready (it expires {ends}). Show or copy it.', ends=ends))


def _rotate(credential: Credential) -> None:
    """Rotate with a choice of when the old key stops (issue 26): both keys work until then."""
    with dialogs.dialog() as box, ui.card().classes('w-[30rem] max-w-full'):
        ui.label(_('Rotate this key?')).classes('font-semibold')
        ui.label(_('A new key is made at once. Until the old key stops, both work, so that you can move your '
                   'clients to the new one without an outage.')).classes('text-grey-8')
        ui.label(_('The old key stops')).classes('text-sm font-medium pt-2')
        when = ui.radio({seconds: _(OVERLAP_WORDS.get(seconds, str(words)))
                         for seconds, words in credentials.OVERLAPS.items()}, value=86400) \
            .props('inline').mark('key-rotate-when')
        feedback = Feedback({'old_key_stops_in': when}, marker='key-rotate-error')

        def act() -> str:
            found = Credential.get_or_none(Credential.id == credential.id)
            if found is None:
                raise DomainError('This key was not found.')
            credentials.rotate(found, by=session.current_user(), old_key_stops_in=int(when.value))
            if not when.value:
                return _('The key was rotated; the old one no longer works. Show or copy the new one.')
            return _('The key was rotated. The old key works {length} more; show or copy the new one.',
                     length=_(OVERLAP_LENGTHS[int(when.value)]))

        dialogs.actions(box, _('Rotate'), lambda: dialogs.submit(box, feedback, act, then=reload_with),
                        'key-rotate-confirm')
    box.open()


def _confirm_key_change(action, credential: Credential, question: str, consequence: str, verb: str,
                        message: str, marker: str) -> None:
    def act() -> str:
        found = Credential.get_or_none(Credential.id == credential.id)
        if found is None:
            raise DomainError('This key was not found.')
        action(found, by=session.current_user())
        return message

    dialogs.confirm(question, consequence, verb, f'key-{marker}', act,
                    then=reload_with)


def _confirm_delete(app: App) -> None:
    def act() -> str:
        apps.delete_app(apps.find_visible(app.id, session.current_user()), by=session.current_user())
        return _('{name} was deleted.', name=app.name)

    dialogs.confirm(_('Delete {name}?', name=app.name), _('Its keys stop working at once. This cannot be undone.'),
                    _('Delete'),
                    'app-delete', act, then=lambda text: go('/apps', text))


# --- issue 26: OAuth clients (the oauth branch's part of this page) -----------------------------------------

def _oauth_clients(request: AccessRequest, products: list) -> None:
    for client in OAuthClient.select().where(OAuthClient.access_request == request).order_by(OAuthClient.id):
        _oauth_client(client, products)


def _oauth_client(client: OAuthClient, products: list) -> None:
    """One OAuth client: its ID, its secret (Show/Copy), the token endpoint, its public key for private_key_jwt."""
    active = client.status == OAuthClientStatus.ACTIVE
    masked = f'{client.secret_prefix}••••••••••••••••'
    with ui.column().classes('w-full gap-1 bg-grey-2 rounded p-3').mark(f'oauth-client-{client.id}'):
        with ui.row().classes('items-center gap-2 w-full'):
            ui.label(_('OAuth client')).classes('text-xs uppercase text-grey-8')
            status_chip(client.status)
        with ui.row().classes('items-center gap-2'):
            ui.label(_('Client ID')).classes('text-sm text-grey-8')
            ui.label(client.client_id).classes('font-mono').mark(f'oauth-client-id-{client.id}')

            def copy_id() -> None:
                ui.clipboard.write(client.client_id)
                ui.notify(_('Client ID copied.'), type='positive')

            ui.button(_('Copy'), icon='content_copy', on_click=copy_id).props('flat dense no-caps') \
                .mark(f'oauth-client-id-copy-{client.id}')
        if not active:
            ui.label(_('Revoked: it gets no tokens any more.')).classes('text-sm text-negative')
            return
        with ui.row().classes('items-center gap-2'):
            ui.label(_('Client secret')).classes('text-sm text-grey-8')
            secret_label = ui.label(masked).classes('font-mono').mark(f'oauth-secret-{client.id}')
        shown = {'value': False}

        def secret() -> str | None:
            try:
                return oauth_clients.reveal_secret(client, session.current_user())
            except DomainError as error:
                ui.notify(str(error), type='negative')
                return None

        def toggle() -> None:
            plain = secret()
            if plain is not None:
                shown['value'] = not shown['value']
                secret_label.set_text(plain if shown['value'] else masked)

        def copy_secret() -> None:
            plain = secret()
            if plain is not None:
                ui.clipboard.write(plain)
                ui.notify(_('Client secret copied.'), type='positive')

        with ui.row().classes('gap-1'):
            ui.button(_('Show / hide'), icon='visibility', on_click=toggle).props('flat dense no-caps') \
                .mark(f'oauth-secret-toggle-{client.id}')
            ui.button(_('Copy'), icon='content_copy', on_click=copy_secret).props('flat dense no-caps') \
                .mark(f'oauth-secret-copy-{client.id}')
            ui.button(_('Revoke'), icon='block', on_click=lambda: _confirm_client_revoke(client)) \
                .props('flat dense no-caps color=negative').mark(f'oauth-revoke-{client.id}')
        endpoint = oauth_clients.token_endpoint()
        ui.label(_('Get an access token (client credentials grant, HTTP Basic with the client ID and secret) at:')) \
            .classes('text-xs text-grey-8 pt-1')
        ui.label(endpoint).classes('font-mono text-sm').mark(f'oauth-token-endpoint-{client.id}')
        ui.label(f'curl -u {client.client_id}:<secret> -d grant_type=client_credentials {endpoint}') \
            .classes('font-mono text-xs text-grey-8')
        ui.label(_('Tokens last a few minutes; call with Authorization: Bearer <token> at:')) \
            .classes('text-xs text-grey-8 pt-1')
        gateway = config.current().gateway_url
        for product, product_apis in products:
            for api in product_apis:
                ui.label(f'{product.name} · {api.name}: {gateway}{api.base_path}').classes('font-mono text-sm')
        _client_key_field(client)


def _client_key_field(client: OAuthClient) -> None:
    """private_key_jwt: the client's public key (a JWK or JWK Set), pasted here; its private key never leaves it."""
    with ui.expansion(_('Sign in with a private key (private_key_jwt)'), icon='key',
                      value=bool(client.jwks)).classes('w-full').mark(f'oauth-jwks-panel-{client.id}'):
        ui.label(_('Paste the public key of your client as a JWK or a JWK Set. Your client then authenticates with a '
                   'signed assertion (RFC 7523: iss and sub your client ID, aud the token endpoint, exp within 5 '
                   'minutes, a new jti each time) instead of the secret. Leave empty to remove it.')) \
            .classes('text-xs text-grey-8')
        text = ui.textarea(_('Public JWK'), value=json.dumps(client.jwks, indent=2) if client.jwks else '') \
            .props('outlined autogrow').classes('w-full font-mono text-xs').mark(f'oauth-jwks-{client.id}')
        feedback = Feedback({'jwks': text}, marker=f'oauth-jwks-error-{client.id}')

        def save() -> None:
            feedback.clear()
            try:
                saved = oauth_clients.set_jwks(client, text.value or '', by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            ui.notify(_('The public key was saved.') if saved.jwks else _('The public key was removed.'),
                      type='positive')

        ui.button(_('Save public key'), icon='save', on_click=save).props('outline no-caps') \
            .mark(f'oauth-jwks-save-{client.id}')


def _confirm_client_revoke(client: OAuthClient) -> None:
    def act() -> str:
        found = OAuthClient.get_or_none(OAuthClient.id == client.id)
        if found is None:
            raise DomainError('This OAuth client was not found.')
        oauth_clients.revoke(found, by=session.current_user())
        return _('The OAuth client was revoked: it gets no new tokens.')

    dialogs.confirm(_('Revoke this OAuth client?'), _('It gets no new tokens from now on, and gateways that '
                    'introspect refuse its tokens at once; gateways that verify tokens themselves accept them until '
                    'they expire (minutes). This cannot be undone.'), _('Revoke'), 'oauth-revoke', act,
                    then=reload_with)
