"""API versions and deprecation in a real browser (issue 26, item 5): a portal admin adds v2 of an API and deprecates
v1 with a sunset and v2 as its successor through the real dialogs (a sunset in the past is refused next to its
field); the app's owner gets the email, the webhook event is written, calls through the shipped nginx example carry
the Deprecation, Sunset and Link headers, and the product page says it."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from db import clock
from db.models import Api, Credential, User, WebhookEvent
from tests.peers import call, eventually
from tests.servers import NGINX
from tests.utils import WEATHER_OPENAPI, a_catalog_world, a_user
from workflows import access, api_versions, credentials, webhook_endpoints

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(NGINX is None, reason='nginx is not installed (apt-get install nginx-light)')]


def test_an_admin_adds_v2_and_deprecates_v1_and_sees_the_email_the_webhook_and_the_headers(screen, browser, mailbox,
                                                                                          nginx_gateway) -> None:
    b = browser
    screen.open('/login')  # the portal starts (and opens its database)
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)
    gateway = nginx_gateway
    admin = b.admin_opens('/admin/apis')
    webhook_endpoints.update_settings(True, 72, by=admin)
    webhook_endpoints.save_endpoint(None, 'http://127.0.0.1:9/hooks', ['api.deprecated'], True, by=admin)
    assert call(gateway + '/weather/forecast', key)[0] == 200

    b.click('Versions', within=b.row('/weather/'))
    b.click('Add a version')
    dialog = b.open_dialog()
    b.sees('name the current one too', within=dialog)
    b.fills({'Label of the new version': 'v2', 'Base path (listen path)': '/weather/'}, within=dialog)
    b.click('Add the version', within=dialog)
    assert 'listens on /weather/' in b.field_error('Base path (listen path)', within=dialog)
    assert Api.select().where(Api.name == 'Weather API').count() == 1
    b.fill('Base path (listen path)', '/weather/v2/', within=dialog)
    b.paste('OpenAPI document (JSON or YAML)', WEATHER_OPENAPI.replace('1.0.0', '2.0.0'), within=dialog)
    b.click('Add the version', within=dialog)
    b.notified('Weather API v2 added.')
    b.dialog_closed()
    v1, v2 = Api.get(Api.base_path == '/weather/'), Api.get(Api.base_path == '/weather/v2/')
    assert (v1.version, v2.version, v2.version_of_id) == ('v1', 'v2', v1.id)

    b.click('Versions', within=b.row('v1'))
    b.click('Deprecate')
    dialog = b.open_dialog()
    b.sees('Deprecate Weather API v1', within=dialog)
    b.fill('Sunset date (UTC)', '2001-01-01', within=dialog)
    b.click('Deprecate', within=dialog)
    assert b.field_error('Sunset date (UTC)', within=dialog) == 'The sunset must be in the future.'
    assert Api.get_by_id(v1.id).deprecated_at is None
    sunset = (clock.now() + timedelta(days=45)).date().isoformat()
    b.fill('Sunset date (UTC)', sunset, within=dialog)
    b.click('Deprecate', within=dialog)
    b.notified(f'Weather API v1 is deprecated: it stops on {sunset}.')
    b.dialog_closed()
    b.sees(f'Deprecated: stops on {sunset}', within=b.row('v1'))
    v1 = Api.get_by_id(v1.id)
    assert v1.successor_id == v2.id and v1.sunset_at.date().isoformat() == sunset

    email = mailbox.expect('dev@consumer.test', 'Weather API v1 is deprecated')
    assert sunset in email.body and 'Move to Weather API v2' in email.body and '/weather/v2/' in email.body
    [event] = WebhookEvent.select().where(WebhookEvent.type == 'api.deprecated')
    data = json.loads(event.payload)['data']
    assert data['app_ids'] == [request.app_id] and data['api']['successor']['version'] == 'v2'
    assert key not in event.payload

    assert eventually(lambda: 'Deprecation' in call(gateway + '/weather/forecast', key)[1], 5)
    status, headers, _ = call(gateway + '/weather/forecast', key)
    assert status == 200 and headers['Deprecation'] == f'@{api_versions.unix(v1.deprecated_at)}'
    assert headers['Sunset'] == api_versions.http_date(v1.sunset_at)
    assert headers['Link'].endswith('/weather/v2/>; rel="successor-version"')
    assert 'Deprecation' not in call(gateway + '/weather/v2/forecast', key)[1]

    screen.open('/logout')
    b.opens_as('dev@consumer.test', '/products/weather')
    b.sees(f'Version v1 is deprecated: it stops on {sunset}.')
    b.click('Move to v2.')
    b.at(f'/products/weather/reference/{v2.id}')
    b.sees('2.0.0')  # the reference of v2
    assert User.get(User.email == 'dev@consumer.test')
