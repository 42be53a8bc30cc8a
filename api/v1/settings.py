"""The portal's settings, read and changed as on the Settings page."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (READ_ERRORS, UPDATE_ERRORS, IfMatch, Input, ReleasingRoute, atomic, check_if_match, clean,
                           not_blank, says, with_etag)
from db.connection import is_postgres
from db.models import Setting
from workflows import brand, settings

# what workflows/settings.py accepts: texts of at most VALUE_MAX characters; an address with an @, a URL of http(s);
# the portal's name as workflows/brand.py checks it
PORTAL_NAME = says(maxLength=brand.NAME_MAX, pattern=not_blank())
ADMIN_EMAIL = says(maxLength=settings.VALUE_MAX, pattern=f'^$|^{clean()[1:-1]}@{clean()[1:-1]}$')
BASE_URL = says(maxLength=settings.VALUE_MAX, pattern=f'^$|^https?://{clean()[1:-1]}$')

router = APIRouter(prefix='/settings', tags=['settings'], route_class=ReleasingRoute)


class SettingsOut(BaseModel):
    portal_name: str
    auto_approve_users: bool
    delegate_user_management: bool
    require_email_verification: bool
    enable_org_registration: bool
    auto_approve_orgs: bool
    auto_approve_apps: bool
    delegate_app_management: bool
    admin_email: str
    base_url: str


class SettingsChange(Input):
    portal_name: str | None = Field(None, max_length=1000, json_schema_extra=PORTAL_NAME)
    auto_approve_users: bool | None = None
    delegate_user_management: bool | None = None
    require_email_verification: bool | None = None
    enable_org_registration: bool | None = None
    auto_approve_orgs: bool | None = None
    auto_approve_apps: bool | None = None
    delegate_app_management: bool | None = None
    admin_email: str | None = Field(None, max_length=1000, json_schema_extra=ADMIN_EMAIL)
    base_url: str | None = Field(None, max_length=1000, json_schema_extra=BASE_URL)


def show() -> SettingsOut:
    values = settings.load()
    return SettingsOut(**{key: values.get(key, field.default) for key, field in SettingsOut.model_fields.items()})


@router.get('', response_model=SettingsOut, responses=READ_ERRORS, summary='The settings')
def get_settings(response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show())


@router.patch('', response_model=SettingsOut, responses=UPDATE_ERRORS, summary='Change settings')
def update_settings(body: SettingsChange, response: Response, principal: Principal = Depends(writer),
                    if_match: str = IfMatch):
    changes = body.model_dump(exclude_none=True)
    with atomic():
        if is_postgres():  # one writer of the settings at a time, so If-Match compares with what is changed
            list(Setting.select().for_update())
        check_if_match(if_match, show())
        if changes:
            settings.update(changes, by=principal.user)
    return with_etag(response, show())
