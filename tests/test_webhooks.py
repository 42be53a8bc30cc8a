"""Webhooks (issue 16, points 5-7): events written with the change, delivered by the worker to a real HTTP
receiver, signed per Standard Webhooks (verified with the `standardwebhooks` library), retried with back-off,
logged, redelivered by hand, and an endpoint that keeps failing is disabled with an email to the admins."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from api import webhooks as worker
from db import clock
from db.connection import database
from db.models import (AuditEvent, DeliveryStatus, OutboxMessage, UserStatus, WebhookAttempt, WebhookDelivery,
                       WebhookEndpoint, WebhookEvent)
from tests.servers import Receiver
from tests.utils import a_catalog_world, a_user, an_admin, free_port
from domain.errors import DomainError
from workflows import access, activation, registration, webhook_endpoints


@pytest.fixture
def receiver(db):
    server = Receiver(free_port())
    yield server
    server.stop()


def an_endpoint(url: str, events=('access_request.created',), admin=None) -> tuple[WebhookEndpoint, str]:
    admin = admin or an_admin()
    webhook_endpoints.update_settings(True, 72, by=admin)  # the receiver is on loopback
    return webhook_endpoints.save_endpoint(None, url, list(events), True, by=admin)


def a_request(world=None):
    world = world or a_catalog_world()
    developer = a_user('dev@consumer.test')
    return access.request_access(developer, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                 new_app_name='Shop')


def test_an_event_is_signed_delivered_and_logged(receiver) -> None:
    endpoint, secret = an_endpoint(receiver.url, ['access_request.created', 'app.created'])
    assert secret.startswith('whsec_') and secret not in endpoint.secret_encrypted
    request = a_request()
    assert WebhookEvent.select().count() == 2  # the app and the request, with the change
    assert worker.deliver_due() == 2
    types = []
    for headers, body in receiver.received:
        payload = Webhook(secret).verify(body, headers)  # raises unless the signature holds
        types.append(payload['type'])
        assert headers['webhook-id'].startswith('msg_') and headers['content-type'] == 'application/json'
    assert types == ['app.created', 'access_request.created']
    data = json.loads(receiver.received[1][1])['data']['access_request']
    assert data['id'] == request.id and data['status'] == 'pending' and data['products'][0]['name'] == 'Payments'
    assert len({headers['webhook-id'] for headers, _ in receiver.received}) == 2
    delivery = WebhookDelivery.get(WebhookDelivery.event == WebhookEvent.get(WebhookEvent.type == 'app.created'))
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.response_code == 204
    assert WebhookAttempt.get(WebhookAttempt.delivery == delivery).response_code == 204
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_endpoints.new_secret()).verify(receiver.received[0][1], receiver.received[0][0])


def test_events_roll_back_with_the_change(receiver) -> None:
    an_endpoint(receiver.url, ['user.deactivated'])
    admin = an_admin('other@provider.test')
    target = a_user('leaving@dev.test')
    with pytest.raises(RuntimeError):
        with database.atomic():
            activation.deactivate(target, by=admin)
            raise RuntimeError('the transaction fails after the change')
    assert WebhookEvent.select().count() == 0
    activation.deactivate(target, by=admin)
    assert WebhookEvent.get().type == 'user.deactivated'


def test_actions_without_subscribers_write_no_events(db) -> None:
    admin = an_admin()
    webhook_endpoints.save_endpoint(None, 'https://93.184.215.14/hooks', ['user.deactivated'], True, by=admin)
    a_request()
    assert WebhookEvent.select().count() == 0


def test_a_failing_receiver_is_retried_with_back_off_then_redelivered_by_hand(receiver) -> None:
    receiver.status = 500
    endpoint, secret = an_endpoint(receiver.url)
    a_request()
    assert worker.deliver_due() == 0
    delivery = WebhookDelivery.get()
    assert delivery.status == DeliveryStatus.QUEUED and delivery.attempts == 1 and delivery.response_code == 500
    assert delivery.response_excerpt == 'receiver is down'
    assert worker.deliver_due() == 0 and len(receiver.received) == 1  # not due yet: back-off
    clock.advance(timedelta(seconds=6))
    receiver.status = 200
    assert worker.deliver_due() == 1
    delivery = WebhookDelivery.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert WebhookEndpoint.get_by_id(endpoint.id).failing_since is None
    first, second = receiver.received
    assert first[0]['webhook-id'] == second[0]['webhook-id']  # the same message: the receiver de-duplicates
    webhook_endpoints.redeliver(delivery.id, by=an_admin('again@provider.test'))
    assert worker.deliver_due() == 1 and len(receiver.received) == 3
    assert WebhookAttempt.select().count() == 3
    assert AuditEvent.get(AuditEvent.action == 'webhook.redeliver').detail == {'delivery_id': delivery.id}


def test_an_endpoint_failing_too_long_is_disabled_and_the_admins_are_emailed(receiver) -> None:
    receiver.status = 503
    endpoint, _ = an_endpoint(receiver.url)
    webhook_endpoints.update_settings(True, 1, by=an_admin('boss@provider.test'))
    a_request()
    worker.deliver_due()
    for step in (timedelta(minutes=30), timedelta(minutes=31)):
        clock.advance(step)
        WebhookDelivery.update(next_attempt_at=clock.now()).execute()
        worker.deliver_due()
    endpoint = WebhookEndpoint.get_by_id(endpoint.id)
    assert not endpoint.enabled and 'failing since' in endpoint.disabled_reason
    notice = OutboxMessage.get(OutboxMessage.template_key == 'webhook_disabled')
    assert notice.recipient == 'api-admin@provider.test' and notice.context['webhook_url'] == receiver.url
    tries = len(receiver.received)
    clock.advance(timedelta(hours=3))
    assert worker.deliver_due() == 0 and len(receiver.received) == tries  # a disabled endpoint gets nothing
    receiver.status = 200
    webhook_endpoints.save_endpoint(endpoint.id, endpoint.url, endpoint.events, True, by=an_admin('fixer@provider.test'))
    assert worker.deliver_due() == 1  # enabled again, its queue goes out


@pytest.mark.parametrize('url', [
    'http://127.0.0.1:8080/hooks', 'http://localhost/hooks', 'http://0.0.0.0/', 'http://2130706433/',
    'http://0x7f.1/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data',
    'http://[fe80::1]/', 'http://[::1]/', 'http://10.1.2.3/', 'http://172.16.0.1/', 'http://172.31.255.254/',
    'http://192.168.0.10/', 'http://100.64.0.1/', 'http://100.127.255.254/',
    # IPv4 inside IPv6: NAT64 (well-known and local-use), 6to4, IPv4-compatible, Teredo (server, client)
    'http://[64:ff9b::a9fe:a9fe]/', 'http://[64:ff9b::7f00:1]/', 'http://[64:ff9b::a00:1]/',
    'http://[64:ff9b:1::a9fe:a9fe]/', 'http://[64:ff9b:1:5db8:d70e::]/',
    'http://[2002:7f00:1::]/', 'http://[2002:a9fe:a9fe::1]/', 'http://[2002:c0a8:1::]/',
    'http://[::7f00:1]/', 'http://[::a9fe:a9fe]/', 'http://[::ffff:a9fe:a9fe]/',
    'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'http://[2001:0:a00:1:8000:63bf:3fff:fdd2]/',
])
def test_private_addresses_are_refused_unless_allowed(db, url) -> None:
    admin = an_admin()
    with pytest.raises(DomainError) as refused:
        webhook_endpoints.save_endpoint(None, url, ['app.created'], True, by=admin)
    assert refused.value.field == 'url' and 'public addresses only' in str(refused.value)
    assert WebhookEndpoint.select().count() == 0
    with pytest.raises(DomainError, match='public addresses only'):  # and again at delivery
        webhook_endpoints.delivery_target(url)


@pytest.mark.parametrize('url', ['http://93.184.215.14/', 'http://[64:ff9b::5db8:d70e]/',
                                 'http://[2002:5db8:d70e::]/', 'http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/'])
def test_public_addresses_also_inside_ipv6_are_accepted(db, url) -> None:
    endpoint, _ = webhook_endpoints.save_endpoint(None, url, ['app.created'], True, by=an_admin())
    assert WebhookEndpoint.get_by_id(endpoint.id).url == url


@pytest.mark.parametrize('url', ['', 'ftp://example.com/', 'https://', 'https://user:pw@example.com/',
                                 'https://exa mple.com/', 'https://example.com/\n', 'x' * 3000,
                                 'https://no-such-host.invalid/'])
def test_bad_urls_are_refused_next_to_the_field(db, url) -> None:
    with pytest.raises(DomainError) as refused:
        webhook_endpoints.save_endpoint(None, url, ['app.created'], True, by=an_admin())
    assert refused.value.field == 'url'


def test_events_must_be_chosen_from_the_list(db) -> None:
    admin = an_admin()
    for events in ([], ['nope.happened']):
        with pytest.raises(DomainError) as refused:
            webhook_endpoints.save_endpoint(None, 'https://93.184.215.14/', events, True, by=admin)
        assert refused.value.field == 'events'


def test_a_redirect_is_not_followed(receiver) -> None:
    """A receiver answering 3xx could send the portal to an internal address: it counts as a failure."""
    receiver.status = 302
    an_endpoint(receiver.url)
    a_request()
    assert worker.deliver_due() == 0
    assert WebhookDelivery.get().response_code == 302 and len(receiver.received) == 1


def test_an_address_that_turned_private_is_refused_at_delivery(receiver) -> None:
    endpoint, _ = an_endpoint(receiver.url)
    webhook_endpoints.update_settings(False, 72, by=an_admin('strict@provider.test'))
    a_request()
    worker.deliver_due()
    delivery = WebhookDelivery.get()
    assert delivery.status == DeliveryStatus.QUEUED and 'loopback' in delivery.last_error
    assert receiver.received == []


def test_user_events_carry_no_secret(receiver) -> None:
    endpoint, secret = an_endpoint(receiver.url, ['user.registered', 'user.activated', 'user.password_reset_requested'])
    admin = an_admin('decider@provider.test')
    waiting = a_user('waiting@dev.test', status=UserStatus.PENDING_APPROVAL)
    registration.approve(waiting, by=admin)
    from workflows import password_reset
    password_reset.request_reset('waiting@dev.test', 'client')
    worker.deliver_due()
    bodies = [json.loads(body) for _, body in receiver.received]
    assert [body['type'] for body in bodies] == ['user.activated', 'user.password_reset_requested']
    assert 'token' not in json.dumps(bodies)  # no reset link, no key: only who and what
    assert bodies[0]['data']['user']['email'] == 'waiting@dev.test' and bodies[0]['data']['actor']['id'] == admin.id


def test_delivery_goes_to_the_address_that_was_checked(db) -> None:
    """No DNS rebinding: the worker connects to the address it checked, naming the host in Host and SNI."""
    target, host, extensions = webhook_endpoints.delivery_target('https://93.184.215.14:8443/hooks?x=1')
    assert target == 'https://93.184.215.14:8443/hooks?x=1' and host == {'host': '93.184.215.14:8443'}
    assert extensions == {'sni_hostname': '93.184.215.14'}
    with pytest.raises(DomainError, match='loopback'):  # while the setting is off
        webhook_endpoints.delivery_target('http://localhost:9/h')
    webhook_endpoints.update_settings(True, 72, by=an_admin())
    target, host, _ = webhook_endpoints.delivery_target('http://localhost:9/h')
    assert target in ('http://127.0.0.1:9/h', 'http://[::1]:9/h') and host == {'host': 'localhost:9'}


class Trickler:
    """A slow receiver on loopback: reads the request, then sends its answer one byte at a time, each
    byte well within httpx's read timeout; from the start (`headers`) or after complete headers (`body`)."""

    def __init__(self, where: str, tls=None) -> None:
        import socket
        import threading
        self.where = where
        self.tls = tls
        self.server = socket.create_server(('127.0.0.1', free_port()))
        self.url = f'http{"s" if tls else ""}://127.0.0.1:{self.server.getsockname()[1]}/hooks'
        self.connections = 0
        self.stopping = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            try:
                if self.tls is not None:
                    connection = self.tls.wrap_socket(connection, server_side=True)
                connection.recv(65536)
            except OSError:
                connection.close()
                continue
            head = b'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'
            answer = (b'' if self.where == 'headers' else head)
            trickle = (head if self.where == 'headers' else b'') + b'x' * 100000
            try:
                connection.sendall(answer)
                for byte in trickle:
                    if self.stopping.wait(0.3):
                        break
                    connection.sendall(bytes([byte]))  # fails once the portal has hung up
            except OSError:
                pass
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.server.close()


