"""The admin REST API (issue 16): token authentication, the same workflows as the pages (emails, audit
naming the token), cursor paging, problem details naming the field, 404s, ETag/If-Match and 412."""
from __future__ import annotations

import asyncio
import json

import httpx
from standardwebhooks import Webhook

from api import webhooks as worker
from db.models import (AccessRequest, AccessStatus, App, AuditEvent, Credential, CredentialStatus, InviteCode,
                       OutboxMessage, Organisation, Team, User, UserStatus, WebhookEvent)
from tests.servers import Receiver
from tests.utils import PASSWORD, a_catalog_world, a_user, an_admin, an_org_with, free_port, in_days
from workflows import access, api_tokens, invite_codes, registration, webhook_endpoints

PROBLEM = 'application/problem+json'


def client(user, token: str | None = None) -> httpx.AsyncClient:
    headers = {'Authorization': f'Bearer {token}'} if token else {}
    return httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test/api/v1', headers=headers)


def tokens(admin=None) -> tuple[str, str]:
    admin = admin or an_admin()
    return api_tokens.create(admin, 'CRM', read_only=False)[1], api_tokens.create(admin, 'Reports')[1]


def a_pending_request() -> AccessRequest:
    world = a_catalog_world()
    developer = a_user('dev@consumer.test')
    return access.request_access(developer, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                 new_app_name='Shop')


async def test_without_a_good_token_the_api_answers_401_as_problem_details(user) -> None:
    an_admin()
    for token in (None, 'nonsense', 'ptk_' + 'x' * 43):
        async with client(user, token) as api:
            response = await api.get('/users')
        assert response.status_code == 401 and response.headers['content-type'] == PROBLEM
        assert response.headers['www-authenticate'] == 'Bearer'
        assert response.json()['title'] == 'Unauthorized' and response.json()['instance'] == '/api/v1/users'
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as browser:
        response = await browser.get('/api/v1/openapi.json')  # the description is public, like any API's docs
    assert response.status_code == 200 and response.json()['openapi'].startswith('3.1')


async def test_a_browser_session_does_not_open_the_api(user) -> None:
    from workflows import sessions
    admin = an_admin()
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as browser:
        await browser.get(f'/auth/session?ticket={sessions.issue_ticket(admin)}')
        response = await browser.get('/api/v1/users')
    assert response.status_code == 401


async def test_a_read_only_token_reads_but_may_not_change(user) -> None:
    writer, reader = tokens()
    waiting = a_user('waiting@dev.test', status=UserStatus.PENDING_APPROVAL)
    async with client(user, reader) as api:
        assert (await api.get(f'/users/{waiting.id}')).json()['status'] == 'pending_approval'
        response = await api.post(f'/users/{waiting.id}/approve')
    assert response.status_code == 403 and 'read-only' in response.json()['detail']
    assert User.get_by_id(waiting.id).status == UserStatus.PENDING_APPROVAL


async def test_approving_a_registration_sends_the_same_email_and_audit_naming_the_token(user) -> None:
    writer, _ = tokens()
    waiting = a_user('waiting@dev.test', status=UserStatus.PENDING_APPROVAL)
    async with client(user, writer) as api:
        response = await api.post(f'/users/{waiting.id}/approve')
        again = await api.post(f'/users/{waiting.id}/approve')
    assert response.status_code == 200 and response.json()['status'] == 'active'
    assert User.get_by_id(waiting.id).status == UserStatus.ACTIVE
    assert OutboxMessage.get(OutboxMessage.recipient == 'waiting@dev.test').template_key == 'created'
    event = AuditEvent.get(AuditEvent.action == 'registration.approve')
    assert event.actor.email == 'admin@provider.test' and event.detail['api_token'].startswith('CRM (ptk_')
    assert again.status_code == 409 and again.headers['content-type'] == PROBLEM


