"""Personal API tokens (issue 16): stored hashed, expiring, revocable, only for active portal admins,
and wrong tokens throttled per client like failed sign-ins."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db import clock
from db.models import ApiToken, AuditEvent, User
from permissions import PermissionDenied
from tests.utils import a_user, an_admin, at_the_start_of_a_window
from domain.errors import DomainError
from workflows import activation, api_tokens, throttle


def test_a_token_is_shown_once_and_stored_as_a_hash(db) -> None:
    admin = an_admin()
    token, raw = api_tokens.create(admin, 'Billing', read_only=True, expires_in_days=7)
    stored = ApiToken.get_by_id(token.id)
    assert stored.token_hash == api_tokens.digest(raw) and raw not in repr(stored.__data__)
    assert stored.token_prefix == raw[:10]
    assert api_tokens.authenticate(raw, 'c1') == (admin, stored)
    assert ApiToken.get_by_id(token.id).last_used_at is not None
    assert AuditEvent.get(AuditEvent.action == 'api_token.create').actor_id == admin.id


def test_bad_input_is_refused_next_to_the_field(db) -> None:
    admin = an_admin()
    for name, days, field in [('', None, 'name'), ('x' * 101, None, 'name'), ('a\nb', None, 'name'),
                              ('ok', 0, 'expires'), ('ok', 'soon', 'expires'), ('ok', 100000, 'expires')]:
        with pytest.raises(DomainError) as caught:
            api_tokens.create(admin, name, expires_in_days=days)
        assert caught.value.field == field
    assert ApiToken.select().count() == 0


def test_only_portal_admins_have_tokens_and_a_demotion_revokes_them(db) -> None:
    with pytest.raises(PermissionDenied):
        api_tokens.create(a_user(), 'mine')
    admin = an_admin()
    token, raw = api_tokens.create(admin, 'CI')
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()  # no workflow demotes: by hand
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(raw, 'c1')
    assert ApiToken.get_by_id(token.id).revoked_at is not None  # for good, at its first use after
    event = AuditEvent.get(AuditEvent.action == 'api_token.revoke_all')
    assert event.target_id == admin.id and event.detail['tokens'] == 1 and 'portal admin' in event.detail['reason']
    User.update(is_portal_admin=True).where(User.id == admin.id).execute()  # promoted again
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(raw, 'c1')


def _two_tokens_and_a_revoked_one(admin):
    _, first = api_tokens.create(admin, 'CRM', read_only=False)
    _, second = api_tokens.create(admin, 'Reports')
    old, _ = api_tokens.create(admin, 'Old')
    api_tokens.revoke(old.id, by=admin)
    return first, second, ApiToken.get_by_id(old.id).revoked_at


def test_a_deactivation_revokes_the_tokens_and_a_reactivation_does_not_revive_them(db) -> None:
    admin, boss = an_admin(), an_admin('boss@provider.test')
    _, kept = api_tokens.create(boss, 'Boss')
    first, second, old_revoked_at = _two_tokens_and_a_revoked_one(admin)
    clock.advance(timedelta(minutes=1))
    activation.deactivate(admin, by=boss)
    tokens = {token.name: token for token in ApiToken.select().where(ApiToken.user == admin)}
    assert tokens['CRM'].revoked_at == tokens['Reports'].revoked_at > old_revoked_at + timedelta(seconds=59)
    assert tokens['Old'].revoked_at == old_revoked_at  # revoked before: left as it was
    event = AuditEvent.get(AuditEvent.action == 'api_token.revoke_all')
    assert (event.actor_id, event.target_id, event.detail) == (boss.id, admin.id,
                                                              {'reason': 'the owner was deactivated', 'tokens': 2})
    activation.activate(User.get_by_id(admin.id), by=boss)
    for raw in (first, second):
        with pytest.raises(api_tokens.InvalidApiToken):
            api_tokens.authenticate(raw, 'c1')
    assert api_tokens.authenticate(kept, 'c1')[0] == boss  # the deciding admin's own tokens are untouched
    _, fresh = api_tokens.create(User.get_by_id(admin.id), 'New')
    assert api_tokens.authenticate(fresh, 'c1')[0].id == admin.id  # a new token works


def test_a_deactivation_that_fails_revokes_nothing(db) -> None:
    admin = an_admin()
    _, raw = api_tokens.create(admin, 'CI')
    with pytest.raises(DomainError, match='You cannot deactivate your own account.'):
        activation.deactivate(admin, by=admin)  # not oneself
    assert api_tokens.authenticate(raw, 'c1')[0] == admin
    assert not AuditEvent.select().where(AuditEvent.action == 'api_token.revoke_all').exists()


def test_a_password_reset_revokes_the_tokens(db) -> None:
    from workflows import password_reset, tokens
    admin = an_admin()
    first, second, _ = _two_tokens_and_a_revoked_one(admin)
    password_reset.reset_password(tokens.issue(tokens.RESET, admin), 'a brand new passphrase')
    for raw in (first, second):
        with pytest.raises(api_tokens.InvalidApiToken):
            api_tokens.authenticate(raw, 'c1')
    event = AuditEvent.get(AuditEvent.action == 'api_token.revoke_all')
    assert event.detail == {'reason': 'the password was reset', 'tokens': 2} and event.actor_id == admin.id
    assert ApiToken.select().where(ApiToken.revoked_at.is_null()).count() == 0
    with pytest.raises(tokens.InvalidToken):  # a used reset link revokes nothing more
        password_reset.reset_password('nonsense', 'a brand new passphrase')


def test_a_token_silenced_before_this_version_is_revoked_when_its_owner_is_reactivated(db) -> None:
    """Tokens of an account deactivated by an older version were only silenced: activating revokes them."""
    from db.models import UserStatus
    admin, boss = an_admin(), an_admin('boss@provider.test')
    _, raw = api_tokens.create(admin, 'CI')
    User.update(status=UserStatus.INACTIVE).where(User.id == admin.id).execute()  # as the old version left it
    activation.activate(User.get_by_id(admin.id), by=boss)
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(raw, 'c1')
    assert AuditEvent.get(AuditEvent.action == 'api_token.revoke_all').detail['tokens'] == 1


def test_expired_and_revoked_tokens_stop_working(db) -> None:
    admin = an_admin()
    expiring, raw = api_tokens.create(admin, 'short', expires_in_days=1)
    _, other = api_tokens.create(admin, 'other')
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(raw, 'c1')
    token = ApiToken.get(ApiToken.name == 'other')
    api_tokens.revoke(token.id, by=admin)
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(other, 'c1')
    with pytest.raises(DomainError, match='revoked already'):
        api_tokens.revoke(token.id, by=admin)
    with pytest.raises(DomainError, match='not found'):
        api_tokens.revoke(token.id, by=an_admin('other@provider.test'))  # someone else's token


def test_wrong_tokens_from_an_address_are_throttled_but_a_valid_token_from_it_always_works(db) -> None:
    """Issue 27: behind a reverse proxy all clients share one address; wrong tokens must not lock out good ones."""
    admin = an_admin()
    _, raw = api_tokens.create(admin, 'CI')
    limit = throttle.limit_of('api-token-client:x').attempts
    at_the_start_of_a_window('api-token-client:x')
    for number in range(limit):
        with pytest.raises(api_tokens.InvalidApiToken):
            api_tokens.authenticate('ptk_' + 'A' * 43 if number % 2 else 'ptk_' + 'C' * 43, 'proxy')
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate('garbage', 'proxy')  # not a token at all: 401, not counted, never 429
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(None, 'proxy')
    for _ in range(3):
        with pytest.raises(throttle.TooManyAttempts):
            api_tokens.authenticate('ptk_' + 'B' * 43, 'proxy')
        assert api_tokens.authenticate(raw, 'proxy')[0].id == admin.id  # the automation behind the proxy goes on
    assert api_tokens.authenticate(raw, 'someone-else')[0].id == admin.id
