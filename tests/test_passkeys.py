"""Passkeys (issue 24) without a browser: a small software authenticator (P-256, 'none' attestation, made with
`cryptography` and `cbor2`, as a security key would answer) against the real workflow and py_webauthn. The real
browser's side is in tests/test_browser_passkeys.py."""
from __future__ import annotations

import hashlib
import json
import secrets
import struct

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from db.models import AuditEvent, Passkey, RecoveryCode
from domain.errors import DomainError, NotFound
from tests.utils import a_user
from workflows import passkeys, second_factor, tokens

ORIGIN = 'http://portal.test'  # the tests' base URL


class SoftAuthenticator:
    """One discoverable credential on a device that verifies its user and counts its signatures."""

    def __init__(self, counts: bool = True) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.counter = 0
        self.counts = counts

    def _auth_data(self, rp_id: str, attested: bool) -> bytes:
        flags = 0x01 | 0x04 | (0x40 if attested else 0)  # user present, user verified, (credential data)
        if self.counts:
            self.counter += 1
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack('>I', self.counter)
        if attested:
            numbers = self.key.public_key().public_numbers()
            cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, 'big'),
                                -3: numbers.y.to_bytes(32, 'big')})
            data += bytes(16) + struct.pack('>H', len(self.credential_id)) + self.credential_id + cose
        return data

    @staticmethod
    def _client_data(kind: str, options: dict, origin: str) -> bytes:
        return json.dumps({'type': kind, 'challenge': options['challenge'], 'origin': origin,
                           'crossOrigin': False}).encode()

    def create(self, options_json: str, origin: str = ORIGIN) -> dict:
        options = json.loads(options_json)
        client_data = self._client_data('webauthn.create', options, origin)
        attestation = cbor2.dumps({'fmt': 'none', 'attStmt': {},
                                   'authData': self._auth_data(options['rp']['id'], attested=True)})
        raw_id = bytes_to_base64url(self.credential_id)
        return {'id': raw_id, 'rawId': raw_id, 'type': 'public-key', 'clientExtensionResults': {},
                'response': {'clientDataJSON': bytes_to_base64url(client_data),
                             'attestationObject': bytes_to_base64url(attestation), 'transports': ['internal']}}

    def get(self, options_json: str, origin: str = ORIGIN) -> dict:
        options = json.loads(options_json)
        allowed = [base64url_to_bytes(item['id']) for item in options.get('allowCredentials') or []]
        assert not allowed or self.credential_id in allowed, 'the server did not ask for this credential'
        client_data = self._client_data('webauthn.get', options, origin)
        auth_data = self._auth_data(options['rpId'], attested=False)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        raw_id = bytes_to_base64url(self.credential_id)
        return {'id': raw_id, 'rawId': raw_id, 'type': 'public-key', 'clientExtensionResults': {},
                'response': {'clientDataJSON': bytes_to_base64url(client_data),
                             'authenticatorData': bytes_to_base64url(auth_data),
                             'signature': bytes_to_base64url(signature)}}


def registered(user, device: SoftAuthenticator, name: str = 'Laptop') -> tuple[Passkey, list[str]]:
    raw, options = passkeys.begin_registration(user)
    return passkeys.finish_registration(user, raw, device.create(options), name)


def test_a_passkey_is_registered_and_signs_in_without_a_password(db) -> None:
    dev = a_user()
    device = SoftAuthenticator()
    raw, options = passkeys.begin_registration(dev)
    assert json.loads(options)['rp']['id'] == 'portal.test'  # the base URL's host
    assert json.loads(options)['authenticatorSelection']['residentKey'] == 'required'
    passkey, codes = passkeys.finish_registration(dev, raw, device.create(options), '  My   laptop ')
    assert (passkey.name, passkey.sign_count, passkey.transports) == ('My laptop', 1, ['internal'])
    assert len(codes) == 10 == second_factor.recovery_codes_left(dev)  # the first second factor brings them
    assert second_factor.has_any(dev)
    raw, options = passkeys.begin_sign_in('203.0.113.5')
    assert json.loads(options)['userVerification'] == 'required' and not json.loads(options).get('allowCredentials')
    assert passkeys.sign_in(raw, device.get(options)).id == dev.id
    stored = Passkey.get()
    assert stored.sign_count == 2 and stored.last_used_at is not None
    assert AuditEvent.get(AuditEvent.action == 'user.second_factor_add').detail == {'kind': 'passkey',
                                                                                 'name': 'My laptop'}
    _second, more = registered(dev, SoftAuthenticator(), 'Phone')
    assert more == []  # the codes it has stay