async def test_lists_are_paged_by_cursor_and_filtered(user) -> None:
    writer, _ = tokens()
    for number in range(7):
        a_user(f'dev{number}@consumer.test', status=UserStatus.INACTIVE if number % 2 else UserStatus.ACTIVE)
    seen = []
    async with client(user, writer) as api:
        cursor = None
        while True:
            response = await api.get('/users', params={'limit': 3, **({'cursor': cursor} if cursor else {})})
            body = response.json()
            seen += [item['email'] for item in body['items']]
            cursor = body['next_cursor']
            if cursor is None:
                break
        inactive = (await api.get('/users', params={'status': 'inactive'})).json()['items']
        search = (await api.get('/users', params={'email': 'DEV3@'})).json()['items']
        bad = await api.get('/users', params={'cursor': 'not-ours'})
        bad_limit = await api.get('/users', params={'limit': 0})
    assert len(seen) == len(set(seen)) == User.select().count()
    assert {item['email'] for item in inactive} == {'dev1@consumer.test', 'dev3@consumer.test', 'dev5@consumer.test'}
    assert [item['email'] for item in search] == ['dev3@consumer.test']
    assert bad.status_code == 422 and bad.json()['field'] == 'cursor'
    assert bad_limit.status_code == 422 and bad_limit.json()['field'] == 'limit'


async def test_bad_input_is_refused_naming_the_field_and_changes_nothing(user) -> None:
    writer, _ = tokens()
    async with client(user, writer) as api:
        taken = await api.post('/users', json={'first_name': 'Ann', 'last_name': 'Other',
                                                'email': 'admin@provider.test'})
        both = await api.post('/users', json={'first_name': 'Ann', 'last_name': 'Other', 'email': 'ann@dev.test',
                                               'password': 'a long enough password', 'send_invite': True})
        missing = await api.post('/users', json={'first_name': 'Ann'})
        created = await api.post('/users', json={'first_name': 'Ann', 'last_name': 'Other', 'email': 'ann@dev.test',
                                                  'send_invite': True})
    assert taken.status_code == 409 and taken.json()['field'] == 'email'  # refused by the state of things
    assert both.status_code == 422 and both.json()['field'] == 'password'
    assert missing.status_code == 422 and {e['field'] for e in missing.json()['errors']} == {'last_name', 'email'}
    assert created.status_code == 201 and created.headers['location'] == f'/api/v1/users/{created.json()["id"]}'
    assert User.get(User.email == 'ann@dev.test').status == UserStatus.INVITED
    assert OutboxMessage.get(OutboxMessage.recipient == 'ann@dev.test').template_key == 'invite'


async def test_what_does_not_exist_is_404(user) -> None:
    writer, _ = tokens()
    async with client(user, writer) as api:
        for path in ('/users/999', '/apps/999', '/access-requests/999', '/credentials/999', '/organisations/999',
                     '/teams/999', '/apis/999', '/products/999', '/plans/999', '/catalogs/999',
                     '/email-templates/nope', f'/users/{2 ** 70}'):
            response = await api.get(path)
            assert response.status_code in (404, 422) and response.headers['content-type'] == PROBLEM, path
        edits = {'/users/999': {'first_name': 'Ghost'}, '/invite-codes/999': {'note': 'Ghost'},
                 **{f'/{kind}/999': {'name': 'Ghost'} for kind in ('organisations', 'teams', 'apis', 'products',
                                                                    'plans', 'catalogs')}}
        for path, body in edits.items():  # an edit of nothing: 404, nothing written
            response = await api.patch(path, json=body, headers={'If-Match': '*'})
            assert response.status_code == 404 and response.headers['content-type'] == PROBLEM, path
            assert 'not found' in response.json()['detail'].lower(), path


