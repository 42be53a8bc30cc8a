"""Admin -> Webhooks (issue 16): endpoints with their events and secret, the delivery log, redeliver."""
from __future__ import annotations

from nicegui import run, ui

import session
from components import dialogs
from components.chips import status_chip
from components.forms import Feedback, attempt
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable
from db.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from domain.errors import DomainError
from domain import i18n
from domain.i18n import N_, _
from workflows import webhook_endpoints


def _named(button: ui.button, name: str) -> ui.button:
    """A button's name for screen readers (a translated text may hold any character: not through props())."""
    button.props['aria-label'] = name
    return button


def _when(value) -> str:
    return i18n.moment(value) if value else ''


def fetch_deliveries(search: str, offset: int, limit: int) -> tuple[list[WebhookDelivery], int]:
    query = (WebhookDelivery.select(WebhookDelivery, WebhookEvent, WebhookEndpoint).join(WebhookEvent)
             .switch(WebhookDelivery).join(WebhookEndpoint))
    if search:
        text = search.lower()
        query = query.where(WebhookEvent.type.contains(text) | WebhookEndpoint.url.contains(text)
                            | WebhookDelivery.status.contains(text) | (WebhookEvent.message_id == search))
    return list(query.order_by(WebhookDelivery.id.desc()).offset(offset).limit(limit)), query.count()


INTRO = N_('Events are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) with '
           "each endpoint's secret, and retried with back-off until the receiver answers 2xx.")


