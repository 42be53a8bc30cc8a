"""Email templates: the defaults and the admins' versions, edited and reset as on the Email templates page, each
in a language (issue 28): `?locale=de` reads or changes the German text; without it, the portal's default
language."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, IfMatch, Input, ReleasingRoute, atomic,
                           check_if_match, escaped, not_blank, says, with_etag)
from mail import templates
from domain.errors import NotFound
from workflows import mail_admin

router = APIRouter(prefix='/email-templates', tags=['email templates'], route_class=ReleasingRoute)

Language = Literal['en', 'de', 'fr', 'es']  # db/settings.SHIPPED_LANGUAGES (tests/test_mail_languages checks it)
LOCALE = Query(None, description='The language of the template: one the portal ships (en, de, fr, es); '
                                 "without it, the portal's default language.")


class TemplateOut(BaseModel):
    key: str
    locale: Language = Field(description='The language of this subject and body.')
    description: str
    subject: str
    body: str
    customised: bool = Field(description="True when it is the admins' version in this language.")
    source: Literal['edited', 'shipped', 'english'] = Field(
        description="Where the text comes from: the admins' version in this language, the shipped template of "
                    'this language, or the shipped English one (no template of this language is shipped).')
    placeholders: list[str]


class TemplateList(BaseModel):
    items: list[TemplateOut]


class TemplateIn(Input):
    # workflows/mail_admin.py: a subject of one line, a body of at most MAX_BODY characters
    subject: str = Field(max_length=10_000, json_schema_extra=says(maxLength=mail_admin.SUBJECT_MAX,
                                                                   pattern=not_blank(escaped('\n'))))
    body: str = Field(max_length=100_000, json_schema_extra=says(maxLength=mail_admin.MAX_BODY, pattern=not_blank()))


def show(key: str, locale: str | None) -> TemplateOut:
    if key not in templates.DESCRIPTIONS:
        raise NotFound('This template')
    language = mail_admin.template_language(locale)
    subject, body, customised = templates.effective(key, language)
    default_subject, default_body = templates.default(key)
    return TemplateOut(key=key, locale=language, description=templates.DESCRIPTIONS[key], subject=subject,
                       body=body, customised=customised, source=templates.origin(key, language, customised),
                       placeholders=sorted(templates.placeholders(default_subject + default_body) | {'portal_name'}))


@router.get('', response_model=TemplateList, responses=READ_ERRORS, summary='List email templates')
def list_templates(locale: Language | None = LOCALE, _: Principal = Depends(reader)) -> dict:
    return {'items': [show(key, locale) for key in templates.keys()]}


@router.get('/{key}', response_model=TemplateOut, responses=READ_ERRORS, summary='Get an email template')
def get_template(key: str, response: Response, locale: Language | None = LOCALE, _: Principal = Depends(reader)):
    return with_etag(response, show(key, locale))


@router.put('/{key}', response_model=TemplateOut, responses=UPDATE_ERRORS, summary="Save the admins' version")
def save_template(key: str, body: TemplateIn, response: Response, locale: Language | None = LOCALE,
                  principal: Principal = Depends(writer), if_match: str = IfMatch):
    with atomic():
        check_if_match(if_match, show(key, locale))
        mail_admin.save_template(key, body.subject, body.body, by=principal.user, locale=locale)
    return with_etag(response, show(key, locale))


@router.delete('/{key}', response_model=TemplateOut, responses=WRITE_ERRORS, summary='Back to the default text')
def reset_template(key: str, response: Response, locale: Language | None = LOCALE,
                   principal: Principal = Depends(writer)):
    show(key, locale)
    mail_admin.reset_template(key, by=principal.user, locale=locale)
    return with_etag(response, show(key, locale))
