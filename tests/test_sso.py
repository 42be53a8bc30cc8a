"""Sign in with your company (issue 24) against a real OpenID Provider (oidc-provider from npm, on loopback):
the person signs in at the provider's own login and consent pages, the portal trades the code and checks the
ID token. And the attacks of the issue: a replayed or forged `state`, a `state` carried to another browser, a
wrong `nonce`, an unverified address, an IdP that asserts an existing account's address."""
from __future__ import annotations

import pytest

from db.settings import admin_addresses
from db.models import (AuditEvent, ExternalIdentity, IdentityProvider, Organisation, OutboxMessage, Token, User,
                       UserStatus)
from domain.errors import DomainError
from tests.identity_provider import (CLIENT_ID, CLIENT_SECRET, MISSING, OpenIdProvider, partner_provider,
                                     sign_in_at_provider, sign_in_through)
from tests.utils import a_user, an_admin, an_org_with, set_settings
from workflows import registration, sso, tokens

pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')
CALLBACK = 'http://portal.test/auth/sso/callback'
ACCOUNTS = {
    'ann': {'email': 'ann@partner.example', 'email_verified': True, 'given_name': 'Ann', 'family_name': 'Lee',
            'groups': ['Backend']},
    'unverified': {'email': 'nobody@partner.example', 'email_verified': False},
    'mallory': {'email': 'admin@provider.test', 'email_verified': True, 'name': 'Mallory'},
    'root': {'email': 'root@provider.test', 'email_verified': True, 'groups': ['portal-admins']},
    'gina': {'email': 'gina@gmail.example', 'email_verified': True, 'given_name': 'Gina'},
    # Microsoft Entra ID sends no email_verified; xms_edov says the tenant verified it owns the address's domain
    'erin': {'email': 'erin@partner.example', 'xms_edov': True, 'given_name': 'Erin'},
    'eve': {'email': 'eve@elsewhere.example', 'xms_edov': True},
}


@pytest.fixture
def op(db, tmp_path):
    provider = OpenIdProvider(ACCOUNTS, [CALLBACK])
    yield provider
    provider.stop()


def signs_in(provider: IdentityProvider, login: str) -> User:
    finished = sign_in_through(provider, login, CALLBACK)
    assert finished.next == '/apps' and finished.link is None
    return finished.user


def test_a_partner_developer_signs_in_through_the_provider_and_lands_in_the_partner_organisation(op) -> None:
    provider = partner_provider(op)
    assert sso.provider_for_email('Someone@Partner.Example').id == provider.id
    assert sso.provider_for_email('dev@elsewhere.example') is None

    ann = signs_in(provider, 'ann')
    assert (ann.email, ann.first_name, ann.last_name) == ('ann@partner.example', 'Ann', 'Lee')
    assert ann.organisation.name == 'Partner' and ann.status == UserStatus.ACTIVE and ann.password_hash is None
    assert ExternalIdentity.get(ExternalIdentity.user == ann).subject == 'ann'
    notice = OutboxMessage.get(OutboxMessage.template_key == 'sso_joined')
    assert notice.recipient == 'boss@partner.example'
    assert AuditEvent.get(AuditEvent.action == 'user.create').actor_id == ann.id

    again = signs_in(provider, 'ann')  # the second time: the same account, no second one
    assert again.id == ann.id and User.select().where(User.email == 'ann@partner.example').count() == 1


def test_a_state_works_once_and_only_in_the_browser_that_started(op) -> None:
    provider = partner_provider(op)
    url, secret = sso.begin(provider.id)
    answer = sign_in_at_provider(url, 'ann', CALLBACK)
    with pytest.raises(sso.SignInRefused, match='another browser'):  # the attacker's browser has no secret
        sso.finish(answer['state'], answer['code'], 'the attackers own cookie')
    with pytest.raises(tokens.InvalidToken):  # and that try used the state up: the victim's replay fails too
        sso.finish(answer['state'], answer['code'], secret)
    with pytest.raises(tokens.InvalidToken):
        sso.finish('a-state-nobody-issued', answer['code'], secret)
    assert not User.select().where(User.email == 'ann@partner.example').exists()


