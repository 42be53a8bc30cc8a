"""A real OpenID Provider for the tests: panva's oidc-provider from npm (tests/oidc, `npm ci` there; .ci/run does
it), started on loopback with the clients and accounts a test gives it, and a person who signs in at its own
login and consent pages (devInteractions: the login is the account's id)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.utils import free_port

FOLDER = Path(__file__).parent / 'oidc'
NODE = shutil.which('node')
MISSING = ('node is not installed' if NODE is None else
           'oidc-provider is not installed (cd tests/oidc && npm ci)' if not (FOLDER / 'node_modules' / 'oidc-provider').exists()
           else '')
CLIENT_ID, CLIENT_SECRET = 'portico', 'portico-test-client-secret-0123456789'


class OpenIdProvider:
    """`backchannel_logout_uri`: the portal's, registered with the client (the provider then posts a logout token
    there when the person's session at the provider ends). `jwks` (private keys to sign with), `published_jwks`
    (what /jwks serves instead) and `tamper` (claims and key to re-sign every ID token with) are for the attack
    tests (tests/oidc/provider.mjs)."""

    def __init__(self, accounts: dict[str, dict], redirect_uris: list[str], *, clients: list[dict] | None = None,
                 log: Path | None = None, backchannel_logout_uri: str = '', jwks: dict | None = None,
                 published_jwks: dict | None = None, tamper: dict | None = None) -> None:
        self.port = free_port()
        self.issuer = f'http://127.0.0.1:{self.port}'
        self.accounts_file = Path(tempfile.mkdtemp(prefix='portico-op-')) / 'accounts.json'
        self.set_accounts(accounts)
        client = {'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET, 'redirect_uris': redirect_uris}
        if backchannel_logout_uri:
            client.update(backchannel_logout_uri=backchannel_logout_uri, backchannel_logout_session_required=True,
                          post_logout_redirect_uris=[uri.rsplit('/auth/', 1)[0] + '/login' for uri in redirect_uris])
        setup = {'issuer': self.issuer, 'port': self.port, 'accounts_file': str(self.accounts_file),
                 'clients': clients or [client], 'jwks': jwks, 'published_jwks': published_jwks, 'tamper': tamper}
        setup = {key: value for key, value in setup.items() if value is not None}
        self.log = log
        self.process = subprocess.Popen([NODE, str(FOLDER / 'provider.mjs')], cwd=FOLDER,
                                        env={'PATH': '/usr/bin:/bin', 'PORTICO_TEST_OP': json.dumps(setup)},
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith('ready'):
                return
            if not line and self.process.poll() is not None:
                break
        self.process.kill()
        raise RuntimeError(f'oidc-provider did not start: {self.process.stdout.read()}')

    def set_accounts(self, accounts: dict[str, dict]) -> None:
        """The people the provider knows, from the next sign-in on (it reads the file each time)."""
        self.accounts_file.write_text(json.dumps(accounts))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _form(page: str, base: str) -> tuple[str, dict[str, str]]:
    """The first form of an HTML page: where it posts and its hidden fields."""
    match = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert match, page[:500]
    fields = {name: unescape(value) for name, value in
              re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    return urljoin(base, unescape(match[1])), fields


class ProviderBrowser:
    """A browser at the provider that keeps its cookies: signs in at its login and consent pages (any password),
    and later ends its session there (RP-initiated logout, confirmed), which sends the back-channel logouts."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=10)

    def sign_in(self, authorisation_url: str, login: str, redirect_prefix: str) -> dict[str, str]:
        """The query of the redirect back to the portal (code and state, or error)."""
        url = authorisation_url
        for _ in range(12):
            answer = self.client.get(url) if not isinstance(url, tuple) else self.client.post(url[0], data=url[1])
            if answer.is_redirect:
                location = urljoin(str(answer.url), answer.headers['location'])
                if location.startswith(redirect_prefix):
                    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
                url = location
                continue
            action, fields = _form(answer.text, str(answer.url))
            if 'name="login"' in answer.text:
                fields.update(login=login, password='any password')
            url = (action, fields)
        raise AssertionError('the provider never sent the browser back')

    def end_session(self, issuer: str) -> httpx.Response:
        """Sign out at the provider: its /session/end page, then "Yes, sign me out"."""
        page = self.client.get(f'{issuer}/session/end')
        action, fields = _form(page.text, str(page.url))
        return self.client.post(action, data={**fields, 'logout': 'yes'}, follow_redirects=True)

    def close(self) -> None:
        self.client.close()


def sign_in_at_provider(authorisation_url: str, login: str, redirect_prefix: str) -> dict[str, str]:
    """Be the browser at the provider once: its login page (any password), then its consent page; returns the query
    of the redirect back to the portal (code and state, or error)."""
    browser = ProviderBrowser()
    try:
        return browser.sign_in(authorisation_url, login, redirect_prefix)
    finally:
        browser.close()


def sign_in_through(provider, login: str, callback: str, next_path: str = '/apps'):
    """A whole sign-in through `provider` (an IdentityProvider of the portal) as the browser would do it, ending
    at the portal's callback: what workflows.sso.finish makes of it (the account, or a link to prove a password)."""
    from workflows import sso
    url, secret = sso.begin(provider.id, next_path)
    answer = sign_in_at_provider(url, login, callback)
    return sso.finish(answer['state'], answer['code'], secret)


def rsa_key_set(kid: str) -> dict:
    """A private RSA key set for the provider to sign with (or to sign a forged token with)."""
    from joserfc.jwk import RSAKey
    key = RSAKey.generate_key(2048, parameters={'kid': kid, 'alg': 'RS256', 'use': 'sig'}, private=True)
    return {'keys': [key.as_dict(private=True)]}


def public(key_set: dict) -> dict:
    return {'keys': [{name: value for name, value in key.items() if name in ('kty', 'kid', 'alg', 'use', 'n', 'e')}
                     for key in key_set['keys']]}


def partner_provider(op, **fields):
    """The Partner organisation's provider (domain partner.example) at the test provider `op`, added by the portal
    admin admin@provider.test (made when there is none)."""
    from db.models import User
    from tests.utils import an_admin, an_org_with
    from workflows import sso
    admin = User.get_or_none(User.email == 'admin@provider.test') or an_admin()
    partner = an_org_with('Partner', super_admin='boss@partner.example')
    return sso.save_provider(None, name='Partner SSO', issuer=op.issuer, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET, organisation_id=partner.id,
                             email_domains='partner.example', by=admin, **fields)