async def test_two_admins_never_overwrite_each_other_silently(user) -> None:
    writer, _ = tokens()
    org = an_org_with('Acme')
    async with client(user, writer) as api:
        read = await api.get(f'/organisations/{org.id}')
        etag = read.headers['etag']
        first = await api.patch(f'/organisations/{org.id}', json={'name': 'Acme Corp'}, headers={'If-Match': etag})
        second = await api.patch(f'/organisations/{org.id}', json={'name': 'Acme Ltd'}, headers={'If-Match': etag})
    assert first.status_code == 200 and first.headers['etag'] != etag
    assert second.status_code == 412 and second.json()['field'] == 'If-Match'
    assert Organisation.get_by_id(org.id).name == 'Acme Corp'


async def test_parallel_updates_with_the_same_etag_exactly_one_wins(user) -> None:
    writer, _ = tokens()
    org = an_org_with('Acme')
    async with client(user, writer) as api:
        etag = (await api.get(f'/organisations/{org.id}')).headers['etag']
        answers = await asyncio.gather(*[api.patch(f'/organisations/{org.id}', json={'name': f'Acme {n}'},
                                                   headers={'If-Match': etag}) for n in range(6)])
    assert sorted(a.status_code for a in answers) == [200] + [412] * 5


async def test_access_requests_are_decided_with_the_same_rules_and_keys_never_shown(user) -> None:
    writer, _ = tokens()
    request = a_pending_request()
    async with client(user, writer) as api:
        pending = (await api.get('/access-requests', params={'status': 'pending'})).json()['items']
        assert [item['id'] for item in pending] == [request.id]
        approved = await api.post(f'/access-requests/{request.id}/approve')
        assert approved.status_code == 200 and approved.json()['status'] == 'approved'
        [credential] = (await api.get('/credentials', params={'app_id': request.app_id})).json()['items']
        stored = Credential.get_by_id(credential['id'])
        assert credential['key_prefix'] == stored.key_prefix and 'key' not in credential
        assert stored.key_hash not in (await api.get(f'/credentials/{stored.id}')).text
        revoked = await api.post(f'/credentials/{stored.id}/revoke')
        assert revoked.json()['status'] == 'revoked'
        assert Credential.get_by_id(stored.id).status == CredentialStatus.REVOKED
        revoke_request = await api.post(f'/access-requests/{request.id}/revoke', json={'reason': 'unpaid'})
    assert revoke_request.json()['status'] == 'revoked'
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.REVOKED
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'access_approved').count() == 1


async def test_rejecting_an_access_request_sends_the_reason(user) -> None:
    writer, _ = tokens()
    request = a_pending_request()
    async with client(user, writer) as api:
        too_long = await api.post(f'/access-requests/{request.id}/reject', json={'reason': 'x' * 501})
        response = await api.post(f'/access-requests/{request.id}/reject', json={'reason': 'No contract yet.'})
    assert too_long.status_code == 422 and too_long.json()['field'] == 'reason'
    assert response.json()['status'] == 'rejected' and response.json()['reason'] == 'No contract yet.'
    message = OutboxMessage.get(OutboxMessage.template_key == 'access_rejected')
    assert 'No contract yet.' in message.context['reason_part']


async def test_a_demoted_admins_tokens_stop_at_once(user) -> None:
    admin = an_admin()
    writer, _ = tokens(admin)
    async with client(user, writer) as api:
        assert (await api.get('/settings')).status_code == 200
        User.update(is_portal_admin=False).where(User.id == admin.id).execute()
        assert (await api.get('/settings')).status_code == 401
        User.update(is_portal_admin=True).where(User.id == admin.id).execute()
        assert (await api.get('/settings')).status_code == 401  # revoked, not silenced: promotion revives nothing


async def test_a_reactivated_admins_old_token_stays_refused(user) -> None:
    """A token stolen before the admin was deactivated must not come back when the admin does."""
    admin, boss = an_admin(), an_admin('boss@provider.test')
    stolen, _ = tokens(admin)
    boss_token, _ = tokens(boss)
    async with client(user, boss_token) as api:
        assert (await api.post(f'/users/{admin.id}/deactivate')).status_code == 200
        assert (await api.post(f'/users/{admin.id}/activate')).status_code == 200
    assert User.get_by_id(admin.id).status == UserStatus.ACTIVE
    async with client(user, stolen) as api:
        refused = await api.get('/settings')
    assert refused.status_code == 401 and refused.headers['content-type'] == PROBLEM
    event = AuditEvent.get(AuditEvent.action == 'api_token.revoke_all')
    assert event.target_id == admin.id and event.actor_id == boss.id and event.detail['tokens'] == 2


