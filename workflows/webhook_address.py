"""Where a webhook may be sent: the guard against aiming the portal at its own network (SSRF).

`refusal` is the rule, a pure function of the URL and the addresses its host resolves to; `check` resolves the
host (blocking DNS: pages call it off the event loop) and applies the rule; `delivery_target` does the same at
every send and pins the connection to the address it checked, so that a name cannot resolve to another
(internal) address between the check and the connection (DNS rebinding). Loopback, link-local, private and
otherwise non-public addresses are refused unless the Webhooks setting allows them, and so is any IPv6
address that embeds such an IPv4 address.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit, urlunsplit

from domain.errors import DomainError
from domain.i18n import Lazy, lazy, lazy_number
from workflows import is_clean_text

MAX_URL = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[Address]]

NAT64 = ipaddress.ip_network('64:ff9b::/96')  # RFC 6052: the IPv4 address is the last 32 bits
LOCAL_NAT64 = ipaddress.ip_network('64:ff9b:1::/48')  # RFC 8215: local use, the IPv4 anywhere in it: refused
IPV4_COMPATIBLE = ipaddress.ip_network('::/96')  # deprecated (RFC 4291): ::7f00:1 is 127.0.0.1


def parse(url: str) -> tuple[str, SplitResult]:
    """The URL, stripped, and its parts; a DomainError (field `url`) for anything that is no http(s) URL."""
    url = (url or '').strip()
    if not url:
        raise DomainError('Enter the URL that receives the webhooks.', 'url')
    if len(url) > MAX_URL or not is_clean_text(url) or any(ch.isspace() for ch in url):
        raise DomainError('The URL must be one line of at most {limit} characters without spaces.', 'url',
                          limit=lazy_number(MAX_URL))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise DomainError('This is not a valid URL.', 'url') from None
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise DomainError('The URL must start with https:// (or http://) and name a host.', 'url')
    if parts.username or parts.password:
        raise DomainError('Put no user name or password in the URL; the signature authenticates the portal.', 'url')
    return url, parts


def port_of(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == 'https' else 80)


def refusal(host: str, addresses: list[Address], allow_private: bool) -> Lazy | None:
    """Why a host that resolves to `addresses` may not receive webhooks, or None when it may."""
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                return lazy('{host} is a loopback, link-local or private address ({address}); '
                            'webhooks go to public addresses only unless the setting below allows them.',
                            host=host, address=str(address))
    if not addresses:
        return lazy('The host {host} cannot be found.', host=host)
    return None


def check(url: str, allow_private: bool, resolver: Resolver | None = None) -> tuple[str, SplitResult, list[Address]]:
    """(url, parts, addresses) of a URL that may receive webhooks; a DomainError (field `url`) says why not."""
    url, parts = parse(url)
    addresses = (resolver or resolve)(parts.hostname, port_of(parts))
    reason = refusal(parts.hostname, addresses, allow_private)
    if reason:
        raise DomainError(reason, 'url')
    return url, parts, addresses


def delivery_target(url: str, allow_private: bool) -> tuple[str, dict[str, str], dict]:
    """Where the worker sends: the URL with the host replaced by the address just checked, the Host header,
    and the TLS server name."""
    url, parts, addresses = check(url, allow_private)
    address = addresses[0]
    host = f'[{address}]' if address.version == 6 else str(address)
    netloc = host + (f':{parts.port}' if parts.port else '')
    target = urlunsplit((parts.scheme, netloc, parts.path or '/', parts.query, ''))
    host_header = parts.hostname + (f':{parts.port}' if parts.port else '')
    return target, {'host': host_header}, ({'sni_hostname': parts.hostname} if parts.scheme == 'https' else {})


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may lead to: IPv4-mapped, IPv4-compatible, 6to4,
    NAT64 and Teredo (its server and its client)."""
    found = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address in IPV4_COMPATIBLE or address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    return found


def is_public(address: Address) -> bool:
    """Global, and so is every IPv4 address it embeds (Python counts 64:ff9b::a9fe:a9fe, 2002:7f00:1::
    and ::7f00:1 as global, though they reach 169.254.169.254 and 127.0.0.1)."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address in LOCAL_NAT64:
            return False
        return all(inner.is_global for inner in embedded_ipv4(address))
    return True


def resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise DomainError('The host {host} cannot be found.', 'url', host=host) from None
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split('%')[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses
