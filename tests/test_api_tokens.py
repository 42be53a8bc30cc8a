"""Personal API tokens (issue 16): stored hashed, expiring, revocable, only for active portal admins,
and wrong tokens throttled per client like failed sign-ins."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db import clock
from db.models import ApiToken, AuditEvent, User
from permissions import PermissionDenied
from tests.utils import a_user, an_admin, at_the_start_of_a_window
from workflows import DomainError, api_tokens, throttle


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


def test_only_portal_admins_have_tokens_and_a_demotion_silences_them(db) -> None:
    with pytest.raises(PermissionDenied):
        api_tokens.create(a_user(), 'mine')
    admin = an_admin()
    _, raw = api_tokens.create(admin, 'CI')
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(raw, 'c1')


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


def test_a_client_guessing_tokens_is_locked_out_even_with_a_good_one(db) -> None:
    admin = an_admin()
    _, raw = api_tokens.create(admin, 'CI')
    limit = throttle.limit_of('api-token-client:x').attempts
    at_the_start_of_a_window('api-token-client:x')
    for number in range(limit):
        with pytest.raises(api_tokens.InvalidApiToken):
            api_tokens.authenticate('ptk_' + 'A' * 43 if number % 2 else 'garbage', 'guesser')
    with pytest.raises(throttle.TooManyAttempts):
        api_tokens.authenticate(raw, 'guesser')
    assert api_tokens.authenticate(raw, 'someone-else')[0].id == admin.id  # another client is not locked