async def test_settings_templates_and_audit_events(user) -> None:
    writer, _ = tokens()
    async with client(user, writer) as api:
        read = await api.get('/settings')
        changed = await api.patch('/settings', json={'portal_name': 'Acme APIs'}, headers={'If-Match': read.headers['etag']})
        stale = await api.patch('/settings', json={'portal_name': 'Other'}, headers={'If-Match': read.headers['etag']})
        unknown = await api.patch('/settings', json={'secret_key': 'x'}, headers={'If-Match': '*'})
        template = await api.put('/email-templates/created', json={'subject': 'Welcome to ${portal_name}',
                                                                   'body': 'Hello ${first_name}, ${nope}'},
                                 headers={'If-Match': '*'})
        events = (await api.get('/audit-events', params={'action': 'settings.update'})).json()['items']
    assert changed.json()['portal_name'] == 'Acme APIs' and stale.status_code == 412
    assert unknown.status_code == 422
    assert template.status_code == 422 and template.json()['field'] == 'body'
    assert len(events) == 1 and events[0]['detail']['changes'] == {'portal_name': 'Acme APIs'}


async def test_apps_are_approved_and_rejected(user) -> None:
    from tests.utils import set_settings
    writer, _ = tokens()
    set_settings(auto_approve_apps=False)
    developer = a_user('dev@consumer.test')
    from workflows import apps
    first = apps.create_app('First', '', by=developer)
    second = apps.create_app('Second', '', by=developer)
    async with client(user, writer) as api:
        assert (await api.post(f'/apps/{first.id}/approve')).json()['status'] == 'active'
        assert (await api.post(f'/apps/{second.id}/reject', json={'reason': 'dup'})).json()['status'] == 'rejected'
        listed = (await api.get('/apps', params={'owner_id': developer.id})).json()['items']
    assert [app['status'] for app in listed] == ['active', 'rejected']
    assert App.get_by_id(first.id).status == 'active'


async def test_crafted_paths_and_headers_get_problem_details(user) -> None:
    writer, _ = tokens()
    async with client(user, writer) as api:
        for path in ('/apis/%0AP/openapi', '/users/%00', '/nothing-here', '/users/1%0A', '/users/-1'):
            response = await api.get(path)
            assert response.status_code in (404, 422) and response.headers['content-type'] == PROBLEM, path
        response = await api.patch('/settings', content=b'\xff\x00{',
                                   headers={'Content-Type': 'application/json', 'If-Match': '*'})
        assert response.status_code in (400, 422) and response.headers['content-type'] == PROBLEM
        response = await api.options('/apis')
        assert response.status_code == 405 and response.headers['allow'] == 'GET, POST'
    async with client(user, 'ptk_' + 'x' * 5000) as api:
        assert (await api.get('/users')).status_code == 401


async def test_a_huge_body_is_refused_before_it_is_read(user) -> None:
    writer, _ = tokens()
    async with client(user, writer) as api:
        response = await api.post('/organisations', content=b'{"name": "' + b'x' * (12 * 1024 * 1024) + b'"}',
                                  headers={'Content-Type': 'application/json'})
    assert response.status_code == 413 and response.headers['content-type'] == PROBLEM
    assert Organisation.select().count() == 1


async def test_two_integrations_approving_at_once_exactly_one_wins(user) -> None:
    writer, _ = tokens()
    request = a_pending_request()
    async with client(user, writer) as api:
        answers = await asyncio.gather(*[api.post(f'/access-requests/{request.id}/approve') for _ in range(5)])
    assert sorted(a.status_code for a in answers) == [200] + [409] * 4
    assert Credential.select().where(Credential.access_request == request.id).count() == 1


