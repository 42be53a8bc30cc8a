"""Keys over time in a real browser, through the shipped nginx example (issue 26). Rotation with an overlap: a
developer rotates a key with "the old key stops in 1 hour", both keys pass nginx, My apps shows both with the old
key's end, and once the clock passes that end nginx refuses the old key (with its reason) and lets the new one
through. A plan change: the same key gets the new plan's limit at nginx at once."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from db import clock
from components import docs
from db.models import AccessRequest, CatalogPlan, Credential, Plan
from tests.peers import call
from tests.servers import NGINX
from tests.utils import a_catalog_world, a_user
from workflows import access, credentials

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(NGINX is None, reason='nginx is not installed (apt-get install nginx-light)')]


def test_a_developer_rotates_with_an_hour_of_overlap_and_both_keys_pass_nginx_until_it_ends(screen, browser,
                                                                                          nginx_gateway) -> None:
    b = browser
    screen.open('/login')  # the portal starts (and opens its database)
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    old = Credential.get(Credential.access_request == request)
    old_key = credentials.reveal(old, dev)
    through_nginx = f'{nginx_gateway}/weather/forecast'
    try:
        b.opens_as('dev@consumer.test', f'/apps/{request.app_id}')
        assert call(through_nginx, old_key)[0] == 200
        b.click('Rotate')
        dialog = b.open_dialog()
        b.sees('Until the old key stops, both work', within=dialog)
        b.pick('in 1 hour')
        b.click('Rotate', within=dialog)
        b.notified('The old key works for 1 hour more')
        b.sees('switch your clients to the new key before then')
        new = Credential.select().where(Credential.access_request == request).order_by(Credential.id.desc()).get()
        assert new.id != old.id and Credential.get_by_id(old.id).expires_at is not None
        new_block = screen.selenium.find_element(  # the new key's block, as the developer reads and copies it
            By.XPATH, f"//div[contains(@class, 'bg-grey-2')][.//*[starts-with(normalize-space(text()), "
                      f"'{new.key_prefix}')]]")
        b.click('Show / hide', within=new_block)
        new_key = credentials.reveal(new, dev)
        b.sees(new_key)
        assert call(through_nginx, old_key)[0] == 200  # both keys work during the overlap
        status, _, body = call(through_nginx, new_key)
        assert status == 200 and 'weather' in body

        clock.advance(timedelta(hours=1, minutes=1))
        status, headers, body = call(through_nginx, old_key)  # nginx passes Portico's reason on
        assert status == 401 and 'replaced and has stopped working' in body, body
        assert headers['Content-Type'] == 'application/json'
        assert call(through_nginx, new_key)[0] == 200
        screen.open(f'/apps/{request.app_id}')
        b.sees(f'{new.key_prefix}')
        b.does_not_see('switch your clients to the new key before then')
    finally:
        clock.reset()


def test_a_developer_changes_the_plan_and_nginx_applies_the_new_limit_to_the_same_key(screen, browser,
                                                                                       nginx_gateway) -> None:
    b = browser
    screen.open('/login')
    world = a_catalog_world()  # Free: 5 calls a minute
    plus = Plan.create(name='Plus', rate_limit=50, rate_period=60, quota=0, requires_approval=False)
    CatalogPlan.create(catalog=world['Public'], plan=plus)
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)
    through_nginx = f'{nginx_gateway}/weather/forecast'
    assert [call(through_nginx, key)[0] for _ in range(6)] == [200] * 5 + [429]
    b.opens_as('dev@consumer.test', f'/apps/{request.app_id}')
    b.sees('plan Free')
    b.click('Change plan')
    dialog = b.open_dialog()
    b.sees('The key stays the same', within=dialog)
    b.pick(f'Plus: {docs.plan_summary(plus)}')
    b.click('Change plan', within=dialog)
    b.notified('Bot is on Plus now, with the same key.')
    b.sees('plan Plus')
    assert AccessRequest.get_by_id(request.id).plan_id == plus.id and Credential.select().count() == 1
    status, _, body = call(through_nginx, key)  # the same key, counted on in the same minute: 7 of 50
    assert status == 200 and json.loads(body)['plan'] == 'Plus'
    assert [call(through_nginx, key)[0] for _ in range(5)] == [200] * 5
