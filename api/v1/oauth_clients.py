"""OAuth clients (issue 26): metadata and revoke. The client secret is never part of an answer."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from api.v1.auth import Principal, reader, writer
from api.v1.common import READ_ERRORS, WRITE_ERRORS, Id, QueryId, ReleasingRoute, found, utc, with_etag
from api.v1.paging import Page, Paging, filtered, page
from db.models import OAuthClient
from workflows import oauth_clients

router = APIRouter(prefix='/oauth-clients', tags=['oauth clients'], route_class=ReleasingRoute)


class OAuthClientOut(BaseModel):
    id: int
    client_id: str
    app_id: int
    access_request_id: int
    secret_prefix: str
    status: str
    private_key_jwt: bool  # a public key is registered: the client may authenticate with a signed assertion
    created_at: datetime
    revoked_at: datetime | None


def show(client: OAuthClient) -> OAuthClientOut:
    return OAuthClientOut(id=client.id, client_id=client.client_id, app_id=client.app_id,
                          access_request_id=client.access_request_id, secret_prefix=client.secret_prefix,
                          status=client.status, private_key_jwt=bool(client.jwks), created_at=utc(client.created_at),
                          revoked_at=utc(client.revoked_at))


@router.get('', response_model=Page[OAuthClientOut], responses=READ_ERRORS,
            summary='List OAuth clients (never their secrets)')
def list_clients(paging: Paging = Depends(), status: str | None = None, app_id: QueryId = None,
                 _: Principal = Depends(reader)) -> dict:
    query = filtered(OAuthClient.select(), (OAuthClient.status, status), (OAuthClient.app, app_id))
    return page(query, OAuthClient.id, paging, show)


@router.get('/{client_id}', response_model=OAuthClientOut, responses=READ_ERRORS, summary='Get an OAuth client')
def get_client(client_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show(found(OAuthClient, client_id, 'This OAuth client')))


@router.post('/{client_id}/revoke', response_model=OAuthClientOut, responses=WRITE_ERRORS,
             summary='Revoke an OAuth client: no new tokens at once; introspection refuses its tokens at once')
def revoke(client_id: Id, response: Response, principal: Principal = Depends(writer)):
    oauth_clients.revoke_by_admin(found(OAuthClient, client_id, 'This OAuth client'), by=principal.user)
    return with_etag(response, show(found(OAuthClient, client_id, 'This OAuth client')))