async def test_an_admin_corrects_a_name_with_if_match(user) -> None:
    writer, _ = tokens()
    person = a_user('typo@dev.test', first='Jhon')
    async with client(user, writer) as api:
        etag = (await api.get(f'/users/{person.id}')).headers['etag']
        fixed = await api.patch(f'/users/{person.id}', json={'first_name': 'John'}, headers={'If-Match': etag})
        stale = await api.patch(f'/users/{person.id}', json={'first_name': 'Jon'}, headers={'If-Match': etag})
        empty = await api.patch(f'/users/{person.id}', json={'last_name': ' '}, headers={'If-Match': '*'})
    assert fixed.json()['first_name'] == 'John' and stale.status_code == 412
    assert empty.status_code == 422 and empty.json()['field'] == 'last_name'
    assert User.get_by_id(person.id).first_name == 'John'
    assert AuditEvent.get(AuditEvent.action == 'user.update').detail['api_token'].startswith('CRM')


async def test_an_update_without_if_match_is_refused_with_428_and_changes_nothing(user) -> None:
    """Two admins never overwrite each other silently: every PATCH/PUT of an item with an ETag must name the
    version it changes (RFC 6585, 428 Precondition Required), even one with a bad body."""
    writer, _ = tokens()
    person = a_user('typo@dev.test', first='Jhon')
    org = an_org_with('Acme')
    updates = [('PATCH', f'/users/{person.id}', {'first_name': 'John'}), ('PUT', f'/users/{person.id}/teams', {}),
               ('PATCH', f'/organisations/{org.id}', {'name': 'Other'}), ('PATCH', '/settings', {'portal_name': 'X'}),
               ('PUT', '/email-templates/created', {'subject': 'x', 'body': 'y'}),
               ('PATCH', f'/users/{person.id}', {'first_name': 7})]
    async with client(user, writer) as api:
        answers = [await api.request(method, path, json=body) for method, path, body in updates]
        unknown = await api.patch('/users/999999', json={'first_name': 'John'})  # tells nothing about existence
        description = (await api.get('/openapi.json')).json()
    for answer in answers + [unknown]:
        assert answer.status_code == 428 and answer.headers['content-type'] == PROBLEM
        assert answer.json()['field'] == 'If-Match' and 'If-Match' in answer.json()['detail']
        assert answer.json()['title'] == 'Precondition required'
    assert User.get_by_id(person.id).first_name == 'Jhon' and Organisation.get_by_id(org.id).name == 'Acme'
    assert not AuditEvent.select().where(AuditEvent.action.in_(['user.update', 'organisation.update'])).exists()
    for path, operations in description['paths'].items():
        for method, operation in operations.items():
            if method in ('patch', 'put'):
                header = [p for p in operation['parameters'] if p['in'] == 'header' and p['name'] == 'If-Match']
                assert header and header[0]['required'] and '428' in operation['responses'], (method, path)


# --- invite codes (issue 15) and their webhook -----------------------------------------------------------

