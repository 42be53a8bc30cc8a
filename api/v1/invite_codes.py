"""Invite codes (issue 15): list with filters, get, create, edit, activate, deactivate, through the same
workflow functions as the Invite codes page (workflows/invite_codes.py), with the same audit events.

The plain code is in the answer to its creation only (the page's show-once); lists and single items carry
its first characters (`code_prefix`) and never the code itself."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, BodyId, Id, IfMatch, Input, QueryId,
                           ReleasingRoute, changing, clean_filter, created, utc, with_etag)
from api.v1.paging import Page, Paging, filtered, page
from db import clock
from db.models import InviteCode, Organisation, Team
from domain.errors import DomainError
from workflows import invite_codes

router = APIRouter(prefix='/invite-codes', tags=['invite codes'], route_class=ReleasingRoute)
State = Annotated[str, Field(pattern='^(active|inactive)$')]
Day = Annotated[date, Field(description='the last day the code works (UTC)', strict=False)]  # JSON: a string


class InviteCodeOut(BaseModel):
    id: int
    code_prefix: str = Field(description='the first characters of the code, to recognise it; never the code')
    team_id: int
    team_name: str
    organisation_id: int
    organisation_name: str
    quota: int
    used: int
    remaining: int
    expires_on: date
    expired: bool
    state: str
    note: str
    created_by_id: int | None
    created_at: datetime


class NewInviteCodeOut(InviteCodeOut):
    code: str = Field(description='the code itself: in this answer only, as the page shows it once')
    link: str = Field(description='the ready registration link with the code')


class NewInviteCode(Input):
    team_id: BodyId
    quota: int = Field(ge=1, le=invite_codes.QUOTA_MAX, description='how many people may register with it')
    expires_on: Day
    state: State = 'active'
    note: str = Field('', max_length=invite_codes.NOTE_MAX)


class InviteCodeChange(Input):
    quota: int | None = Field(None, ge=1, le=invite_codes.QUOTA_MAX, description='never below `used`')
    expires_on: Day | None = None
    state: State | None = None
    note: str | None = Field(None, max_length=invite_codes.NOTE_MAX)


def show(code: InviteCode) -> InviteCodeOut:
    team = code.team  # joined by the queries below (one more query for a code read on its own)
    organisation = team.organisation
    return InviteCodeOut(id=code.id, code_prefix=code.code_prefix, team_id=team.id, team_name=team.name,
                         organisation_id=organisation.id, organisation_name=organisation.name, quota=code.quota,
                         used=code.used, remaining=code.remaining, expires_on=invite_codes.expiry_day(code),
                         expired=invite_codes.is_expired(code), state=code.state, note=code.note,
                         created_by_id=code.created_by_id, created_at=utc(code.created_at))


def _renamed(error: DomainError) -> DomainError:
    """The workflow names the page's field `team`; the API's is `team_id`."""
    if error.field == 'team':
        return DomainError(str(error), 'team_id')
    return error


@router.get('', response_model=Page[InviteCodeOut], responses=READ_ERRORS, summary='List invite codes (newest first)')
def list_codes(paging: Paging = Depends(), state: State | None = None, team_id: QueryId = None,
               organisation_id: QueryId = None,
               expired: bool | None = Query(None, description='only expired codes (true) or unexpired ones (false)'),
               search: str | None = Query(None, max_length=100, description='part of the note or of the code prefix'),
               principal: Principal = Depends(reader)) -> dict:
    query = invite_codes.scoped(InviteCode.select(InviteCode, Team, Organisation).join(Team).join(Organisation),
                                principal.user)
    query = filtered(query, (InviteCode.state, state), (InviteCode.team, team_id), (Team.organisation, organisation_id))
    if expired is not None:
        now = clock.now()
        query = query.where(InviteCode.expires_at <= now if expired else InviteCode.expires_at > now)
    text = clean_filter(search, 'search')
    if text:
        query = query.where(InviteCode.note.contains(text) | InviteCode.code_prefix.contains(text))
    return page(query, InviteCode.id, paging, show, newest_first=True)


@router.post('', response_model=NewInviteCodeOut, status_code=201, responses=WRITE_ERRORS,
             summary='Add an invite code (the code is in this answer only)')
def create_code(body: NewInviteCode, response: Response, principal: Principal = Depends(writer)) -> NewInviteCodeOut:
    try:
        code, raw = invite_codes.create(body.team_id, body.quota, body.expires_on, body.state, body.note,
                                        by=principal.user)
    except DomainError as error:
        raise _renamed(error) from None
    response.headers['Cache-Control'] = 'no-store'
    shown = created(response, f'/api/v1/invite-codes/{code.id}', show(InviteCode.get_by_id(code.id)))
    return NewInviteCodeOut(**shown.model_dump(), code=raw, link=invite_codes.link(raw))


@router.get('/{code_id}', response_model=InviteCodeOut, responses=READ_ERRORS, summary='Get an invite code')
def get_code(code_id: Id, response: Response, principal: Principal = Depends(reader)) -> InviteCodeOut:
    return with_etag(response, show(invite_codes.find(code_id, principal.user)))


@router.patch('/{code_id}', response_model=InviteCodeOut, responses=UPDATE_ERRORS,
              summary='Edit an invite code: quota, expiry, state, note')
def update_code(code_id: Id, body: InviteCodeChange, response: Response, principal: Principal = Depends(writer),
                if_match: str = IfMatch) -> InviteCodeOut:
    code = invite_codes.find(code_id, principal.user)  # another organisation's code is "not found"
    with changing(InviteCode, code.id, 'This invite code', if_match, show) as (code, current):
        invite_codes.edit(code.id, current.quota if body.quota is None else body.quota,
                          current.expires_on if body.expires_on is None else body.expires_on,
                          current.state if body.state is None else body.state,
                          current.note if body.note is None else body.note, by=principal.user)
    return with_etag(response, show(invite_codes.find(code_id, principal.user)))


@router.post('/{code_id}/activate', response_model=InviteCodeOut, responses=WRITE_ERRORS,
             summary='Activate an invite code')
def activate(code_id: Id, response: Response, principal: Principal = Depends(writer)) -> InviteCodeOut:
    invite_codes.activate(code_id, by=principal.user)
    return with_etag(response, show(invite_codes.find(code_id, principal.user)))


@router.post('/{code_id}/deactivate', response_model=InviteCodeOut, responses=WRITE_ERRORS,
             summary='Deactivate an invite code: nobody can register with it until it is activated again')
def deactivate(code_id: Id, response: Response, principal: Principal = Depends(writer)) -> InviteCodeOut:
    invite_codes.deactivate(code_id, by=principal.user)
    return with_etag(response, show(invite_codes.find(code_id, principal.user)))
