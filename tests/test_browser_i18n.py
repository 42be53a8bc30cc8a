"""The developer's language in a real browser (issue 28, "Done when"): a visitor switches to German and registers,
confirms the address and requests access in German, with the emails in German; a French admin's portal sends a
Spanish developer Spanish emails while the admin decides in French.

The expected texts come from the shipped catalogs and templates (what a translator changes moves with them); each
is checked to differ from the English, so an untranslated page cannot pass."""
from __future__ import annotations

from pathlib import Path

import pytest

from db import settings as stored
from db.models import AccessRequest, AccessStatus, App, ContentTranslation, Credential, User, UserStatus
from domain import i18n
from tests.utils import PASSWORD, a_catalog_world, a_user, an_admin, path_of, set_settings

pytestmark = pytest.mark.browser
TEMPLATES = Path(__file__).resolve().parent.parent / 'mail' / 'templates'


def t(language: str, message: str, **params) -> str:
    """A message as the catalog of `language` has it, and not the English one."""
    with i18n.use(language):
        text = i18n.gettext(message, **params)
    assert text != i18n.Lazy(message, params).english(), f'{message!r} has no {language} translation'
    return text


def plural(language: str, singular: str, plural_form: str, count: int) -> str:
    with i18n.use(language):
        return i18n.ngettext(singular, plural_form, count)


def subject(language: str, key: str) -> str:
    """The words of a shipped template's subject before its first placeholder (what the test can know)."""
    first = (TEMPLATES / language / f'{key}.txt').read_text(encoding='utf-8').splitlines()[0]
    words = first.removeprefix('Subject:').strip().split('${')[0].strip()
    english = (TEMPLATES / f'{key}.txt').read_text(encoding='utf-8').splitlines()[0]
    assert words and words not in english, f'{key}: no {language} subject'
    return words


def body_words(language: str, key: str) -> str:
    """A line of a shipped template's body without placeholders: it must be in the email as sent."""
    import re
    body = (TEMPLATES / language / f'{key}.txt').read_text(encoding='utf-8').split('\n', 1)[1]
    pieces = [piece.strip() for line in body.splitlines() for piece in re.split(r'\$\{[a-z_]+\}', line)]
    return max(pieces, key=len)


def test_a_visitor_switches_to_german_and_registers_verifies_and_requests_access_in_german(
        screen, browser, mailbox) -> None:
    b = browser
    screen.open('/catalogs')
    a_catalog_world()
    set_settings(auto_approve_users=True)
    b.sees('Catalogs')
    b.click('Language')
    b.click('Deutsch')
    b.sees(t('de', 'Log in'))
    b.does_not_see('Register to developer portal')
    assert b.driver.execute_script('return document.documentElement.lang') == 'de'

    screen.open('/register')  # the choice is remembered by this browser
    b.sees(t('de', 'Register to developer portal'))
    b.fills({t('de', 'First name'): 'Greta', t('de', 'Last name'): 'Gruber', t('de', 'Email'): 'greta@example.test',
             t('de', 'Password'): 'kurz', t('de', 'Confirm password'): 'kurz'})
    b.click(t('de', 'Register to developer portal'))
    assert b.field_error(t('de', 'Password'))  # the refusal next to the field, in German
    assert 'characters' not in b.field_error(t('de', 'Password'))
    assert User.select().count() == 0
    b.fills({t('de', 'Password'): PASSWORD, t('de', 'Confirm password'): PASSWORD})
    b.click(t('de', 'Register to developer portal'))
    b.sees(t('de', 'Check your inbox'))
    greta = User.get(User.email == 'greta@example.test')
    assert greta.locale == 'de' and greta.status == UserStatus.PENDING_VERIFICATION

    email = mailbox.expect('greta@example.test', subject('de', 'verify'))
    assert body_words('de', 'verify') in email.body
    screen.open(path_of(email.link('/auth/verify')))
    b.click(t('de', 'Confirm my email address'))
    b.at('/catalogs')
    assert User.get_by_id(greta.id).status == UserStatus.ACTIVE

    b.click(t('de', 'More info'), within=b.card('Weather for your apps'))  # what the admin wrote stays as written
    b.at('/products/weather')
    b.click(t('de', 'Add to cart'))
    b.notified(t('de', '{product} ({catalog}) is in your cart.', product='Weather', catalog='Public'))
    b.click(plural('de', 'Cart ({count} item)', 'Cart ({count} items)', 1))
    b.at('/cart')
    public = b.card(t('de', 'Catalog: {name}', name='Public'))
    b.click(t('de', 'Request access'), within=public)
    assert b.field_error(t('de', 'App name'), within=public)  # no name yet: said in German, nothing made
    assert App.select().count() == 0
    b.fill(t('de', 'App name'), 'Sturmwarnung', within=public)
    b.click(t('de', 'Request access'), within=public)
    b.sees(t('de', '{catalog}: access granted', catalog='Public'))
    app = App.get(App.name == 'Sturmwarnung')
    assert AccessRequest.get(AccessRequest.app == app).status == AccessStatus.APPROVED
    assert Credential.select().where(Credential.app == app).count() == 1
    granted = mailbox.expect('greta@example.test', subject('de', 'access_approved'))
    assert body_words('de', 'access_approved') in granted.body


