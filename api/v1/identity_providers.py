"""Identity providers (issue 24): list, get, add, edit, delete, through the same workflow as Admin -> Sign-in
(workflows/sso.py), with the same checks (the issuer's discovery document is read) and audit events; and
deprovision, which signs a person the provider no longer lets in out everywhere (workflows/sso_logout.py).

The client secret is write-only: it is sent on create (and on a change that replaces it) and never answered."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api import sso as sso_routes
from api.v1.auth import Principal, reader, writer
from api.v1.common import (READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, BodyId, Id, IfMatch, Input, QueryId,
                           ReleasingRoute, changing, clean, created, escaped, not_blank, says, utc, with_etag)
from api.v1.paging import Page, Paging, filtered, page
from db.models import IdentityProvider
from domain.errors import DomainError
from workflows import sso, sso_groups, sso_logout

router = APIRouter(prefix='/identity-providers', tags=['identity providers'], route_class=ReleasingRoute)
Text = Annotated[str, Field(max_length=1000)]


def _one_line(most: int, *, required: bool = False):
    """workflows/sso.py's text: one line of at most `most` characters (stripped), not blank when required."""
    return says(maxLength=most, pattern=(not_blank if required else clean)(escaped('\r\n')))


NAME = _one_line(sso.NAME_MAX, required=True)
CLIENT_ID = _one_line(sso.CLIENT_ID_MAX, required=True)
SECRET = _one_line(sso.CLIENT_SECRET_MAX, required=True)
SCOPES = _one_line(sso.SCOPES_MAX)
GROUPS_CLAIM = _one_line(sso.GROUPS_CLAIM_MAX)
ADMIN_GROUP = _one_line(sso.ADMIN_GROUP_MAX)
GROUP = _one_line(sso_groups.GROUP_MAX, required=True)  # a row of the mapping
SUPER_ADMIN_GROUP = _one_line(sso_groups.GROUP_MAX)
ISSUER = says(pattern=r'^\s*https?://[^/?#\s@:]+(:\d{1,5})?(/[^?#\s]*)?\s*$')  # sso._clean_issuer, no query or fragment
DOMAIN = says(pattern=sso.DOMAIN_RE.pattern)


class TeamGroupOut(BaseModel):
    group: str
    team_id: int


class TeamGroup(Input):
    group: Text = Field(description='the group exactly as the provider names it in the groups claim', json_schema_extra=GROUP)
    team_id: BodyId = Field(description="a team of the provider's organisation")


class IdentityProviderOut(BaseModel):
    id: int
    name: str
    issuer: str
    client_id: str
    scopes: str
    enabled: bool
    organisation_id: int | None
    email_domains: list[str]
    for_admins: bool
    admin_group: str
    groups_claim: str
    team_groups: list[TeamGroupOut]
    super_admin_group: str
    required: bool = Field(description='the organisation\'s members sign in only through this provider')
    redirect_uri: str = Field(description='to register at the provider')
    backchannel_logout_uri: str = Field(description='to register at the provider (OpenID Connect Back-Channel '
                                                    'Logout)')
    created_at: datetime


class NewIdentityProvider(Input):
    name: Text = Field(json_schema_extra=NAME)
    issuer: Text = Field(json_schema_extra=ISSUER)
    client_id: Text = Field(json_schema_extra=CLIENT_ID)
    client_secret: Text = Field(description='write-only: never in an answer', json_schema_extra=SECRET)
    scopes: Text = Field('openid email profile', json_schema_extra=SCOPES)
    enabled: bool = True
    organisation_id: BodyId | None = None
    email_domains: list[Text] = Field([], max_length=100, json_schema_extra=DOMAIN)
    for_admins: bool = False
    admin_group: Text = Field('', json_schema_extra=ADMIN_GROUP)
    groups_claim: Text = Field('groups', json_schema_extra=GROUPS_CLAIM)
    team_groups: list[TeamGroup] = Field([], max_length=500)
    super_admin_group: Text = Field('', json_schema_extra=SUPER_ADMIN_GROUP)
    required: bool = False


class IdentityProviderChange(Input):
    name: Text | None = Field(None, json_schema_extra=NAME)
    issuer: Text | None = Field(None, json_schema_extra=ISSUER)
    client_id: Text | None = Field(None, json_schema_extra=CLIENT_ID)
    client_secret: Text | None = Field(None, description='write-only; left out: the stored one is kept',
                                       json_schema_extra=_one_line(sso.CLIENT_SECRET_MAX))
    scopes: Text | None = Field(None, json_schema_extra=SCOPES)
    enabled: bool | None = None
    organisation_id: BodyId | None = Field(None, description='left out or null: unchanged')
    email_domains: list[Text] | None = Field(None, max_length=100, json_schema_extra=DOMAIN)
    for_admins: bool | None = None
    admin_group: Text | None = Field(None, json_schema_extra=ADMIN_GROUP)
    groups_claim: Text | None = Field(None, json_schema_extra=GROUPS_CLAIM)
    team_groups: list[TeamGroup] | None = Field(None, max_length=500)
    super_admin_group: Text | None = Field(None, json_schema_extra=SUPER_ADMIN_GROUP)
    required: bool | None = None