async def test_invite_codes_are_managed_by_token_and_the_code_is_shown_once(user) -> None:
    writer, reader = tokens()
    acme = an_org_with('Acme')
    team = Team.get(Team.organisation == acme)
    async with client(user, writer) as api:
        created = await api.post('/invite-codes', json={'team_id': team.id, 'quota': 3, 'expires_on': in_days(7),
                                                        'note': 'Hackathon'})
        body = created.json()
        code_id, raw = body['id'], body['code']
        assert created.status_code == 201 and raw.startswith('inv_') and body['link'].endswith(f'/register?code={raw}')
        assert created.headers['location'] == f'/api/v1/invite-codes/{code_id}'
        assert created.headers['cache-control'] == 'no-store'
        got = await api.get(f'/invite-codes/{code_id}')
        listed = await api.get('/invite-codes', params={'organisation_id': acme.id, 'state': 'active'})
        for answer in (got, listed):  # never the code itself after its creation
            assert answer.status_code == 200 and raw not in answer.text and raw[:10] in answer.text
        assert got.json()['team_name'] == 'Default team' and got.json()['remaining'] == 3
        assert [item['id'] for item in listed.json()['items']] == [code_id]
        edited = await api.patch(f'/invite-codes/{code_id}', json={'quota': 5, 'note': 'Hackathon 2'},
                                 headers={'If-Match': got.headers['etag']})
        stale = await api.patch(f'/invite-codes/{code_id}', json={'quota': 9}, headers={'If-Match': got.headers['etag']})
        deactivated = await api.post(f'/invite-codes/{code_id}/deactivate')
        again = await api.post(f'/invite-codes/{code_id}/deactivate')
        inactive = await api.get('/invite-codes', params={'state': 'inactive'})
        activated = await api.post(f'/invite-codes/{code_id}/activate')
        bad_team = await api.post('/invite-codes', json={'team_id': 999999, 'quota': 3, 'expires_on': in_days(7)})
        past = await api.post('/invite-codes', json={'team_id': team.id, 'quota': 3, 'expires_on': '2001-01-01'})
        missing = await api.get('/invite-codes/999999')
    async with client(user, reader) as api:
        refused = await api.post('/invite-codes', json={'team_id': team.id, 'quota': 3, 'expires_on': in_days(7)})
    assert edited.status_code == 200 and edited.json()['quota'] == 5 and edited.json()['note'] == 'Hackathon 2'
    assert stale.status_code == 412 and InviteCode.get_by_id(code_id).quota == 5
    assert deactivated.json()['state'] == 'inactive' and again.status_code == 409
    assert [item['id'] for item in inactive.json()['items']] == [code_id]
    assert activated.json()['state'] == 'active'
    assert bad_team.status_code == 422 and bad_team.json()['field'] == 'team_id'
    assert past.status_code == 422 and past.json()['field'] == 'expires_on'
    assert missing.status_code == 404 and refused.status_code == 403
    assert InviteCode.select().count() == 1
    actions = [event.action for event in AuditEvent.select().where(AuditEvent.action.startswith('invite_code.'))
               .order_by(AuditEvent.id)]
    assert actions == ['invite_code.create', 'invite_code.edit', 'invite_code.deactivate', 'invite_code.activate']
    assert all(event.detail['api_token'].startswith('CRM') for event in
               AuditEvent.select().where(AuditEvent.action.startswith('invite_code.')))
    assert raw not in ' '.join(str(event.detail) for event in AuditEvent.select())


async def test_invite_code_lists_are_paged_newest_first(user) -> None:
    writer, _ = tokens()
    admin = User.get(User.email == 'admin@provider.test')
    team = Team.get(Team.organisation == an_org_with('Acme'))
    # notes with a space: a search for one cannot also match a random code prefix (base64url has no space)
    ids = [invite_codes.create(team.id, 2, in_days(3), 'active', f'note {n}', by=admin)[0].id for n in range(5)]
    seen, cursor = [], None
    async with client(user, writer) as api:
        while True:
            answer = (await api.get('/invite-codes', params={'limit': 2, **({'cursor': cursor} if cursor else {})})).json()
            seen += [item['id'] for item in answer['items']]
            cursor = answer['next_cursor']
            if not cursor:
                break
        found = (await api.get('/invite-codes', params={'search': 'note 3'})).json()['items']
    assert seen == ids[::-1] and [item['id'] for item in found] == [ids[3]]


