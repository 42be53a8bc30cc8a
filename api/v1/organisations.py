"""Organisations and teams: create, edit, delete, members, approve or reject a request for a new one."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (EMAIL_PATTERN, READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, Id, IfMatch, Input, ReleasingRoute,
                           changing, clean_filter, created, found, not_blank, says, utc, with_etag)
from api.v1.paging import Page, Paging, filtered, page
from api.v1.users import Reason, UserOut
from api.v1.users import show as show_user
from db.models import Organisation, Team, User
from workflows import accounts, organisations

router = APIRouter(tags=['organisations and teams'], route_class=ReleasingRoute)


class OrganisationOut(BaseModel):
    id: int
    name: str
    status: str
    contact_email: str
    is_default: bool
    requested_by_id: int | None
    created_at: datetime
    decided_at: datetime | None


# workflows/organisations.py: a name of at most NAME_MAX characters (an organisation's, a team's); a contact address
# as accounts.clean_email checks it, or none
ORG_NAME = says(maxLength=organisations.NAME_MAX, pattern=not_blank())
CONTACT = says(maxLength=accounts.EMAIL_MAX, pattern='^$|' + EMAIL_PATTERN)

class NewOrganisation(Input):
    name: str = Field(max_length=1000, json_schema_extra=ORG_NAME)
    contact_email: str = Field('', max_length=300, json_schema_extra=CONTACT)


class OrganisationChange(Input):
    name: str | None = Field(None, max_length=1000, json_schema_extra=ORG_NAME)
    contact_email: str | None = Field(None, max_length=300, json_schema_extra=CONTACT)


class TeamOut(BaseModel):
    id: int
    organisation_id: int
    name: str
    is_default: bool
    created_at: datetime


class TeamList(BaseModel):
    items: list[TeamOut]


class TeamName(Input):
    name: str = Field(max_length=1000, json_schema_extra=ORG_NAME)


def show(org: Organisation) -> OrganisationOut:
    return OrganisationOut(id=org.id, name=org.name, status=org.status, contact_email=org.contact_email,
                           is_default=org.is_default, requested_by_id=org.requested_by_id,
                           created_at=utc(org.created_at), decided_at=utc(org.decided_at))


def show_team(team: Team) -> TeamOut:
    return TeamOut(id=team.id, organisation_id=team.organisation_id, name=team.name, is_default=team.is_default,
                   created_at=utc(team.created_at))


@router.get('/organisations', response_model=Page[OrganisationOut], responses=READ_ERRORS, summary='List organisations')
def list_organisations(paging: Paging = Depends(), status: str | None = None, name: str | None = None,
                       _: Principal = Depends(reader)) -> dict:
    query = filtered(Organisation.select(), (Organisation.status, status))
    if name:
        query = query.where(Organisation.name_key.contains(clean_filter(name, 'name').lower()))
    return page(query, Organisation.id, paging, show)


@router.post('/organisations', response_model=OrganisationOut, status_code=201, responses=WRITE_ERRORS,
             summary='Create an organisation (with its default team)')
def create_organisation(body: NewOrganisation, response: Response, principal: Principal = Depends(writer)):
    org = organisations.create_organisation(body.name, by=principal.user, contact_email=body.contact_email)
    return created(response, f'/api/v1/organisations/{org.id}', show(org))


@router.get('/organisations/{organisation_id}', response_model=OrganisationOut, responses=READ_ERRORS,
            summary='Get an organisation')
def get_organisation(organisation_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show(organisations.find(organisation_id)))


@router.patch('/organisations/{organisation_id}', response_model=OrganisationOut, responses=UPDATE_ERRORS,
              summary='Rename an organisation or change its contact address')
def update_organisation(organisation_id: Id, body: OrganisationChange, response: Response,
                        principal: Principal = Depends(writer),
                        if_match: str = IfMatch):
    with changing(Organisation, organisation_id, 'This organization', if_match, show) as (org, _):
        org = organisations.update_organisation(
            org, body.name if body.name is not None else org.name,
            body.contact_email if body.contact_email is not None else org.contact_email, by=principal.user)
    return with_etag(response, show(org))


@router.delete('/organisations/{organisation_id}', status_code=204, responses=WRITE_ERRORS,
               summary='Delete an organisation (its users go back to the default organisation)')
def delete_organisation(organisation_id: Id, principal: Principal = Depends(writer)) -> Response:
    organisations.delete_organisation(organisations.find(organisation_id), by=principal.user)
    return Response(status_code=204)


@router.post('/organisations/{organisation_id}/approve', response_model=OrganisationOut, responses=WRITE_ERRORS,
             summary='Approve a request for a new organisation')
def approve(organisation_id: Id, response: Response, principal: Principal = Depends(writer)):
    organisations.approve(organisations.find(organisation_id), by=principal.user)
    return with_etag(response, show(organisations.find(organisation_id)))


@router.post('/organisations/{organisation_id}/reject', response_model=OrganisationOut, responses=WRITE_ERRORS,
             summary='Reject a request for a new organisation')
def reject(organisation_id: Id, body: Reason, response: Response, principal: Principal = Depends(writer)):
    organisations.reject(organisations.find(organisation_id), by=principal.user, reason=body.reason)
    return with_etag(response, show(organisations.find(organisation_id)))


@router.get('/organisations/{organisation_id}/members', response_model=Page[UserOut], responses=READ_ERRORS,
            summary="An organisation's users")
def members(organisation_id: Id, paging: Paging = Depends(), _: Principal = Depends(reader)) -> dict:
    org = organisations.find(organisation_id)
    return page(User.select().where(User.organisation == org), User.id, paging, show_user)


@router.get('/organisations/{organisation_id}/teams', response_model=TeamList, responses=READ_ERRORS,
            summary="An organisation's teams")
def teams(organisation_id: Id, _: Principal = Depends(reader)) -> dict:
    org = organisations.find(organisation_id)
    return {'items': [show_team(team) for team in Team.select().where(Team.organisation == org).order_by(Team.id)]}


@router.post('/organisations/{organisation_id}/teams', response_model=TeamOut, status_code=201,
             responses=WRITE_ERRORS, summary='Add a team')
def add_team(organisation_id: Id, body: TeamName, response: Response, principal: Principal = Depends(writer)):
    team = organisations.add_team(organisations.find(organisation_id), body.name, by=principal.user)
    return created(response, f'/api/v1/teams/{team.id}', show_team(team))


@router.get('/teams/{team_id}', response_model=TeamOut, responses=READ_ERRORS, summary='Get a team')
def get_team(team_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_team(found(Team, team_id, 'This team')))


@router.patch('/teams/{team_id}', response_model=TeamOut, responses=UPDATE_ERRORS, summary='Rename a team')
def rename_team(team_id: Id, body: TeamName, response: Response, principal: Principal = Depends(writer),
                if_match: str = IfMatch):
    with changing(Team, team_id, 'This team', if_match, show_team) as (team, _):
        team = organisations.rename_team(team, body.name, by=principal.user)
    return with_etag(response, show_team(team))


@router.delete('/teams/{team_id}', status_code=204, responses=WRITE_ERRORS, summary='Delete a team')
def delete_team(team_id: Id, principal: Principal = Depends(writer)) -> Response:
    organisations.delete_team(found(Team, team_id, 'This team'), by=principal.user)
    return Response(status_code=204)
