"""The portal in the reader's language (issue 28): the catalogs are complete, the reader's language is found, and
messages are translated when shown."""
from __future__ import annotations

import pytest

from domain import i18n
from domain.errors import DomainError, NotFound
from tools import i18n as catalogs


def test_every_catalog_is_complete_without_fuzzy_messages_and_with_the_english_placeholders() -> None:
    problems = catalogs.problems()
    assert problems == [], f'{len(problems)} problems, the first: ' + '\n'.join(problems[:40])


def test_a_placeholder_that_differs_from_the_english_one_is_found(tmp_path, monkeypatch) -> None:
    assert catalogs.fields('Saved {name} for {count}') == {'name', 'count'}
    assert catalogs.fields('Use {{braces}}') == set()
    assert catalogs.fields('Broken {name') == {'<unbalanced braces>'}


@pytest.mark.parametrize(('header', 'offered', 'expected'), [
    ('de-DE,de;q=0.9,en;q=0.8', ['en', 'de', 'fr'], 'de'),
    ('fr-CA;q=0.5, es;q=0.9', ['en', 'fr', 'es'], 'es'),
    ('pt-BR, de;q=0.1', ['en', 'de'], 'de'),
    ('pt-BR', ['en', 'de'], None),
    ('de;q=0, en', ['en', 'de'], 'en'),
    ('*', ['fr', 'en'], 'fr'),
    ('de;q=abc, xx' + ',x' * 5000, ['en', 'de'], None),  # malformed and huge: nothing chosen, no error
    ('', ['en'], None),
])
def test_the_browsers_languages_are_weighed_and_only_offered_ones_chosen(header, offered, expected) -> None:
    assert i18n.negotiate(header, offered) == expected


def test_a_domain_error_is_translated_when_shown_and_keeps_its_english_text() -> None:
    error = NotFound('This plan')
    assert error.english() == 'This plan was not found.'
    with i18n.use('en'):
        assert str(error) == 'This plan was not found.'
    refused = DomainError('The {label} is too long.', 'name', label=i18n.lazy('name'))
    assert refused.field == 'name' and refused.english() == 'The name is too long.'


def test_dates_and_numbers_are_written_in_the_readers_locale() -> None:
    from datetime import datetime
    moment = datetime(2026, 12, 7, 16, 5)
    assert i18n.number(1234567, 'en') == '1,234,567' and i18n.number(1234567, 'de') == '1.234.567'
    assert i18n.day(moment, 'de') == '07.12.2026' and i18n.day(moment, 'en') == 'Dec 7, 2026'
    assert i18n.moment(moment, 'en').endswith('UTC')
