"""Profile -> API tokens in a real browser: a portal admin creates a token (shown once), sees it listed
with its rights, and revokes it; the database keeps only its hash."""
from __future__ import annotations

import pytest

from db.models import ApiToken
from workflows import api_tokens

pytestmark = pytest.mark.browser


def test_admin_creates_and_revokes_an_api_token(screen, browser) -> None:
    b = browser
    admin = b.admin_opens('/profile')
    b.sees('API tokens')
    b.sees('No tokens yet.')

    b.click('Create token')
    b.click('Create', within=b.open_dialog())  # no name: refused next to the field
    assert 'Give the token a name' in b.field_error('Token name')
    assert ApiToken.select().count() == 0
    b.fill('Token name', 'CRM sync')
    b.choose('Expires after', '30 days')
    b.tick('Read-write (may change data; otherwise read-only)')
    b.click('Create', within=b.open_dialog())
    b.sees('Copy it now: it is not shown again.')
    raw = b.value('Token')
    assert raw.startswith('ptk_') and len(raw) == 47
    token = ApiToken.get()
    assert token.name == 'CRM sync' and not token.read_only and token.expires_at is not None
    assert token.token_hash == api_tokens.digest(raw) and raw not in str(token.__data__.values())
    b.click('Done')
    b.dialog_closed()
    b.sees('read-write')
    assert api_tokens.authenticate(raw, '127.0.0.9')[0].id == admin.id

    b.click('Revoke CRM sync')
    b.click('Revoke', within=b.open_dialog())
    b.notified('The token CRM sync was revoked.')
    b.sees('revoked')
    assert ApiToken.get().revoked_at is not None
    with pytest.raises(api_tokens.InvalidApiToken):
        api_tokens.authenticate(raw, '127.0.0.9')


def test_admin_reads_the_admin_api_reference(screen, browser) -> None:
    b = browser
    b.admin_opens('/admin/api-reference')
    b.sees('Portico admin API (/api/v1)')
    b.sees('List users')
    b.sees('Approve: the app gets its key')