def test_registering_with_an_invite_code_sends_the_signed_invite_code_used_webhook(db) -> None:
    admin = an_admin()
    team = Team.get(Team.organisation == an_org_with('Acme'))
    code, raw = invite_codes.create(team.id, 2, in_days(3), 'active', 'Partners', by=admin)
    receiver = Receiver(free_port())
    try:
        webhook_endpoints.update_settings(True, 72, by=admin)  # the receiver is on loopback
        _, secret = webhook_endpoints.save_endpoint(None, receiver.url, ['invite_code.used'], True, by=admin)
        registration.register('Pat', 'Partner', 'pat@partner.test', PASSWORD, PASSWORD, invite_code=raw)
        assert [event.type for event in WebhookEvent.select()] == ['invite_code.used']
        assert worker.deliver_due() == 1
        [(headers, body)] = receiver.received
    finally:
        receiver.stop()
    payload = Webhook(secret).verify(body, headers)
    text = body.decode() if isinstance(body, bytes) else body
    assert payload['type'] == 'invite_code.used' and raw not in text
    data = json.loads(text)['data']
    assert data['invite_code'] == {'id': code.id, 'code_prefix': code.code_prefix, 'team_id': team.id,
                                   'organisation_id': team.organisation_id, 'used': 1, 'quota': 2}
    assert data['actor']['email'] == 'pat@partner.test'


# --- deleting users ------------------------------------------------------------------------------------------

async def test_deleting_a_user_retires_their_keys_and_keeps_what_others_need(user) -> None:
    from gateway import keys as gateway_keys
    writer, _ = tokens()
    world = a_catalog_world()
    developer = a_user('dev@consumer.test')
    request = access.request_access(developer, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    credential = Credential.get(Credential.access_request == request)
    assert gateway_keys.lookup_blocking(credential.key_hash) is not None  # works, and is cached
    an_org_with('Acme', super_admin='boss@acme.test')
    boss = User.get(User.email == 'boss@acme.test')
    admin = User.get(User.email == 'admin@provider.test')
    async with client(user, writer) as api:
        deleted = await api.delete(f'/users/{developer.id}')
        gone = await api.get(f'/users/{developer.id}')
        again = await api.delete(f'/users/{developer.id}')
        last_boss = await api.delete(f'/users/{boss.id}')
        myself = await api.delete(f'/users/{admin.id}')
    assert deleted.status_code == 204 and gone.status_code == 404 and again.status_code == 404
    assert not User.select().where(User.email == 'dev@consumer.test').exists()
    assert gateway_keys.lookup_blocking(credential.key_hash) is None  # the key stopped at once, on this instance
    app = App.get_by_id(request.app_id)  # the app and its history stay, without an owner
    assert app.owner_id is None and AccessRequest.get_by_id(request.id).requested_by_id is None
    assert AuditEvent.select().where(AuditEvent.actor == developer.id).count() == 0
    event = AuditEvent.get(AuditEvent.action == 'user.delete')
    assert event.detail['email'] == 'dev@consumer.test' and event.detail['api_token'].startswith('CRM')
    assert event.target_type == 'user' and event.target_id == developer.id and event.actor_id == admin.id
    assert last_boss.status_code == 409 and 'last super admin of Acme' in last_boss.json()['detail']
    assert myself.status_code == 409 and 'your own account' in myself.json()['detail']
    assert User.select().where(User.id.in_([boss.id, admin.id])).count() == 2
    assert AuditEvent.select().where(AuditEvent.action == 'user.delete').count() == 1


async def test_two_admins_deleting_each_other_at_once_leave_one(user) -> None:
    first = an_admin('first@provider.test')
    second = an_admin('second@provider.test')
    _, first_token = api_tokens.create(first, 'A', read_only=False)
    _, second_token = api_tokens.create(second, 'B', read_only=False)
    async with client(user, first_token) as a, client(user, second_token) as b:
        answers = await asyncio.gather(a.delete(f'/users/{second.id}'), b.delete(f'/users/{first.id}'))
    codes = sorted(answer.status_code for answer in answers)
    assert codes[0] == 204 and codes[1] in (401, 409), codes  # the loser was deleted, or its target is the last
    assert User.select().where(User.is_portal_admin).count() == 1


async def test_invite_code_attacks_parallel_edits_and_crafted_input(user) -> None:
    writer, _ = tokens()
    admin = User.get(User.email == 'admin@provider.test')
    team = Team.get(Team.organisation == an_org_with('Acme'))
    code, raw = invite_codes.create(team.id, 5, in_days(3), 'active', '', by=admin)
    async with client(user, writer) as api:
        etag = (await api.get(f'/invite-codes/{code.id}')).headers['etag']
        answers = await asyncio.gather(*[api.patch(f'/invite-codes/{code.id}', json={'quota': 10 + n},
                                                   headers={'If-Match': etag}) for n in range(5)])
        toggles = await asyncio.gather(*[api.post(f'/invite-codes/{code.id}/deactivate') for _ in range(5)])
        crafted = [await api.get('/invite-codes', params={'search': 'a\x00b'}),
                   await api.post('/invite-codes', json={'team_id': team.id, 'quota': '5', 'expires_on': in_days(3)}),
                   await api.post('/invite-codes', json={'team_id': team.id, 'quota': 0, 'expires_on': in_days(3)}),
                   await api.post('/invite-codes', json={'team_id': team.id, 'quota': 2, 'expires_on': '9999-12-31'}),
                   await api.post('/invite-codes', json={'team_id': team.id, 'quota': 2, 'expires_on': in_days(3),
                                                         'note': 'x' * 201}),
                   await api.post('/invite-codes', json={'team_id': team.id, 'quota': 2, 'expires_on': in_days(3),
                                                         'code': 'inv_mine'}),
                   await api.get(f'/invite-codes/{code.id}', params={'code': raw})]
    assert sorted(a.status_code for a in answers) == [200] + [412] * 4
    assert sorted(a.status_code for a in toggles) == [200] + [409] * 4
    assert [a.status_code for a in crafted] == [422] * 6 + [200] and raw not in crafted[-1].text
    assert all(a.headers['content-type'] == PROBLEM for a in crafted[:6])
    assert InviteCode.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == 'invite_code.deactivate').count() == 1


