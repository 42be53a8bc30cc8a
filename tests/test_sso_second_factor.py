"""Where sign-in through a provider meets the second factor (issue 24), against the real oidc-provider:
- linking a provider to an account that has a second factor takes a code too, or the provider would become a way
  in with the password alone;
- the setting that requires a second factor of portal admins leaves to the provider's own multi-factor policy
  the admins who signed in through it, and still holds an admin who signed in with a password."""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from db import clock
from db.models import ExternalIdentity, User
from domain.errors import DomainError
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, MISSING, OpenIdProvider, ProviderBrowser
from tests.identity_provider import partner_provider
from tests.test_sso_link import first_sign_in
from tests.utils import PASSWORD, an_admin, log_in, set_settings, settle
from workflows import second_factor, sso, sso_link

pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')
CALLBACK = 'http://portal.test/auth/sso/callback'
ACCOUNTS = {
    'mallory': {'email': 'admin@provider.test', 'email_verified': True, 'name': 'Mallory'},
    'root': {'email': 'root@provider.test', 'email_verified': True, 'groups': ['portal-admins']},
}


@pytest.fixture
def op(db):
    provider = OpenIdProvider(ACCOUNTS, [CALLBACK, 'http://test/auth/sso/callback'])
    yield provider
    provider.stop()


def now_code(secret: str) -> str:
    return second_factor.code_at(secret, second_factor.current_step())


def test_linking_an_account_with_a_second_factor_takes_a_code_too(op) -> None:
    provider = partner_provider(op)
    admin = User.get(User.email == 'admin@provider.test')
    enrolment = second_factor.start_enrolment(admin)
    codes = second_factor.confirm_enrolment(admin, now_code(enrolment.secret))
    clock.advance(timedelta(seconds=second_factor.STEP_SECONDS))
    finished, secret = first_sign_in(provider, 'mallory')  # an IdP asserting the admin's address
    assert sso_link.offer(finished.link, secret).needs_code

    with pytest.raises(DomainError, match='Enter the code') as refused:  # the stolen password alone: no
        sso_link.link(finished.link, secret, PASSWORD)
    assert refused.value.field == 'code'
    with pytest.raises(DomainError) as wrong:
        sso_link.link(finished.link, secret, PASSWORD, code='000000' if now_code(enrolment.secret) != '000000'
                      else '111111')
    assert wrong.value.field == 'code'
    assert not ExternalIdentity.select().exists()

    linked = sso_link.link(finished.link, secret, PASSWORD, code=codes[0])  # a recovery code proves it too
    assert linked.user.id == admin.id and ExternalIdentity.get().user_id == admin.id


async def test_an_admin_who_signed_in_through_a_provider_is_not_held_for_a_local_second_factor(op, user) -> None:
    admin = an_admin()
    staff = sso.save_provider(None, name='Staff SSO', issuer=op.issuer, client_id=CLIENT_ID,
                              client_secret=CLIENT_SECRET, scopes='openid email groups', for_admins=True,
                              admin_group='portal-admins', by=admin)
    set_settings(require_admin_second_factor=True, base_url='http://test')
    at_provider = ProviderBrowser()
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as portal:
        started = await portal.get(f'/auth/sso/{staff.id}')
        answer = at_provider.sign_in(started.headers['location'], 'root', 'http://test/auth/sso/callback')
        back = await portal.get('/auth/sso/callback', params=answer)
        await portal.get(back.headers['location'])
        root = User.get(User.email == 'root@provider.test')
        assert root.is_portal_admin and second_factor.missing(root)  # no factor of its own: the provider's MFA
        page = await portal.get('/admin/users')
        assert page.status_code == 200 and 'Users' in page.text
    at_provider.close()

    await log_in(user, admin.email)  # the same setting still holds an admin who typed a password
    await settle()
    await user.open('/admin/users')
    await user.should_see('Set up the authenticator app')
