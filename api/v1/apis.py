"""APIs, with their OpenAPI document: list, add, edit, publish or reject a submitted one, delete; versions and
deprecation (issue 26)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, Id, IfMatch, Input, ReleasingRoute, changing,
                           clean, created, found, not_blank, says, utc, with_etag)
from api.v1.paging import Page, Paging, filtered, page
from api.v1.users import Reason
from db.models import Api
from workflows import api_versions, catalog

router = APIRouter(tags=['catalog'], route_class=ReleasingRoute)
MAX_DOCUMENT = 10 * 1024 * 1024
# YAML (the document's reader) refuses the non-printable characters besides the control characters
DOCUMENT = says(pattern=clean(r'\u0080-\u0084\u0086-\u009f\ufffe\uffff'))

# what workflows/catalog.py and workflows/api_versions.py accept: a base path of letters, digits and - . _ ~ between
# single slashes (the leading and trailing ones added when missing); a version label; a sunset date or date and time
NAME = says(maxLength=catalog.NAME_MAX, pattern=not_blank())
UPSTREAM = says(maxLength=catalog.UPSTREAM_MAX, pattern=clean())
BASE_PATH = says(minLength=1, maxLength=catalog.BASE_PATH_MAX - 2,
                 pattern=rf'^/?([{catalog.BASE_PATH_CHARS}]+/)*[{catalog.BASE_PATH_CHARS}]*$')
LABEL = says(pattern=api_versions.LABEL_RE.pattern)
LABEL_OR_NONE = says(pattern=f'^$|{api_versions.LABEL_RE.pattern}')
SUNSET = says(pattern=r'^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$')


# --- APIs -------------------------------------------------------------------------------------------

class ApiOut(BaseModel):
    id: int
    name: str
    base_path: str
    upstream: str
    status: str
    has_document: bool
    submitted_by_id: int | None
    created_at: datetime
    decided_at: datetime | None
    # issue 26, item 5: versions and deprecation
    version_of: int | None = Field(None, description="the first version's id: the versions of one API share it")
    version: str = Field('', description="the version's label, e.g. v2")
    deprecated_at: datetime | None = None
    sunset_at: datetime | None = Field(None, description='when calls stop (410 Gone with the successor named)')
    successor_id: int | None = Field(None, description='the version that replaces this one')


class VersionIn(Input):
    """A new version of an API: the same name, its own base path and document."""
    version: str = Field(max_length=100, description='its label, e.g. v2', json_schema_extra=LABEL)
    base_path: str = Field(max_length=1000, json_schema_extra=BASE_PATH)
    openapi: str = Field('', max_length=MAX_DOCUMENT, json_schema_extra=DOCUMENT)
    upstream: str | None = Field(None, max_length=10_000, description="left out: the API's own", json_schema_extra=UPSTREAM)
    current_version: str = Field('', max_length=100, description='the label of a stand-alone API (default v1)',
                                 json_schema_extra=LABEL_OR_NONE)
    in_same_products: bool = Field(True, description="the new version joins every product of the API")


class DeprecationIn(Input):
    sunset_at: str = Field(max_length=40, description='a date (2027-03-31, the start of that day, UTC) or a date '
                                                      'and time (UTC); in the future', json_schema_extra=SUNSET)
    successor_id: int | None = Field(None, ge=1, le=2 ** 63 - 1, description='another version of the same API')


class ApiIn(Input):
    name: str = Field(max_length=1000, json_schema_extra=NAME)
    base_path: str = Field(max_length=1000, description='the listen path on the gateway, e.g. /weather/',
                           json_schema_extra=BASE_PATH)
    upstream: str = Field('', max_length=10_000, json_schema_extra=UPSTREAM)
    openapi: str = Field('', max_length=MAX_DOCUMENT, description='the OpenAPI document, JSON or YAML text',
                         json_schema_extra=DOCUMENT)


class ApiChange(Input):
    name: str | None = Field(None, max_length=1000, json_schema_extra=NAME)
    base_path: str | None = Field(None, max_length=1000, json_schema_extra=BASE_PATH)
    upstream: str | None = Field(None, max_length=10_000, json_schema_extra=UPSTREAM)
    openapi: str | None = Field(None, max_length=MAX_DOCUMENT, description='left out: the document is kept',
                                json_schema_extra=DOCUMENT)


class Document(BaseModel):
    text: str


def show_api(api: Api) -> ApiOut:
    return ApiOut(id=api.id, name=api.name, base_path=api.base_path, upstream=api.upstream, status=api.status,
                  has_document=bool(api.openapi_text), submitted_by_id=api.submitted_by_id,
                  created_at=utc(api.created_at), decided_at=utc(api.decided_at), **_versioning(api))


def _versioning(api: Api) -> dict:
    return dict(version_of=api.version_of_id, version=api.version, deprecated_at=utc(api.deprecated_at),
                sunset_at=utc(api.sunset_at), successor_id=api.successor_id)


@router.get('/apis', response_model=Page[ApiOut], responses=READ_ERRORS, summary='List APIs')
def list_apis(paging: Paging = Depends(), status: str | None = None, _: Principal = Depends(reader)) -> dict:
    query = Api.select(Api.id, Api.name, Api.base_path, Api.upstream, Api.status, Api.submitted_by, Api.created_at,
                       Api.decided_at, Api.version_of, Api.version, Api.deprecated_at, Api.sunset_at, Api.successor,
                       (Api.openapi_text != '').alias('with_document'))
    return page(filtered(query, (Api.status, status)), Api.id, paging, lambda api: ApiOut(
        id=api.id, name=api.name, base_path=api.base_path, upstream=api.upstream, status=api.status,
        has_document=bool(api.with_document), submitted_by_id=api.submitted_by_id, created_at=utc(api.created_at),
        decided_at=utc(api.decided_at), **_versioning(api)))


@router.post('/apis', response_model=ApiOut, status_code=201, responses=WRITE_ERRORS, summary='Add an API')
def create_api(body: ApiIn, response: Response, principal: Principal = Depends(writer)):
    api = catalog.save_api(None, body.name, body.base_path, body.upstream, body.openapi, by=principal.user)
    return created(response, f'/api/v1/apis/{api.id}', show_api(api))


@router.get('/apis/{api_id}', response_model=ApiOut, responses=READ_ERRORS, summary='Get an API')
def get_api(api_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_api(found(Api, api_id, 'This API')))


@router.get('/apis/{api_id}/openapi', response_model=Document, responses=READ_ERRORS,
            summary="The API's OpenAPI document as it was saved")
def get_document(api_id: Id, _: Principal = Depends(reader)) -> Document:
    return Document(text=found(Api, api_id, 'This API').openapi_text)


@router.patch('/apis/{api_id}', response_model=ApiOut, responses=UPDATE_ERRORS, summary='Edit an API')
def update_api(api_id: Id, body: ApiChange, response: Response, principal: Principal = Depends(writer),
               if_match: str = IfMatch):
    with changing(Api, api_id, 'This API', if_match, show_api) as (api, _):
        api = catalog.save_api(api.id, api.name if body.name is None else body.name,
                               api.base_path if body.base_path is None else body.base_path,
                               api.upstream if body.upstream is None else body.upstream,
                               catalog.KEEP_DOCUMENT if body.openapi is None else body.openapi, by=principal.user)
    return with_etag(response, show_api(api))


@router.post('/apis/{api_id}/publish', response_model=ApiOut, responses=WRITE_ERRORS,
             summary="Publish an API an organisation's super admin submitted")
def publish_api(api_id: Id, response: Response, principal: Principal = Depends(writer)):
    catalog.decide_api(found(Api, api_id, 'This API'), True, by=principal.user)
    return with_etag(response, show_api(found(Api, api_id, 'This API')))


@router.post('/apis/{api_id}/reject', response_model=ApiOut, responses=WRITE_ERRORS, summary='Reject a submitted API')
def reject_api(api_id: Id, body: Reason, response: Response, principal: Principal = Depends(writer)):
    catalog.decide_api(found(Api, api_id, 'This API'), False, by=principal.user, reason=body.reason)
    return with_etag(response, show_api(found(Api, api_id, 'This API')))


@router.post('/apis/{api_id}/versions', response_model=ApiOut, status_code=201, responses=WRITE_ERRORS,
             summary='Add a version of an API (issue 26)')
def add_version(api_id: Id, body: VersionIn, response: Response, principal: Principal = Depends(writer)):
    found(Api, api_id, 'This API')
    api = api_versions.add_version(api_id, body.version, body.base_path, body.openapi, by=principal.user,
                                   upstream=body.upstream, current_version=body.current_version,
                                   in_same_products=body.in_same_products)
    return created(response, f'/api/v1/apis/{api.id}', show_api(api))


@router.post('/apis/{api_id}/deprecate', response_model=ApiOut, responses=WRITE_ERRORS,
             summary='Deprecate a version: Deprecation and Sunset headers until the sunset, then 410 (issue 26)')
def deprecate_api(api_id: Id, body: DeprecationIn, response: Response, principal: Principal = Depends(writer)):
    found(Api, api_id, 'This API')
    api = api_versions.deprecate(api_id, body.sunset_at, body.successor_id, by=principal.user)
    return with_etag(response, show_api(api))


@router.post('/apis/{api_id}/undo-deprecation', response_model=ApiOut, responses=WRITE_ERRORS,
             summary="Undo a version's deprecation (issue 26)")
def undo_deprecation(api_id: Id, response: Response, principal: Principal = Depends(writer)):
    found(Api, api_id, 'This API')
    return with_etag(response, show_api(api_versions.undo_deprecation(api_id, by=principal.user)))


@router.delete('/apis/{api_id}', status_code=204, responses=WRITE_ERRORS, summary='Delete an API')
def delete_api(api_id: Id, principal: Principal = Depends(writer)) -> Response:
    catalog.delete_api(found(Api, api_id, 'This API'), by=principal.user)
    return Response(status_code=204)
