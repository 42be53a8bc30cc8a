"""The admin area in the reader's language (issue 28): a German portal admin gets the admin pages in German, and
Admin -> Settings -> Languages sets the portal's default language and the languages offered."""
from __future__ import annotations

import pytest

from db.models import AuditEvent, Setting, User, UserStatus
from domain import i18n
from domain.errors import DomainError
from tests.utils import a_user, admin_opens, an_admin, choose, opens_as, settle
from workflows import languages


async def test_a_german_portal_admin_sees_the_users_page_in_german(user) -> None:
    an_admin(locale='de')
    pending = a_user('new@consumer.test', status=UserStatus.PENDING_APPROVAL)
    await opens_as(user, 'admin@provider.test', '/admin/users')
    await user.should_see(marker='users-row', retries=50)  # rows are read in a worker
    for german in ('Neuen Benutzer hinzufügen', 'Registriert', 'Rolle', 'Entwickler', 'Portal-Admin',
                   'Nach Name, E-Mail-Adresse oder Organisation suchen'):
        await user.should_see(german)
    await user.should_see(i18n.day(pending.created_at, 'de'))  # '07.12.2026', not 2026-12-07
    for english in ('Add new user', 'Registered', 'Role', 'Portal admin',
                    'Search by name, email or organization'):
        await user.should_not_see(english)


async def test_a_german_portal_admin_sees_the_settings_page_in_german(user) -> None:
    an_admin(locale='de')
    await opens_as(user, 'admin@provider.test', '/admin/settings')
    for german in ('Einstellungen', 'Zugang für API-Nutzer', 'Anwendungen', 'Sprachen', 'Standardsprache',
                   'Angebotene Sprachen', 'Sprachen speichern'):
        await user.should_see(german)
    for english in ('API Consumer access', 'Applications', 'Default language', 'Offered languages',
                    'Save languages'):
        await user.should_not_see(english)


async def test_the_admin_makes_german_the_default_and_offers_french_too_and_visitors_get_only_those(user) -> None:
    await admin_opens(user, '/admin/settings')
    await user.should_see('Languages')
    choose(user, 'languages-default', 'Deutsch')
    [english] = user.find(marker='language-offered-en').elements
    [german] = user.find(marker='language-offered-de').elements
    assert german.value is True and not german.enabled  # the default is always offered
    user.find(marker='language-offered-en').click()
    user.find(marker='language-offered-es').click()
    assert english.value is False
    user.find(marker='languages-save').click()
    await settle()
    # shown at once: the page again, in the new default (this admin chose no language of their own); its header
    # offers the two languages
    await user.should_see('Standardsprache')
    await header_offers(user, ['de', 'fr'])
    assert Setting.get_by_id('default_language').value == 'de'
    assert Setting.get_by_id('offered_languages').value == ['de', 'fr']
    event = AuditEvent.get(AuditEvent.action == 'settings.languages')
    assert event.detail['default_language'] == 'de' and event.detail['offered_languages'] == ['de', 'fr']

    await user.open('/logout')
    await user.open('/catalogs')  # a visitor: the header's language menu lists the offered languages only
    await user.should_see(marker='language-menu')
    await header_offers(user, ['de', 'fr'])


async def header_offers(user, codes: list[str]) -> None:
    """The header's language menu lists exactly these languages."""
    for code in i18n.LANGUAGES:
        if code in codes:
            await user.should_see(marker=f'language-{code}')
        else:
            await user.should_not_see(marker=f'language-{code}')


async def test_an_admin_whose_rights_were_taken_is_refused_and_nothing_is_stored(user) -> None:
    admin = await admin_opens(user, '/admin/settings')
    await user.should_see('Languages')
    choose(user, 'languages-default', 'Français')
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()  # meanwhile, by another admin
    user.find(marker='languages-save').click()
    await settle()
    await user.should_see('You are not allowed to do this.')
    assert not Setting.select().where(Setting.key.in_(['default_language', 'offered_languages'])).exists()
    assert not AuditEvent.select().where(AuditEvent.action == 'settings.languages').exists()


def test_a_language_the_portal_does_not_ship_is_refused(db) -> None:
    admin = an_admin()
    with pytest.raises(DomainError) as refused:
        languages.save('pt', ['en'], by=admin)
    assert refused.value.field == 'default_language'
    with pytest.raises(DomainError) as refused:
        languages.save('en', ['en', 'xx'], by=admin)
    assert refused.value.field == 'offered_languages'
    assert languages.offered() == ['en', 'de', 'fr', 'es']