class Person(Input):
    subject: str | None = Field(None, min_length=1, max_length=255, description="the provider's `sub` for them")
    email: str | None = Field(None, min_length=3, max_length=254)


class DeprovisionOut(BaseModel):
    user_id: int
    email: str
    sessions_ended: int
    deactivated: bool = Field(description='only an account with no other way in (no password, no other provider)')
    detail: str


def show(provider: IdentityProvider) -> IdentityProviderOut:
    return IdentityProviderOut(
        id=provider.id, name=provider.name, issuer=provider.issuer, client_id=provider.client_id,
        scopes=provider.scopes, enabled=provider.enabled, organisation_id=provider.organisation_id,
        email_domains=list(provider.email_domains or []), for_admins=provider.for_admins,
        admin_group=provider.admin_group, groups_claim=provider.groups_claim,
        team_groups=[TeamGroupOut(group=row['group'], team_id=row['team']) for row in provider.team_groups or []],
        super_admin_group=provider.super_admin_group, required=provider.required, redirect_uri=sso.redirect_uri(),
        backchannel_logout_uri=sso_routes.backchannel_logout_uri(provider.id), created_at=utc(provider.created_at))


def _fields(values: dict) -> dict:
    """The workflow's names for the API's fields."""
    if values.get('team_groups') is not None:
        values['team_groups'] = [{'group': row['group'], 'team': row['team_id']} for row in values['team_groups']]
    return values


def _renamed(error: DomainError) -> DomainError:
    """The workflow names the page's field `organisation`; the API's is `organisation_id`."""
    return DomainError(str(error), 'organisation_id') if error.field == 'organisation' else error


@router.get('', response_model=Page[IdentityProviderOut], responses=READ_ERRORS, summary='List identity providers')
def list_providers(paging: Paging = Depends(), organisation_id: QueryId = None,
                   _: Principal = Depends(reader)) -> dict:
    query = filtered(IdentityProvider.select(), (IdentityProvider.organisation, organisation_id))
    return page(query, IdentityProvider.id, paging, show)


@router.post('', response_model=IdentityProviderOut, status_code=201, responses=WRITE_ERRORS,
             summary="Add an identity provider (its issuer's discovery document is read)")
def create_provider(body: NewIdentityProvider, response: Response, principal: Principal = Depends(writer)):
    try:
        provider = sso.save_provider(None, **_fields(body.model_dump()), by=principal.user)
    except DomainError as error:
        raise _renamed(error) from None
    return created(response, f'/api/v1/identity-providers/{provider.id}', show(provider))


@router.get('/{provider_id}', response_model=IdentityProviderOut, responses=READ_ERRORS,
            summary='Get an identity provider')
def get_provider(provider_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show(sso.find_provider(provider_id)))


@router.patch('/{provider_id}', response_model=IdentityProviderOut, responses=UPDATE_ERRORS,
              summary='Change an identity provider')
def update_provider(provider_id: Id, body: IdentityProviderChange, response: Response,
                    principal: Principal = Depends(writer), if_match: str = IfMatch):
    changes = _fields(body.model_dump(exclude_none=True))
    current = sso.find_provider(provider_id)
    issuer = changes.get('issuer', current.issuer)
    try:
        sso.discover(issuer)  # before the transaction: no call to the provider while rows are locked
        with changing(IdentityProvider, provider_id, 'This identity provider', if_match, show) as (provider, _):
            values = {name: getattr(provider, name) for name in
                      ('name', 'issuer', 'client_id', 'scopes', 'enabled', 'organisation_id', 'email_domains',
                       'for_admins', 'admin_group', 'groups_claim', 'team_groups', 'super_admin_group', 'required')}
            provider = sso.save_provider(provider.id, **{**values, **changes}, by=principal.user, discovered=True)
    except DomainError as error:
        raise _renamed(error) from None
    return with_etag(response, show(provider))


@router.delete('/{provider_id}', status_code=204, responses=WRITE_ERRORS,
               summary='Delete an identity provider (the accounts it signed in stay)')
def delete_provider(provider_id: Id, principal: Principal = Depends(writer)) -> Response:
    sso.delete_provider(provider_id, by=principal.user)
    return Response(status_code=204)


@router.post('/{provider_id}/deprovision', response_model=DeprovisionOut, responses=WRITE_ERRORS,
             summary='The provider no longer lets this person in: sign them out everywhere (and deactivate an '
                     'account with no other way in)')
def deprovision(provider_id: Id, body: Person, principal: Principal = Depends(writer)) -> DeprovisionOut:
    done = sso_logout.deprovision(provider_id, principal.user, subject=body.subject, email=body.email)
    return DeprovisionOut(user_id=done.user.id, email=done.user.email, sessions_ended=done.sessions_ended,
                          deactivated=done.deactivated, detail=done.detail)