def test_an_id_token_for_another_nonce_is_refused(op) -> None:
    provider = partner_provider(op)
    url, secret = sso.begin(provider.id)
    answer = sign_in_at_provider(url, 'ann', CALLBACK)
    started = Token.get(Token.purpose == tokens.SSO)
    Token.update(data={**started.data, 'nonce': 'the nonce of another sign-in'}).where(Token.id == started.id).execute()
    with pytest.raises(sso.SignInRefused, match='ID token .* is not valid'):
        sso.finish(answer['state'], answer['code'], secret)
    assert not User.select().where(User.email == 'ann@partner.example').exists()


def test_an_unverified_address_makes_no_account(op) -> None:
    provider = partner_provider(op)
    with pytest.raises(sso.SignInRefused, match='did not confirm your email address'):
        signs_in(provider, 'unverified')
    assert not User.select().where(User.email == 'nobody@partner.example').exists()


def test_a_provider_of_no_organisation_makes_accounts_that_wait_for_approval(op) -> None:
    """Anyone may have an account at a public provider: a new person through it is a registration, and Settings
    decide as for one (here: the API admin approves)."""
    admin = an_admin()
    public = sso.save_provider(None, name='Public ID', issuer=op.issuer, client_id=CLIENT_ID,
                               client_secret=CLIENT_SECRET, by=admin)
    finished = sign_in_through(public, 'gina', CALLBACK)
    assert finished.user is None and 'waits for an administrator to approve it' in finished.waiting
    gina = User.get(User.email == 'gina@gmail.example')
    assert gina.status == UserStatus.PENDING_APPROVAL and gina.organisation.is_default
    assert OutboxMessage.get(OutboxMessage.template_key == 'pending').recipient == 'gina@gmail.example'
    assert OutboxMessage.get(OutboxMessage.template_key == 'registration_admin_notice').recipient \
        == admin_addresses()[0]
    with pytest.raises(sso.SignInRefused, match='waiting for an administrator'):
        sign_in_through(public, 'gina', CALLBACK)  # the provider knows her; the portal has not decided yet

    registration.approve(gina, by=admin)
    assert signs_in(public, 'gina').id == gina.id  # approved: the provider signs her in

    set_settings(auto_approve_users=True)  # Settings -> approve registrations at once: so through a provider too
    assert sign_in_through(public, 'root', CALLBACK).user.status == UserStatus.ACTIVE


def test_an_entra_tenants_verified_domain_counts_only_for_its_organisations_domains(op) -> None:
    provider = partner_provider(op)
    erin = signs_in(provider, 'erin')
    assert erin.email == 'erin@partner.example' and erin.organisation.name == 'Partner'
    with pytest.raises(sso.SignInRefused, match='did not confirm your email address'):
        signs_in(provider, 'eve')  # a domain the organisation does not own: the tenant's word is no proof
    public = sso.save_provider(None, name='Public ID', issuer=op.issuer, client_id=CLIENT_ID,
                               client_secret=CLIENT_SECRET, by=User.get(User.email == 'admin@provider.test'))
    with pytest.raises(sso.SignInRefused, match='did not confirm your email address'):
        sign_in_through(public, 'eve', CALLBACK)
    assert not User.select().where(User.email == 'eve@elsewhere.example').exists()


def test_an_idp_asserting_an_existing_accounts_address_never_takes_it_over(op) -> None:
    provider = partner_provider(op)
    admin = User.get(User.email == 'admin@provider.test')
    finished = sign_in_through(provider, 'mallory', CALLBACK)  # the admin's address: a password to prove first
    assert finished.user is None and finished.link
    assert Token.get(Token.purpose == tokens.SSO_LINK).user_id == admin.id
    assert not ExternalIdentity.select().exists() and User.get_by_id(admin.id).is_portal_admin
    assert User.get_by_id(admin.id).organisation.is_default


