"""Linking instead of refusing, and organisations that require their provider (issue 24), against a real OpenID
Provider (oidc-provider from npm, on loopback).

"An existing account with the same verified address is linked only after the person proves the password once
(never silently taken over through an IdP that asserts someone else's address)"; "password sign-in and password
reset then refuse them with a message that names the provider"."""
from __future__ import annotations

import pytest

from db.connection import database
from db.models import (AuditEvent, ExternalIdentity, IdentityProvider, OutboxMessage, Token, User, UserSession,
                       UserStatus)
from domain.errors import DomainError
from tests.identity_provider import (MISSING, OpenIdProvider, partner_provider,
                                     sign_in_at_provider)
from tests.utils import PASSWORD, a_user, fresh
from workflows import accounts, password_reset, sso, sso_link, tokens

pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')
CALLBACK = 'http://portal.test/auth/sso/callback'
ACCOUNTS = {
    'ann': {'email': 'ann@partner.example', 'email_verified': True, 'given_name': 'Ann'},
    'mallory': {'email': 'admin@provider.test', 'email_verified': True, 'name': 'Mallory'},
    'gmail': {'email': 'kim@gmail.example', 'email_verified': True, 'name': 'Kim'},
    'invited': {'email': 'new@partner.example', 'email_verified': True},
}


@pytest.fixture
def op(db):
    provider = OpenIdProvider(ACCOUNTS, [CALLBACK])
    yield provider
    provider.stop()


def first_sign_in(provider, login: str) -> tuple[sso.Finished, str]:
    """(what the callback makes of it, the browser's secret)."""
    url, secret = sso.begin(provider.id, '/apps')
    answer = sign_in_at_provider(url, login, CALLBACK)
    return sso.finish(answer['state'], answer['code'], secret), secret


def test_an_idp_asserting_a_portal_admins_address_links_only_with_the_admins_password(op) -> None:
    provider = partner_provider(op)
    admin = User.get(User.email == 'admin@provider.test')
    finished, secret = first_sign_in(provider, 'mallory')
    assert finished.user is None and finished.link  # nobody signed in
    assert sso_link.offer(finished.link, secret) == sso_link.Offer('admin@provider.test', 'Partner SSO')

    with pytest.raises(DomainError, match='Wrong email or password') as refused:
        sso_link.link(finished.link, secret, 'a guess of mallory')
    assert refused.value.field == 'password'
    assert not ExternalIdentity.select().exists()
    with pytest.raises(DomainError, match='another browser'):  # the right password in another browser: no
        sso_link.link(finished.link, 'another browsers secret', PASSWORD)
    assert not ExternalIdentity.select().exists()

    linked = sso_link.link(finished.link, secret, PASSWORD)
    assert linked.user.id == admin.id and linked.next == '/apps' and linked.method == 'provider:Partner SSO'
    assert ExternalIdentity.get().user_id == admin.id and ExternalIdentity.get().subject == 'mallory'
    assert AuditEvent.get(AuditEvent.action == 'identity.link').target_id == admin.id
    assert fresh(admin).is_portal_admin and fresh(admin).organisation.is_default  # nothing else changed
    with pytest.raises(tokens.InvalidToken):  # once
        sso_link.link(finished.link, secret, PASSWORD)

    again, _ = first_sign_in(provider, 'mallory')  # from now on the provider signs the account in
    assert again.user.id == admin.id and again.link is None


def test_wrong_passwords_on_the_link_page_are_throttled_like_every_password(op) -> None:
    provider = partner_provider(op)
    finished, secret = first_sign_in(provider, 'mallory')
    messages = set()
    for attempt in range(12):
        with pytest.raises(DomainError) as refused:
            sso_link.link(finished.link, secret, f'guess {attempt}')
        messages.add(str(refused.value))
    assert accounts.TOO_MANY in messages
    with pytest.raises(DomainError, match='Too many'):  # the right one is refused too while locked
        sso_link.link(finished.link, secret, PASSWORD)
    assert not ExternalIdentity.select().exists()


def test_an_account_without_a_password_cannot_be_linked(op) -> None:
    provider = partner_provider(op)
    partner = provider.organisation
    a_user('new@partner.example', organisation=partner, status=UserStatus.INVITED, password=None)
    with pytest.raises(sso.SignInRefused, match='cannot be linked'):
        first_sign_in(provider, 'invited')
    assert not Token.select().where(Token.purpose == tokens.SSO_LINK).exists()
    assert not ExternalIdentity.select().exists()