def test_a_french_admins_portal_sends_a_spanish_developer_spanish_emails(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    world = a_catalog_world()
    stored.put('default_language', 'fr')
    admin = an_admin()
    User.update(locale='fr').where(User.id == admin.id).execute()
    developer = a_user('sofia@consumer.test')
    User.update(locale='es').where(User.id == developer.id).execute()

    b.log_in('sofia@consumer.test', lands_on='/dashboard')  # the Log in page in French, the portal's default
    screen.open('/products/payments')
    b.click(t('es', 'Add to cart'))
    b.notified(t('es', '{product} ({catalog}) is in your cart.', product='Payments', catalog='Partners'))
    screen.open('/cart')
    partners = b.card(t('es', 'Catalog: {name}', name='Partners'))
    b.fill(t('es', 'App name'), 'Tienda', within=partners)
    b.click(t('es', 'Request access'), within=partners)
    b.sees(t('es', '{catalog}: access requested', catalog='Partners'))
    request = AccessRequest.get(AccessRequest.catalog == world['Partners'])
    assert request.status == AccessStatus.PENDING
    waiting = mailbox.expect('sofia@consumer.test', subject('es', 'access_pending'))
    assert body_words('es', 'access_pending') in waiting.body
    approver = stored.admin_addresses()[0]  # the admin notification address: no account, the portal's French
    notice = mailbox.expect(approver, subject('fr', 'access_request_notice'))
    assert body_words('fr', 'access_request_notice') in notice.body

    b.driver.delete_all_cookies()
    b.log_in(admin.email, lands_on='/dashboard')
    screen.open('/admin/access-requests')
    b.sees(t('fr', 'Access requests'))
    row = b.row('Tienda')
    b.click(t('fr', 'Approve'), within=row)
    b.notified(t('fr', 'Access for {app} approved; the credentials are issued.', app='Tienda'))
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.APPROVED
    approved = mailbox.expect('sofia@consumer.test', subject('es', 'access_approved'))
    assert body_words('es', 'access_approved') in approved.body
    assert approved.subject != notice.subject


def test_an_admin_translates_a_product_in_the_browser_and_a_german_reader_sees_it(screen, browser) -> None:
    b = browser
    screen.open('/login')
    world = a_catalog_world()
    b.admin_opens('/admin/products')
    b.click('Translations', within=b.row('Weather'))
    dialog = b.open_dialog()
    b.sees('As written: Weather for your apps', within=dialog)
    b.fill('Summary', 'x' * 301, within=dialog)
    b.click('Save', within=dialog)
    assert 'too long' in b.field_error('Summary', within=dialog)
    assert not ContentTranslation.select().exists()
    b.fill('Summary', 'Wetter für Ihre Apps', within=dialog)
    b.click('Save', within=dialog)
    b.notified('The Deutsch translation was saved.')
    assert ContentTranslation.get().text == 'Wetter für Ihre Apps'
    b.click('Close', within=b.open_dialog())
    b.dialog_closed()
    b.driver.delete_all_cookies()
    reader = a_user('leser@consumer.test')
    User.update(locale='de').where(User.id == reader.id).execute()
    b.log_in('leser@consumer.test', lands_on='/dashboard')
    screen.open(f'/products/{world["Weather"].slug}')
    b.sees('Wetter für Ihre Apps')
    b.does_not_see('Weather for your apps')