def test_the_admin_group_makes_and_unmakes_a_portal_admin_at_each_sign_in(op) -> None:
    admin = an_admin()
    staff = sso.save_provider(None, name='Staff SSO', issuer=op.issuer, client_id=CLIENT_ID,
                              client_secret=CLIENT_SECRET, scopes='openid email groups', for_admins=True,
                              admin_group='portal-admins', by=admin)
    root = signs_in(staff, 'root')
    assert root.is_portal_admin and root.organisation.is_default
    sso.save_provider(staff.id, name='Staff SSO', issuer=op.issuer, client_id=CLIENT_ID, scopes='openid email groups',
                      for_admins=True, admin_group='api-admins', by=admin)  # the IdP's group for admins is now another one
    assert not signs_in(staff, 'root').is_portal_admin
    assert [event.action for event in AuditEvent.select().where(AuditEvent.action.in_(['user.promote', 'user.demote']))
            .order_by(AuditEvent.id)] == ['user.promote', 'user.demote']


def test_a_provider_is_checked_when_it_is_saved(op) -> None:
    admin = an_admin()
    for issuer, message in (('ftp://idp.example', 'issuer URL'), ('http://idp.example', 'must use https'),
                            (op.issuer + '/nope', 'No OpenID Connect discovery document')):
        with pytest.raises(DomainError, match=message) as refused:
            sso.save_provider(None, name='Bad', issuer=issuer, client_id='x', client_secret='y', by=admin)
        assert refused.value.field == 'issuer'
    with pytest.raises(DomainError, match='choose the organization') as refused:
        sso.save_provider(None, name='Bad', issuer=op.issuer, client_id='x', client_secret='y',
                          email_domains='acme.example', by=admin)
    assert refused.value.field == 'email_domains'
    partner_provider(op)  # partner.example is the Partner organisation's: no other provider may claim it
    other = an_org_with('Other', super_admin='boss@other.example')
    with pytest.raises(DomainError, match='partner.example already belongs to another provider') as refused:
        sso.save_provider(None, name='Impostor', issuer=op.issuer, client_id='x', client_secret='y',
                          organisation_id=other.id, email_domains='@Partner.Example', by=admin)
    assert refused.value.field == 'email_domains'
    assert [provider.name for provider in sso.providers()] == ['Partner SSO']
    assert sso.provider_for_email('ann@partner.example').organisation.name == 'Partner'
    developer = a_user('dev@consumer.test')
    with pytest.raises(DomainError):
        sso.save_provider(None, name='Mine', issuer=op.issuer, client_id='x', client_secret='y', by=developer)
    assert IdentityProvider.select().count() == 1
    assert Organisation.select().count() == 3  # the default one, Partner and Other: the refusals made none


async def test_an_admin_adds_a_provider_in_admin_sign_in_and_log_in_offers_it(op, user) -> None:
    from tests.utils import admin_opens, field_error, settle, until
    await admin_opens(user, '/admin/sign-in')
    await user.should_see(marker='sso-empty')
    await user.should_see('http://portal.test/auth/sso/callback')  # what to register at the provider
    user.find(marker='sso-add').click()
    user.find(marker='sso-name').type('Staff SSO')
    user.find(marker='sso-issuer').type(op.issuer + '/wrong')
    user.find(marker='sso-client-id').type(CLIENT_ID)
    user.find(marker='sso-secret').type(CLIENT_SECRET)
    user.find(marker='sso-save').click()
    await until(lambda: 'No OpenID Connect discovery document' in (field_error(user, 'sso-issuer') or ''), 10)
    assert not IdentityProvider.select().exists()
    assert user.find(marker='sso-name').elements.pop().value == 'Staff SSO'  # what was typed is kept
    user.find(marker='sso-issuer').clear().type(op.issuer)
    user.find(marker='sso-save').click()
    await user.should_see('Staff SSO saved.', retries=100)
    await user.should_see(marker='sso-row-Staff SSO')
    provider = IdentityProvider.get(IdentityProvider.name == 'Staff SSO')
    assert provider.issuer == op.issuer and sso.SEAL.open(provider.client_secret_sealed) == CLIENT_SECRET
    assert AuditEvent.get(AuditEvent.action == 'identity_provider.create').target_id == provider.id
    await user.should_see(f'Back-channel logout URI: http://portal.test/auth/sso/backchannel-logout?provider={provider.id}')

    await user.open('/logout')
    await settle()
    await user.open('/login')
    await user.should_see(marker='login-card')
    await user.should_see('Continue with Staff SSO')
    await user.open('/register')  # Register offers it too
    await user.should_see(marker='register-card')
    await user.should_see('Continue with Staff SSO')