@admin_page('/admin/webhooks')
def webhooks_page() -> None:
    with admin_frame(_('Webhooks'), intro=_(INTRO)):

        @ui.refreshable
        def endpoint_list() -> None:
            endpoints = list(WebhookEndpoint.select().order_by(WebhookEndpoint.id))
            if not endpoints:
                ui.label(_('No endpoints yet.')).classes('text-grey-8')
            for endpoint in endpoints:
                with ui.card().classes('w-full p-4 gap-1').mark('webhook-endpoint'):
                    with ui.row().classes('w-full items-center justify-between'):
                        with ui.column().classes('gap-0'):
                            ui.label(endpoint.url).classes('font-mono font-medium break-all')
                            if endpoint.description:
                                ui.label(endpoint.description).classes('text-grey-8 text-sm')
                        status_chip('enabled' if endpoint.enabled else 'disabled')
                    ui.label(', '.join(endpoint.events)).classes('text-sm text-grey-8')
                    if endpoint.failing_since:
                        ui.label(_('Failing since {when}', when=_when(endpoint.failing_since))).classes('text-negative text-sm')
                    if not endpoint.enabled and endpoint.disabled_reason:
                        ui.label(_('Disabled automatically: {reason}', reason=endpoint.disabled_reason)) \
                            .classes('text-negative text-sm')
                    with ui.row().classes('gap-1'):
                        url = endpoint.url
                        _named(ui.button(_('Edit'), on_click=lambda e=endpoint: edit(e)).props('flat dense no-caps'),
                               _('Edit {url}', url=url))
                        _named(ui.button(_('Show secret'), on_click=lambda e=endpoint: show_secret(e.id))
                               .props('flat dense no-caps'), _('Show the secret of {url}', url=url))
                        _named(ui.button(_('Rotate secret'), on_click=lambda e=endpoint: rotate(e))
                               .props('flat dense no-caps'), _('Rotate the secret of {url}', url=url))
                        _named(ui.button(_('Delete'), on_click=lambda e=endpoint: delete(e))
                               .props('flat dense no-caps color=negative'), _('Delete {url}', url=url))

        def show_secret(endpoint_id: int, *, new: bool = False, secret: str | None = None) -> None:
            if not session.still_allowed():
                return
            try:
                secret = secret or webhook_endpoints.reveal_secret(endpoint_id, by=session.current_user())
            except DomainError as error:
                ui.notify(str(error), type='negative')
                return
            with dialogs.dialog() as box, ui.card().classes('w-[34rem]'):
                ui.label(_('The new signing secret') if new else _('Signing secret')).classes('font-semibold')
                ui.label(_('The receiver verifies each webhook with it (see the README for an example).')) \
                    .classes('text-grey-8 text-sm')
                ui.input(_('Secret'), value=secret).props('outlined readonly').classes('w-full font-mono') \
                    .mark('webhook-secret')
                with ui.row().classes('w-full justify-end'):
                    ui.button(_('Done'), on_click=box.close).props('unelevated no-caps')
            box.open()

        def rotate(endpoint: WebhookEndpoint) -> None:
            def act() -> str:
                secret = webhook_endpoints.rotate_secret(endpoint.id, by=session.current_user())
                ui.timer(0.1, lambda: show_secret(endpoint.id, new=True, secret=secret), once=True)
                return _('A new secret was made; the old one no longer signs.')
            dialogs.confirm(_('Rotate the secret?'), _('{url} must be given the new secret.', url=endpoint.url),
                            _('Rotate'), 'rotate-secret', act)

        def delete(endpoint: WebhookEndpoint) -> None:
            def act() -> str:
                webhook_endpoints.delete_endpoint(endpoint.id, by=session.current_user())
                return _('{url} was deleted.', url=endpoint.url)
            dialogs.confirm(_('Delete this endpoint?'), _('{url} and its delivery log are removed.', url=endpoint.url),
                            _('Delete'), 'delete-webhook', act, lambda: (endpoint_list.refresh(), deliveries.refresh()))

        def edit(endpoint: WebhookEndpoint | None = None) -> None:
            if not session.still_allowed():
                return
            with dialogs.dialog() as box, ui.card().classes('w-[34rem]'):
                ui.label(_('Edit endpoint') if endpoint else _('Add endpoint')).classes('font-semibold')
                url = ui.input(_('URL'), value=endpoint.url if endpoint else 'https://') \
                    .props('outlined maxlength=2000').classes('w-full')
                description = ui.input(_('Description (optional)'), value=endpoint.description if endpoint else '') \
                    .props('outlined maxlength=200').classes('w-full')
                events = ui.select(webhook_endpoints.EVENTS, multiple=True, label=_('Events'),
                                   value=list(endpoint.events) if endpoint else []) \
                    .props('outlined use-chips').classes('w-full')
                enabled = ui.checkbox(_('Enabled'), value=endpoint.enabled if endpoint else True)
                feedback = Feedback({'url': url, 'events': events, 'description': description})

                async def save() -> None:
                    feedback.clear()
                    try:
                        saved, secret = await run.io_bound(  # the URL's host is looked up (DNS)
                            webhook_endpoints.save_endpoint, endpoint.id if endpoint else None, url.value, events.value or [],
                            enabled.value, session.current_user(), description.value)
                    except DomainError as error:
                        feedback.show(error)
                        return
                    box.close()
                    ui.notify(_('{url} saved.', url=saved.url), type='positive')
                    endpoint_list.refresh()
                    if secret:
                        show_secret(saved.id, new=True, secret=secret)

                dialogs.actions(box, _('Save'), save, 'webhook-save')
            box.open()

        endpoint_list()
        ui.button(_('Add endpoint'), icon='add', on_click=lambda: edit()).props('unelevated no-caps')

        with ui.card().classes('w-full max-w-xl p-4 gap-2'):
            ui.label(_('Settings')).classes('font-semibold')
            allow = ui.checkbox(_('Allow loopback, link-local and private addresses'), value=webhook_endpoints.allow_private())
            hours = ui.number(_('Disable an endpoint after it fails for (hours)'),
                              value=webhook_endpoints.disable_after().total_seconds() / 3600, min=0.01, max=2160) \
                .props('outlined').classes('w-80')
            settings_feedback = Feedback({'disable_after': hours})

            def save_settings() -> None:
                settings_feedback.clear()
                try:
                    webhook_endpoints.update_settings(allow.value, hours.value, by=session.current_user())
                except DomainError as error:
                    settings_feedback.show(error)
                    return
                ui.notify(_('Webhook settings saved.'), type='positive')

            ui.button(_('Save settings'), on_click=save_settings).props('outline no-caps')

        ui.label(_('Delivery log')).classes('text-lg mt-4')

        def redeliver(delivery: WebhookDelivery) -> None:
            def act() -> str:
                webhook_endpoints.redeliver(delivery.id, by=session.current_user())
                return _('The delivery is queued again.')
            attempt(act, deliveries.refresh)

        def actions(delivery: WebhookDelivery) -> None:
            if delivery.status != DeliveryStatus.SENDING:
                _named(ui.button(_('Redeliver'), on_click=lambda d=delivery: redeliver(d)).props('flat dense no-caps'),
                       _('Redeliver {message}', message=delivery.event.message_id))

        deliveries = PagedTable([
            Column(_('Event'), lambda d: ui.label(d.event.type), '1.2fr'),
            Column(_('Endpoint'), lambda d: ui.label(d.endpoint.url).classes('break-all text-sm'), '1.5fr'),
            Column(_('Status'), lambda d: status_chip(d.status), '0.8fr'),
            Column(_('Response'), lambda d: ui.label(str(d.response_code or '') + (f' {d.last_error}' if d.last_error and
                                                                                d.status != DeliveryStatus.DELIVERED else ''))
                   .classes('text-sm'), '1fr'),
            Column(_('Time'), lambda d: ui.label(_when(d.last_attempt_at or d.created_at)).classes('text-sm'), '1fr'),
            Column(_('Tries'), lambda d: ui.label(i18n.number(d.attempts)), '0.4fr'),
            Column(_('Answer'), lambda d: ui.label(d.response_excerpt[:120]).classes('text-sm font-mono break-all'), '1.5fr'),
            Column('', actions, '0.8fr'),
        ], fetch_deliveries, empty=_('No deliveries yet.'), search_label=_('Search event, URL, status or webhook-id'),
            marker='deliveries')
        ui.timer(3, deliveries.refresh)
