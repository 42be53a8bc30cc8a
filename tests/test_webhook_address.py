"""The webhook address guard (workflows/webhook_address.py) as a pure function: which hosts may receive webhooks,
given the addresses they resolve to, with no DNS involved."""
from __future__ import annotations

from ipaddress import ip_address

import pytest

from domain.errors import DomainError
from workflows import webhook_address

PUBLIC = ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '64:ff9b::5db8:d70e']
NOT_PUBLIC = ['127.0.0.1', '10.1.2.3', '172.16.0.9', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
              '::1', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::1',
              '2002:7f00:1::', '2001:0:4136:e378:8000:63bf:3fff:fdd2']


@pytest.mark.parametrize('address', PUBLIC)
def test_a_public_address_may_receive_webhooks(address) -> None:
    assert webhook_address.is_public(ip_address(address))
    assert webhook_address.refusal('hooks.example', [ip_address(address)], allow_private=False) is None


@pytest.mark.parametrize('address', NOT_PUBLIC)
def test_a_loopback_private_or_embedded_address_is_refused_unless_allowed(address) -> None:
    assert not webhook_address.is_public(ip_address(address))
    reason = webhook_address.refusal('inside.example', [ip_address(address)], allow_private=False)
    assert str(reason).startswith('inside.example is a loopback, link-local or private address')
    assert webhook_address.refusal('inside.example', [ip_address(address)], allow_private=True) is None


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    addresses = [ip_address('93.184.215.14'), ip_address('10.0.0.5')]
    assert '10.0.0.5' in webhook_address.refusal('mixed.example', addresses, allow_private=False)


def test_a_host_without_addresses_is_not_found() -> None:
    assert webhook_address.refusal('gone.example', [], allow_private=True) == 'The host gone.example cannot be found.'


def test_check_asks_the_resolver_for_the_host_and_port_it_parsed() -> None:
    asked = []

    def resolver(host: str, port: int):
        asked.append((host, port))
        return [ip_address('93.184.215.14')]

    url, parts, addresses = webhook_address.check(' https://Hooks.Example:8443/in?x=1 ', False, resolver)
    assert (url, asked, addresses) == ('https://Hooks.Example:8443/in?x=1', [('hooks.example', 8443)],
                                       [ip_address('93.184.215.14')])
    with pytest.raises(DomainError, match='private address') as refused:
        webhook_address.check('http://metadata.example/', False, lambda host, port: [ip_address('169.254.169.254')])
    assert refused.value.field == 'url'


@pytest.mark.parametrize('url, message', [
    ('', 'Enter the URL'),
    ('ftp://hooks.example/', 'must start with https://'),
    ('https://user:pw@hooks.example/', 'no user name or password'),
    ('https://hooks.example:99999/', 'not a valid URL'),
    ('https://hooks.example/a b', 'without spaces'),
    ('https://hooks.example/' + 'a' * 2000, 'at most 2,000 characters'),
    ('https://hooks.example/\x00', 'without spaces'),
])
def test_what_is_no_http_url_is_refused_before_any_lookup(url, message) -> None:
    def resolver(host, port):
        raise AssertionError('no lookup for a URL that is refused anyway')

    with pytest.raises(DomainError, match=message):
        webhook_address.check(url, True, resolver)