def test_an_account_linked_to_another_subject_of_the_provider_is_not_linked_twice(op) -> None:
    provider = partner_provider(op)
    admin = User.get(User.email == 'admin@provider.test')
    ExternalIdentity.create(provider=provider, subject='the-real-admin', user=admin)
    with pytest.raises(sso.SignInRefused, match='linked to another Partner SSO account'):
        first_sign_in(provider, 'mallory')
    assert ExternalIdentity.select().count() == 1


def required_partner(op) -> tuple[IdentityProvider, User]:
    provider = partner_provider(op, required=True)
    member = a_user('kim@gmail.example', first='Kim', organisation=provider.organisation)  # not the company domain
    return provider, member


def test_done_when_an_organisation_that_requires_sso_refuses_a_members_password(op) -> None:
    provider, member = required_partner(op)
    with pytest.raises(accounts.SignInError, match='signs you in through Partner SSO'):
        accounts.authenticate('kim@gmail.example', PASSWORD)
    with pytest.raises(accounts.SignInError, match='^Wrong email or password.$'):  # nothing told to a guesser
        accounts.authenticate('kim@gmail.example', 'a wrong password')
    boss = User.get(User.email == 'boss@partner.example')
    User.update(is_portal_admin=True).where(User.id == boss.id).execute()  # a portal admin in it: the same
    with pytest.raises(accounts.SignInError, match='Partner SSO'):
        accounts.authenticate('boss@partner.example', PASSWORD)
    assert accounts.authenticate('admin@provider.test', PASSWORD).is_portal_admin  # staff elsewhere: passwords
    IdentityProvider.update(enabled=False).where(IdentityProvider.id == provider.id).execute()
    assert accounts.authenticate('kim@gmail.example', PASSWORD).id == member.id  # a provider off requires nothing


def test_a_member_of_an_organisation_that_requires_sso_links_it_with_the_password_once(op) -> None:
    provider, member = required_partner(op)
    finished, secret = first_sign_in(provider, 'gmail')
    linked = sso_link.link(finished.link, secret, PASSWORD)
    assert linked.user.id == member.id and ExternalIdentity.get().user_id == member.id


def test_password_reset_refuses_members_of_an_organisation_that_requires_sso(op) -> None:
    provider, member = required_partner(op)
    a_user('ann@partner.example', organisation=provider.organisation)
    with pytest.raises(DomainError, match='signs you in through Partner SSO') as refused:  # its domain: say so
        password_reset.request_reset('ann@partner.example')
    assert refused.value.field == 'email'
    with pytest.raises(DomainError, match='Partner SSO'):  # the same for an address nobody has there
        password_reset.request_reset('nobody@partner.example')
    assert password_reset.request_reset('kim@gmail.example') == password_reset.ANSWER  # the usual answer...
    assert not OutboxMessage.select().where(OutboxMessage.template_key == 'reset').exists()  # ...and no link
    assert password_reset.request_reset('dev@consumer.test') == password_reset.ANSWER


def test_a_reset_link_from_before_sso_was_required_no_longer_works(op) -> None:
    provider = partner_provider(op)
    member = a_user('kim@gmail.example', organisation=provider.organisation)
    with database.atomic():  # the link of a reset asked for before (the outbox keeps it sealed)
        raw = tokens.issue(tokens.RESET, member)
    IdentityProvider.update(required=True).where(IdentityProvider.id == provider.id).execute()
    with pytest.raises(DomainError, match='signs you in through Partner SSO'):
        password_reset.reset_password(raw, 'a brand new passphrase 42', 'a brand new passphrase 42')
    assert fresh(member).password_hash == member.password_hash
    assert tokens.peek(tokens.RESET, raw)  # not used up either


async def test_log_in_says_which_provider_to_use_for_a_member_of_an_organisation_that_requires_it(op, user) -> None:
    required_partner(op)
    await user.open('/login')
    user.find(marker='login-email').type('kim@gmail.example')
    user.find(marker='login-password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await user.should_see('Your organization signs you in through Partner SSO', retries=100)
    assert not UserSession.select().exists()