@pytest.mark.parametrize('where', ['headers', 'body'])
def test_a_trickling_receiver_is_cut_off_at_the_deadline(db, monkeypatch, where) -> None:
    """A receiver sending a byte every 0.3 s never trips httpx's per-read timeout; the attempt's deadline
    ends it all the same, it counts as a failure, and the next delivery in the batch still goes out."""
    import time
    monkeypatch.setattr(worker, 'DEADLINE_SECONDS', 2)  # 15 s in service; the same code path, shorter wait
    slow = Trickler(where)
    good = Receiver(free_port())
    try:
        admin = an_admin()
        an_endpoint(slow.url, admin=admin)
        webhook_endpoints.save_endpoint(None, good.url, ['access_request.created'], True, by=admin)
        a_request()
        started = time.monotonic()
        assert worker.deliver_due() == 1  # the good receiver got its copy
        elapsed = time.monotonic() - started
        assert elapsed < 5, elapsed
        failed = WebhookDelivery.get(WebhookDelivery.status == DeliveryStatus.QUEUED)
        assert failed.endpoint.url == slow.url and failed.attempts == 1 and failed.response_code is None
        assert 'within 2 s' in failed.last_error
        attempt = WebhookAttempt.get(WebhookAttempt.delivery == failed)
        assert 1900 <= attempt.duration_ms < 4000 and attempt.response_code is None
        assert len(good.received) == 1 and slow.connections == 1
        assert WebhookEndpoint.get(WebhookEndpoint.url == slow.url).failing_since is not None
    finally:
        slow.stop()
        good.stop()


def test_a_trickling_receiver_over_tls_is_cut_off_at_the_deadline(db, monkeypatch, tmp_path) -> None:
    """The same over HTTPS (the deadline shuts the socket TLS wraps), with a certificate made here."""
    import ssl
    import subprocess
    import time

    import httpx
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=receiver',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', str(tmp_path / 'key.pem'),
                    '-out', str(tmp_path / 'cert.pem')], check=True, capture_output=True)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(tmp_path / 'cert.pem', tmp_path / 'key.pem')
    monkeypatch.setattr(worker, 'DEADLINE_SECONDS', 2)
    slow = Trickler('body', tls=server_side)
    try:
        an_endpoint(slow.url)
        a_request()
        delivery, = worker.claim('test')
        trusting = ssl.create_default_context(cafile=str(tmp_path / 'cert.pem'))
        started = time.monotonic()
        with httpx.Client(verify=trusting, timeout=worker.TIMEOUT_SECONDS, follow_redirects=False,
                          limits=httpx.Limits(max_keepalive_connections=0)) as client:
            code, _, error = worker.send(delivery, client)
        assert time.monotonic() - started < 5
        assert code is None and 'within 2 s' in error and slow.connections == 1
    finally:
        slow.stop()