async def test_wrong_tokens_through_one_proxy_address_never_lock_out_a_valid_token(user) -> None:
    """Issue 27: schemathesis's authentication checks (and anyone behind the same reverse proxy) send wrong tokens
    from the address a provider's automation uses; past the limit they get 429, the valid token 200 throughout."""
    from tests.utils import at_the_start_of_a_window
    from workflows import throttle
    good, _ = tokens()
    limit = throttle.limit_of('api-token-client:x').attempts
    at_the_start_of_a_window('api-token-client:x')
    async with client(user, 'ptk_' + 'W' * 43) as wrong, client(user, good) as right:
        answers = [(await wrong.get('/users')).status_code for _ in range(limit + 3)]
        assert answers[:limit] == [401] * limit and answers[limit:] == [429] * 3
        assert (await right.get('/users')).status_code == 200
        assert (await wrong.get('/users')).status_code == 429
        assert (await right.get('/users')).status_code == 200


async def test_the_audit_filter_takes_any_rfc_3339_time_and_says_what_it_wants_otherwise(user) -> None:
    """Issue 27: the description says date-time; every RFC 3339 form is taken, and a non-time gets 422 naming it."""
    good, _ = tokens()
    async with client(user, good) as api:
        for moment in ('2026-01-31T12:00:00Z', '2026-01-31T12:00:00.123456+02:00', '2026-01-31t12:00:00z'):
            assert (await api.get('/audit-events', params={'since': moment})).status_code == 200, moment
        for wrong in ('0000-00-00T00:00:00Z', '2026-01-31T12:00:00', 'yesterday'):
            answer = await api.get('/audit-events', params={'since': wrong})
            assert answer.status_code == 422 and answer.json()['field'] == 'since', wrong
        blank = await api.post('/plans', json={'name': '   '})
        assert blank.status_code == 422 and blank.json()['field'] == 'name'
        control = await api.post('/plans', json={'name': 'Gold\x07'})
        assert control.status_code == 422 and 'not allowed' in control.json()['detail']
