"""Users: list with filters, get, create (with a password or an invite), approve or reject a registration,
activate, deactivate, send an invite, move between teams, delete."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (EMAIL_PATTERN, READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, BodyId, Id, IfMatch, Input, QueryId,
                           ReleasingRoute, changing, clean, clean_filter, created, escaped, found, grouped, not_blank,
                           says, utc, with_etag)
from api.v1.paging import Page, Paging, filtered, page
from db.models import Membership, User
from workflows import REASON_MAX, accounts, activation, organisations, passwords, registration, users

router = APIRouter(prefix='/users', tags=['users'], route_class=ReleasingRoute)
Status = Annotated[str, Field(pattern='^(pending_verification|pending_approval|invited|active|inactive|rejected)$')]


class UserOut(BaseModel):
    id: int
    email: str
    first_name: str
    last_name: str
    status: str
    role: str
    is_portal_admin: bool
    organisation_id: int
    team_ids: list[int]
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None
    decided_at: datetime | None


# workflows/accounts.py: a name is one line of at most NAME_MAX characters; an email address matches EMAIL_RE
PERSON_NAME = says(maxLength=accounts.NAME_MAX, pattern=not_blank(escaped(accounts.NOT_IN_NAMES)))
EMAIL = says(maxLength=accounts.EMAIL_MAX, pattern=EMAIL_PATTERN)
PASSWORD = says(minLength=passwords.MIN_LENGTH, maxLength=passwords.MAX_LENGTH, pattern=clean())

class NewUser(Input):
    first_name: str = Field(max_length=200, json_schema_extra=PERSON_NAME)
    last_name: str = Field(max_length=200, json_schema_extra=PERSON_NAME)
    email: str = Field(max_length=300, json_schema_extra=EMAIL)
    organisation_id: BodyId | None = Field(None, description='the default organisation when left out')
    password: str | None = Field(None, max_length=1000, json_schema_extra=PASSWORD, description='set a password: the account is active at once')
    must_change_password: bool = False
    send_invite: bool = Field(False, description='email an invite instead of setting a password')


class UserChange(Input):
    first_name: str | None = Field(None, max_length=200, json_schema_extra=PERSON_NAME)
    last_name: str | None = Field(None, max_length=200, json_schema_extra=PERSON_NAME)


class Reason(Input):
    reason: str = Field('', max_length=REASON_MAX)


class Teams(Input):
    team_ids: list[BodyId] = Field(max_length=1000)


def show(user: User, team_ids: list[int] | None = None) -> UserOut:
    if team_ids is None:
        team_ids = [m.team_id for m in Membership.select(Membership.team).where(Membership.user == user.id)
                    .order_by(Membership.team)]
    return UserOut(id=user.id, email=user.email, first_name=user.first_name, last_name=user.last_name,
                   status=user.status, role=user.role, is_portal_admin=user.is_portal_admin,
                   organisation_id=user.organisation_id, team_ids=team_ids,
                   must_change_password=user.must_change_password, created_at=utc(user.created_at),
                   last_login_at=utc(user.last_login_at), decided_at=utc(user.decided_at))


@router.get('', response_model=Page[UserOut], responses=READ_ERRORS, summary='List users')
def list_users(paging: Paging = Depends(), status: Status | None = None,
               organisation_id: QueryId = None,
               email: str | None = Query(None, max_length=254, description='part of the address'),
               _: Principal = Depends(reader)) -> dict:
    query = filtered(User.select(), (User.status, status), (User.organisation, organisation_id))
    if email:
        query = query.where(User.email.contains(clean_filter(email, 'email').lower()))
    result = page(query, User.id, paging, lambda user: user)
    ids = [user.id for user in result['items']]
    teams = grouped(Membership.select(Membership.user, Membership.team).where(Membership.user.in_(ids))
                    .order_by(Membership.team).tuples())
    result['items'] = [show(user, teams.get(user.id, [])) for user in result['items']]
    return result


@router.post('', response_model=UserOut, status_code=201, responses=WRITE_ERRORS, summary='Add new user')
def create_user(body: NewUser, response: Response, principal: Principal = Depends(writer)) -> UserOut:
    user = users.create_user(body.first_name, body.last_name, body.email, body.organisation_id, by=principal.user,
                             password=body.password or None, must_change_password=body.must_change_password,
                             send_invite=body.send_invite)
    return created(response, f'/api/v1/users/{user.id}', show(user))


@router.get('/{user_id}', response_model=UserOut, responses=READ_ERRORS, summary='Get a user')
def get_user(user_id: Id, response: Response, _: Principal = Depends(reader)) -> UserOut:
    return with_etag(response, show(found(User, user_id, 'This user')))


@router.patch('/{user_id}', response_model=UserOut, responses=UPDATE_ERRORS, summary="Correct a user's name")
def update_user(user_id: Id, body: UserChange, response: Response, principal: Principal = Depends(writer),
                if_match: str = IfMatch) -> UserOut:
    with changing(User, user_id, 'This user', if_match, show) as (user, _):
        users.update_user(user, user.first_name if body.first_name is None else body.first_name,
                          user.last_name if body.last_name is None else body.last_name, by=principal.user)
    return with_etag(response, show(found(User, user_id, 'This user')))


def _act(user_id: Id, response: Response, action) -> UserOut:
    action(found(User, user_id, 'This user'))
    return with_etag(response, show(found(User, user_id, 'This user')))


@router.delete('/{user_id}', status_code=204, responses=WRITE_ERRORS,
               summary='Delete a user (not yourself, nor the last portal admin or super admin)')
def delete_user(user_id: Id, principal: Principal = Depends(writer)) -> Response:
    users.delete_user(found(User, user_id, 'This user'), by=principal.user)
    return Response(status_code=204)


@router.post('/{user_id}/approve', response_model=UserOut, responses=WRITE_ERRORS, summary='Approve a registration')
def approve(user_id: Id, response: Response, principal: Principal = Depends(writer)) -> UserOut:
    return _act(user_id, response, lambda user: registration.approve(user, by=principal.user))


@router.post('/{user_id}/reject', response_model=UserOut, responses=WRITE_ERRORS, summary='Reject a registration')
def reject(user_id: Id, body: Reason, response: Response, principal: Principal = Depends(writer)) -> UserOut:
    return _act(user_id, response, lambda user: registration.reject(user, by=principal.user, reason=body.reason))


@router.post('/{user_id}/activate', response_model=UserOut, responses=WRITE_ERRORS, summary='Activate developer')
def activate(user_id: Id, response: Response, principal: Principal = Depends(writer)) -> UserOut:
    return _act(user_id, response, lambda user: activation.activate(user, by=principal.user))


@router.post('/{user_id}/deactivate', response_model=UserOut, responses=WRITE_ERRORS, summary='Deactivate')
def deactivate(user_id: Id, response: Response, principal: Principal = Depends(writer)) -> UserOut:
    return _act(user_id, response, lambda user: activation.deactivate(user, by=principal.user))


@router.post('/{user_id}/invite', response_model=UserOut, responses=WRITE_ERRORS, summary='Send invite')
def invite(user_id: Id, response: Response, principal: Principal = Depends(writer)) -> UserOut:
    return _act(user_id, response, lambda user: users.send_invite(user, by=principal.user))


@router.put('/{user_id}/teams', response_model=UserOut, responses=UPDATE_ERRORS,
            summary="Set the user's teams (of their organisation)")
def set_teams(user_id: Id, body: Teams, response: Response, principal: Principal = Depends(writer),
              if_match: str = IfMatch) -> UserOut:
    with changing(User, user_id, 'This user', if_match, show) as (user, _):
        organisations.set_teams(user, body.team_ids, by=principal.user)
    return with_etag(response, show(found(User, user_id, 'This user')))
