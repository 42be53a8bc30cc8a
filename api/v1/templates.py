"""Email templates: the defaults and the admins' versions, edited and reset as on the Email templates page."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, IfMatch, Input, ReleasingRoute, atomic,
                           check_if_match, escaped, not_blank, says, with_etag)
from mail import templates
from domain.errors import NotFound
from workflows import mail_admin

router = APIRouter(prefix='/email-templates', tags=['email templates'], route_class=ReleasingRoute)


class TemplateOut(BaseModel):
    key: str
    description: str
    subject: str
    body: str
    customised: bool
    placeholders: list[str]


class TemplateList(BaseModel):
    items: list[TemplateOut]


class TemplateIn(Input):
    # workflows/mail_admin.py: a subject of one line, a body of at most MAX_BODY characters
    subject: str = Field(max_length=10_000, json_schema_extra=says(maxLength=mail_admin.SUBJECT_MAX,
                                                                   pattern=not_blank(escaped('\n'))))
    body: str = Field(max_length=100_000, json_schema_extra=says(maxLength=mail_admin.MAX_BODY, pattern=not_blank()))


def show(key: str) -> TemplateOut:
    if key not in templates.DESCRIPTIONS:
        raise NotFound('This template')
    subject, body, customised = templates.effective(key)
    default_subject, default_body = templates.default(key)
    return TemplateOut(key=key, description=templates.DESCRIPTIONS[key], subject=subject, body=body,
                       customised=customised,
                       placeholders=sorted(templates.placeholders(default_subject + default_body) | {'portal_name'}))


@router.get('', response_model=TemplateList, responses=READ_ERRORS, summary='List email templates')
def list_templates(_: Principal = Depends(reader)) -> dict:
    return {'items': [show(key) for key in templates.keys()]}


@router.get('/{key}', response_model=TemplateOut, responses=READ_ERRORS, summary='Get an email template')
def get_template(key: str, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show(key))


@router.put('/{key}', response_model=TemplateOut, responses=UPDATE_ERRORS, summary="Save the admins' version")
def save_template(key: str, body: TemplateIn, response: Response, principal: Principal = Depends(writer),
                  if_match: str = IfMatch):
    with atomic():
        check_if_match(if_match, show(key))
        mail_admin.save_template(key, body.subject, body.body, by=principal.user)
    return with_etag(response, show(key))


@router.delete('/{key}', response_model=TemplateOut, responses=WRITE_ERRORS, summary='Back to the default text')
def reset_template(key: str, response: Response, principal: Principal = Depends(writer)):
    show(key)
    mail_admin.reset_template(key, by=principal.user)
    return with_etag(response, show(key))
