"""Translations of what admins write (issue 28, item 4): per language and field, falling back to the text as
written, saved in one transaction and audited."""
from __future__ import annotations

import pytest

from db.models import AuditEvent, ContentTranslation, Product
from domain.errors import DomainError, PermissionDenied
from tests.utils import a_catalog_world, a_user, an_admin
from workflows import content_translations


def test_a_product_translated_into_german_is_read_in_german_and_as_written_elsewhere(db) -> None:
    world = a_catalog_world()
    admin, weather = an_admin(), world['Weather']
    saved = content_translations.save('product', weather.id, 'de', {'summary': 'Wetter für Ihre Apps',
                                                                    'description': '# Wetter\n\nDas Produkt.'},
                                      by=admin)
    assert saved == {'summary': 'Wetter für Ihre Apps', 'description': '# Wetter\n\nDas Produkt.'}
    german = content_translations.texts('product', [weather.id, world['Maps'].id], 'de')
    assert content_translations.shown(german, weather, 'summary') == 'Wetter für Ihre Apps'
    assert content_translations.shown(german, weather, 'name') == 'Weather'  # not translated: as written
    assert content_translations.shown(german, world['Maps'], 'summary') == 'Maps for your apps'
    french = content_translations.texts('product', [weather.id], 'fr')
    assert content_translations.shown(french, weather, 'summary') == 'Weather for your apps'
    assert Product.get_by_id(weather.id).summary == 'Weather for your apps'  # the text as written is unchanged
    assert AuditEvent.select().where(AuditEvent.action == 'content.translate').count() == 1


def test_an_emptied_field_falls_back_and_bad_input_changes_nothing(db) -> None:
    world = a_catalog_world()
    admin, weather = an_admin(), world['Weather']
    content_translations.save('product', weather.id, 'es', {'summary': 'El tiempo'}, by=admin)
    content_translations.save('product', weather.id, 'es', {'summary': '  '}, by=admin)
    assert ContentTranslation.select().count() == 0
    content_translations.save('product', weather.id, 'es', {'summary': 'El tiempo'}, by=admin)
    for values, field in (({'summary': 'x' * 301}, 'summary'), ({'name': 'Dos\nlíneas'}, 'name'),
                          ({'price': '1'}, 'field')):
        with pytest.raises(DomainError) as refused:
            content_translations.save('product', weather.id, 'es', values, by=admin)
        assert refused.value.field == field
    with pytest.raises(DomainError) as refused:
        content_translations.save('product', weather.id, 'xx', {'summary': 'x'}, by=admin)
    assert refused.value.field == 'locale'
    with pytest.raises(PermissionDenied):
        content_translations.save('product', weather.id, 'es', {'summary': 'Robado'}, by=a_user('dev@consumer.test'))
    assert [row.text for row in ContentTranslation.select()] == ['El tiempo']


async def test_an_admin_translates_a_product_in_its_dialog_with_errors_next_to_the_field(user) -> None:
    from tests.utils import admin_opens, element, until
    world = a_catalog_world()
    await admin_opens(user, '/admin/products')
    user.find(marker='product-weather-translations').click()
    await user.should_see(marker='product-weather-translation-language')
    await user.should_see('As written: Weather for your apps')
    assert element(user, 'product-weather-translation-language').value == 'de'
    user.find(marker='product-weather-translation-summary').type('x' * 301)
    user.find(marker='product-weather-translation-save').click()
    await until(lambda: (element(user, 'product-weather-translation-summary').error or '').startswith('The summary'))
    assert ContentTranslation.select().count() == 0
    element(user, 'product-weather-translation-summary').value = 'Wetter für Ihre Apps'
    user.find(marker='product-weather-translation-save').click()
    await user.should_see('The Deutsch translation was saved.')
    row = ContentTranslation.get()
    assert (row.kind, row.object_id, row.locale, row.field, row.text) == ('product', world['Weather'].id, 'de',
                                                                          'summary', 'Wetter für Ihre Apps')
    element(user, 'product-weather-translation-language').value = 'fr'  # another language: its own, empty, fields
    await until(lambda: element(user, 'product-weather-translation-summary').value == '')
    element(user, 'product-weather-translation-language').value = 'de'
    await until(lambda: element(user, 'product-weather-translation-summary').value == 'Wetter für Ihre Apps')


async def test_a_german_reader_sees_the_translated_product_page_and_guide_and_others_see_them_as_written(user) -> None:
    from db.models import Guide
    from tests.utils import opens_as
    world = a_catalog_world()
    admin, weather = an_admin(), world['Weather']
    guide = Guide.create(product=weather, title='Getting started', slug='getting-started', body='Call the API.',
                         published=True)
    content_translations.save('product', weather.id, 'de', {'name': 'Wetter', 'summary': 'Wetter für Ihre Apps',
                                                            'description': 'Das **Wetter**-Produkt.'}, by=admin)
    content_translations.save('guide', guide.id, 'de', {'title': 'Erste Schritte', 'body': 'Rufen Sie die API auf.'},
                              by=admin)
    reader = a_user('leser@consumer.test')
    from db.models import User
    User.update(locale='de').where(User.id == reader.id).execute()
    await opens_as(user, 'leser@consumer.test', '/products/weather/guides/getting-started')
    await user.should_see('Wetter für Ihre Apps')
    await user.should_see('Erste Schritte')
    await user.should_see('Rufen Sie die API auf.')
    await user.should_not_see('Weather for your apps')
    await user.should_not_see('Call the API.')
    await user.open('/catalogs')
    await user.should_see('Wetter für Ihre Apps')
    User.update(locale='fr').where(User.id == reader.id).execute()
    await user.open('/products/weather')
    await user.should_see('Weather for your apps')  # no French translation: as written
    await user.should_not_see('Wetter für Ihre Apps')


async def test_an_admin_demoted_while_the_dialog_is_open_saves_nothing(user, caplog) -> None:
    from db.models import User
    from tests.utils import admin_opens, element
    a_catalog_world()
    admin = await admin_opens(user, '/admin/products')
    user.find(marker='product-weather-translations').click()
    await user.should_see(marker='product-weather-translation-summary')
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()  # in another tab, another admin
    element(user, 'product-weather-translation-summary').value = 'Gestohlen'
    user.find(marker='product-weather-translation-save').click()
    await user.should_see('You are not allowed to do this.')
    assert ContentTranslation.select().count() == 0
    from tests.test_attacks import _drop_logged
    _drop_logged(caplog, 'Expected status code 200, got 403')  # the frame's watcher reloads the tab: now 403