def test_a_ceremony_is_good_once_and_a_replayed_counter_is_refused(db) -> None:
    dev = a_user()
    device = SoftAuthenticator()
    registered(dev, device)
    raw, options = passkeys.begin_sign_in()
    answer = device.get(options)
    passkeys.sign_in(raw, answer)
    with pytest.raises(tokens.InvalidToken):
        passkeys.sign_in(raw, answer)  # the same challenge again
    device.counter -= 1  # a cloned device, or a recorded answer: the counter does not go up
    raw, options = passkeys.begin_sign_in()
    with pytest.raises(DomainError, match='could not be verified'):
        passkeys.sign_in(raw, device.get(options))
    assert Passkey.get().sign_count == 2


def test_a_device_that_does_not_count_still_signs_in(db) -> None:
    """Many platform authenticators report 0 every time: that is allowed as long as the stored count is 0 too."""
    dev = a_user()
    device = SoftAuthenticator(counts=False)
    registered(dev, device)
    for _ in range(2):
        raw, options = passkeys.begin_sign_in()
        assert passkeys.sign_in(raw, device.get(options)).id == dev.id


def test_another_origin_another_account_and_a_removed_passkey_are_refused(db) -> None:
    dev = a_user()
    other = a_user('other@consumer.test')
    device = SoftAuthenticator()
    raw, options = passkeys.begin_registration(dev)
    with pytest.raises(DomainError, match='could not be verified'):
        passkeys.finish_registration(dev, raw, device.create(options, origin='https://evil.example'), 'Laptop')
    assert Passkey.select().count() == 0
    raw, options = passkeys.begin_registration(dev)
    with pytest.raises(tokens.InvalidToken):
        passkeys.finish_registration(other, raw, device.create(options), 'Laptop')  # dev's ceremony
    passkey, _ = registered(dev, device)
    # as the second factor of another account, dev's passkey is not asked for and not accepted
    pending = second_factor.begin_sign_in(other, '/dashboard')
    second_factor_raw, options = passkeys.begin_second_step(other)
    device.credential_id, real = secrets.token_bytes(16), device.credential_id
    answer = device.get(options)
    device.credential_id = real
    answer['id'] = answer['rawId'] = bytes_to_base64url(real)
    with pytest.raises(DomainError, match='not registered'):
        passkeys.second_step(pending, second_factor_raw, answer)
    with pytest.raises(NotFound):
        passkeys.remove(other, passkey.id)
    assert passkeys.remove(dev, passkey.id) == 'Laptop'
    assert RecoveryCode.select().count() == 0  # the last second factor gone: its codes too
    raw, options = passkeys.begin_sign_in()
    with pytest.raises(DomainError, match='not registered'):
        passkeys.sign_in(raw, device.get(options))


def test_the_passkey_second_step_uses_the_pending_sign_in_once(db) -> None:
    dev = a_user()
    device = SoftAuthenticator()
    registered(dev, device)
    pending = second_factor.begin_sign_in(dev, '/apps')
    raw, options = passkeys.begin_second_step(dev)
    assert [item['id'] for item in json.loads(options)['allowCredentials']] == [Passkey.get().credential_id]
    user, target, method = passkeys.second_step(pending, raw, device.get(options))
    assert (user.id, target, method) == (dev.id, '/apps', 'password+passkey')
    raw, options = passkeys.begin_second_step(dev)
    with pytest.raises(tokens.InvalidToken):
        passkeys.second_step(pending, raw, device.get(options))


def test_names_are_checked_and_passkey_sign_ins_are_bounded_per_client(db) -> None:
    dev = a_user()
    with pytest.raises(DomainError, match='Give the passkey a name') as refused:
        registered(dev, SoftAuthenticator(), '   ')
    assert refused.value.field == 'name'
    with pytest.raises(DomainError, match='too long'):
        registered(dev, SoftAuthenticator(), 'x' * 101)
    passkey, _ = registered(dev, SoftAuthenticator())
    passkeys.rename(dev, passkey.id, 'Work laptop')
    assert Passkey.get().name == 'Work laptop'
    for _ in range(30):
        passkeys.begin_sign_in('198.51.100.9')
    with pytest.raises(DomainError, match='Too many'):
        passkeys.begin_sign_in('198.51.100.9')
