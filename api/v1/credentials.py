"""Credentials: metadata and revoke. The key itself is never part of an answer."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from api.v1.auth import Principal, reader, writer
from api.v1.common import READ_ERRORS, WRITE_ERRORS, Id, QueryId, ReleasingRoute, found, utc, with_etag
from api.v1.paging import Page, Paging, filtered, page
from db.models import Credential
from workflows import credentials

router = APIRouter(prefix='/credentials', tags=['credentials'], route_class=ReleasingRoute)


class CredentialOut(BaseModel):
    id: int
    app_id: int
    access_request_id: int
    key_prefix: str
    status: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None  # a rotated key: when it stops working beside its successor


class RotateIn(BaseModel):
    old_key_stops_in: Literal[0, 3600, 86400, 604800] = 0  # seconds: now, 1 hour, 24 hours, 7 days


def show(credential: Credential) -> CredentialOut:
    return CredentialOut(id=credential.id, app_id=credential.app_id, access_request_id=credential.access_request_id,
                         key_prefix=credential.key_prefix, status=credential.status,
                         created_at=utc(credential.created_at), revoked_at=utc(credential.revoked_at),
                         expires_at=utc(credential.expires_at))


@router.get('', response_model=Page[CredentialOut], responses=READ_ERRORS, summary='List credentials (never the keys)')
def list_credentials(paging: Paging = Depends(), status: str | None = None, app_id: QueryId = None,
                     _: Principal = Depends(reader)) -> dict:
    query = filtered(Credential.select(), (Credential.status, status), (Credential.app, app_id))
    return page(query, Credential.id, paging, show)


@router.get('/{credential_id}', response_model=CredentialOut, responses=READ_ERRORS, summary='Get a credential')
def get_credential(credential_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show(found(Credential, credential_id, 'This credential')))


@router.post('/{credential_id}/revoke', response_model=CredentialOut, responses=WRITE_ERRORS,
             summary='Revoke a key: it stops working at once')
def revoke(credential_id: Id, response: Response, principal: Principal = Depends(writer)):
    credentials.revoke_by_admin(found(Credential, credential_id, 'This credential'), by=principal.user)
    return with_etag(response, show(found(Credential, credential_id, 'This credential')))


@router.post('/{credential_id}/rotate', response_model=CredentialOut, responses=WRITE_ERRORS,
             summary='Rotate a key: a new key at once; the old one stops now or after an overlap')
def rotate(credential_id: Id, body: RotateIn, response: Response, principal: Principal = Depends(writer)):
    """Answers with the new key's credential (never the key itself: the app's members see it in My apps). With
    `old_key_stops_in` above 0 both keys work until the old one's `expires_at`."""
    new = credentials.rotate_by_admin(found(Credential, credential_id, 'This credential'), by=principal.user,
                                      old_key_stops_in=body.old_key_stops_in)
    return with_etag(response, show(found(Credential, new.id, 'This credential')))
