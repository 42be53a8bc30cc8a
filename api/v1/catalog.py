"""The catalog: APIs (with their OpenAPI document), products, plans, catalogs (with team grants)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (ReleasingRoute, Input, IF_MATCH_DESCRIPTION, READ_ERRORS, WRITE_ERRORS, BodyId, Id, atomic, check_if_match,
                           clean_filter, lock, utc, with_etag)
from api.v1.paging import Paging, page
from api.v1.users import Reason
from db.models import Api, Catalog, CatalogPlan, CatalogProduct, CatalogTeam, Plan, Product, ProductApi
from workflows import catalog

router = APIRouter(tags=['catalog'], route_class=ReleasingRoute)
IfMatch = Header(None, max_length=1000, description=IF_MATCH_DESCRIPTION)
MAX_DOCUMENT = 10 * 1024 * 1024


def _merged(model, current: BaseModel, change: BaseModel):
    """The current values with the change's fields that were given (PATCH)."""
    values = {**current.model_dump(), **change.model_dump(exclude_none=True)}
    return model.model_construct(**{name: values[name] for name in model.model_fields})


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


class ApiPage(BaseModel):
    items: list[ApiOut]
    next_cursor: str | None


class ApiIn(Input):
    name: str = Field(max_length=1000)
    base_path: str = Field(max_length=1000, description='the listen path on the gateway, e.g. /weather/')
    upstream: str = Field('', max_length=10_000)
    openapi: str = Field('', max_length=MAX_DOCUMENT, description='the OpenAPI document, JSON or YAML text')


class ApiChange(Input):
    name: str | None = Field(None, max_length=1000)
    base_path: str | None = Field(None, max_length=1000)
    upstream: str | None = Field(None, max_length=10_000)
    openapi: str | None = Field(None, max_length=MAX_DOCUMENT, description='left out: the document is kept')


class Document(BaseModel):
    text: str


def show_api(api: Api) -> ApiOut:
    return ApiOut(id=api.id, name=api.name, base_path=api.base_path, upstream=api.upstream, status=api.status,
                  has_document=bool(api.openapi_text), submitted_by_id=api.submitted_by_id,
                  created_at=utc(api.created_at), decided_at=utc(api.decided_at))


@router.get('/apis', response_model=ApiPage, responses=READ_ERRORS, summary='List APIs')
def list_apis(paging: Paging = Depends(), status: str | None = None, _: Principal = Depends(reader)) -> dict:
    query = Api.select(Api.id, Api.name, Api.base_path, Api.upstream, Api.status, Api.submitted_by, Api.created_at,
                       Api.decided_at, (Api.openapi_text != '').alias('with_document'))
    if status:
        query = query.where(Api.status == clean_filter(status, 'status'))
    return page(query, Api.id, paging, lambda api: ApiOut(
        id=api.id, name=api.name, base_path=api.base_path, upstream=api.upstream, status=api.status,
        has_document=bool(api.with_document), submitted_by_id=api.submitted_by_id, created_at=utc(api.created_at),
        decided_at=utc(api.decided_at)))


@router.post('/apis', response_model=ApiOut, status_code=201, responses=WRITE_ERRORS, summary='Add an API')
def create_api(body: ApiIn, response: Response, principal: Principal = Depends(writer)):
    api = catalog.save_api(None, body.name, body.base_path, body.upstream, body.openapi, by=principal.user)
    response.headers['Location'] = f'/api/v1/apis/{api.id}'
    return with_etag(response, show_api(api))


@router.get('/apis/{api_id}', response_model=ApiOut, responses=READ_ERRORS, summary='Get an API')
def get_api(api_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_api(catalog.find(Api, api_id, 'This API')))


@router.get('/apis/{api_id}/openapi', response_model=Document, responses=READ_ERRORS,
            summary="The API's OpenAPI document as it was saved")
def get_document(api_id: Id, _: Principal = Depends(reader)) -> Document:
    return Document(text=catalog.find(Api, api_id, 'This API').openapi_text)


@router.patch('/apis/{api_id}', response_model=ApiOut, responses=WRITE_ERRORS, summary='Edit an API')
def update_api(api_id: Id, body: ApiChange, response: Response, principal: Principal = Depends(writer),
               if_match: str | None = IfMatch):
    with atomic():
        api = lock(Api, api_id)
        if api is None:
            catalog.find(Api, 0, 'This API')
        check_if_match(if_match, show_api(api))
        api = catalog.save_api(api.id, api.name if body.name is None else body.name,
                               api.base_path if body.base_path is None else body.base_path,
                               api.upstream if body.upstream is None else body.upstream,
                               catalog.KEEP_DOCUMENT if body.openapi is None else body.openapi, by=principal.user)
    return with_etag(response, show_api(api))


@router.post('/apis/{api_id}/publish', response_model=ApiOut, responses=WRITE_ERRORS,
             summary="Publish an API an organisation's super admin submitted")
def publish_api(api_id: Id, response: Response, principal: Principal = Depends(writer)):
    catalog.decide_api(catalog.find(Api, api_id, 'This API'), True, by=principal.user)
    return with_etag(response, show_api(catalog.find(Api, api_id, 'This API')))


@router.post('/apis/{api_id}/reject', response_model=ApiOut, responses=WRITE_ERRORS, summary='Reject a submitted API')
def reject_api(api_id: Id, body: Reason, response: Response, principal: Principal = Depends(writer)):
    catalog.decide_api(catalog.find(Api, api_id, 'This API'), False, by=principal.user, reason=body.reason)
    return with_etag(response, show_api(catalog.find(Api, api_id, 'This API')))


@router.delete('/apis/{api_id}', status_code=204, responses=WRITE_ERRORS, summary='Delete an API')
def delete_api(api_id: Id, principal: Principal = Depends(writer)) -> Response:
    catalog.delete_api(catalog.find(Api, api_id, 'This API'), by=principal.user)
    return Response(status_code=204)


# --- products ---------------------------------------------------------------------------------------

class ProductOut(BaseModel):
    id: int
    name: str
    slug: str
    summary: str
    description: str
    tags: list[str]
    api_ids: list[int]
    catalog_ids: list[int]
    created_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None


class ProductIn(Input):
    name: str = Field(max_length=1000)
    slug: str = Field('', max_length=1000, description='made from the name when left empty')
    summary: str = Field('', max_length=10_000)
    description: str = Field('', max_length=1_000_000, description='Markdown')
    tags: list[str] = Field([], max_length=100)
    api_ids: list[BodyId] = Field([], max_length=1000)
    catalog_ids: list[BodyId] = Field([], max_length=1000)


class ProductChange(Input):
    name: str | None = Field(None, max_length=1000)
    slug: str | None = Field(None, max_length=1000)
    summary: str | None = Field(None, max_length=10_000)
    description: str | None = Field(None, max_length=1_000_000)
    tags: list[str] | None = Field(None, max_length=100)
    api_ids: list[BodyId] | None = Field(None, max_length=1000)
    catalog_ids: list[BodyId] | None = Field(None, max_length=1000)


def show_product(product: Product) -> ProductOut:
    api_ids = [row.api_id for row in ProductApi.select(ProductApi.api).where(ProductApi.product == product.id)
               .order_by(ProductApi.api)]
    catalog_ids = [row.catalog_id for row in CatalogProduct.select(CatalogProduct.catalog)
                   .where(CatalogProduct.product == product.id).order_by(CatalogProduct.catalog)]
    return ProductOut(id=product.id, name=product.name, slug=product.slug, summary=product.summary,
                      description=product.description, tags=product.tag_list, api_ids=api_ids,
                      catalog_ids=catalog_ids, created_at=utc(product.created_at))


def _save_product(product_id: int | None, body: ProductIn, principal: Principal) -> Product:
    return catalog.save_product(product_id, body.name, body.slug, body.summary, body.description, body.api_ids,
                                ','.join(body.tags), body.catalog_ids, by=principal.user)


@router.get('/products', response_model=ProductPage, responses=READ_ERRORS, summary='List products')
def list_products(paging: Paging = Depends(), _: Principal = Depends(reader)) -> dict:
    return page(Product.select(), Product.id, paging, show_product)


@router.post('/products', response_model=ProductOut, status_code=201, responses=WRITE_ERRORS, summary='Add a product')
def create_product(body: ProductIn, response: Response, principal: Principal = Depends(writer)):
    product = _save_product(None, body, principal)
    response.headers['Location'] = f'/api/v1/products/{product.id}'
    return with_etag(response, show_product(product))


@router.get('/products/{product_id}', response_model=ProductOut, responses=READ_ERRORS, summary='Get a product')
def get_product(product_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_product(catalog.find(Product, product_id, 'This product')))


@router.patch('/products/{product_id}', response_model=ProductOut, responses=WRITE_ERRORS, summary='Edit a product')
def update_product(product_id: Id, body: ProductChange, response: Response, principal: Principal = Depends(writer),
                   if_match: str | None = IfMatch):
    with atomic():
        product = lock(Product, product_id) or catalog.find(Product, 0, 'This product')
        current = show_product(product)
        check_if_match(if_match, current)
        merged = _merged(ProductIn, current, body)
        product = _save_product(product.id, merged, principal)
    return with_etag(response, show_product(product))


@router.delete('/products/{product_id}', status_code=204, responses=WRITE_ERRORS, summary='Delete a product')
def delete_product(product_id: Id, principal: Principal = Depends(writer)) -> Response:
    catalog.delete_product(catalog.find(Product, product_id, 'This product'), by=principal.user)
    return Response(status_code=204)


# --- plans ------------------------------------------------------------------------------------------

class PlanOut(BaseModel):
    id: int
    name: str
    rate_limit: int
    rate_period: int
    quota: int
    quota_period: str
    requires_approval: bool
    created_at: datetime


class PlanPage(BaseModel):
    items: list[PlanOut]
    next_cursor: str | None


class PlanIn(Input):
    name: str = Field(max_length=1000)
    rate_limit: int = Field(60, description='requests per rate_period seconds')
    rate_period: int = 60
    quota: int = Field(0, description='requests per quota period; 0: unlimited')
    quota_period: str = Field('month', description='day or month')
    requires_approval: bool = False


class PlanChange(Input):
    name: str | None = Field(None, max_length=1000)
    rate_limit: int | None = None
    rate_period: int | None = None
    quota: int | None = None
    quota_period: str | None = None
    requires_approval: bool | None = None


def show_plan(plan: Plan) -> PlanOut:
    return PlanOut(id=plan.id, name=plan.name, rate_limit=plan.rate_limit, rate_period=plan.rate_period,
                   quota=plan.quota, quota_period=plan.quota_period, requires_approval=plan.requires_approval,
                   created_at=utc(plan.created_at))


def _save_plan(plan_id: int | None, body: PlanIn, principal: Principal) -> Plan:
    return catalog.save_plan(plan_id, body.name, body.rate_limit, body.rate_period, body.quota, body.quota_period,
                             body.requires_approval, by=principal.user)


@router.get('/plans', response_model=PlanPage, responses=READ_ERRORS, summary='List plans')
def list_plans(paging: Paging = Depends(), _: Principal = Depends(reader)) -> dict:
    return page(Plan.select(), Plan.id, paging, show_plan)


@router.post('/plans', response_model=PlanOut, status_code=201, responses=WRITE_ERRORS, summary='Add a plan')
def create_plan(body: PlanIn, response: Response, principal: Principal = Depends(writer)):
    plan = _save_plan(None, body, principal)
    response.headers['Location'] = f'/api/v1/plans/{plan.id}'
    return with_etag(response, show_plan(plan))


@router.get('/plans/{plan_id}', response_model=PlanOut, responses=READ_ERRORS, summary='Get a plan')
def get_plan(plan_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_plan(catalog.find(Plan, plan_id, 'This plan')))


@router.patch('/plans/{plan_id}', response_model=PlanOut, responses=WRITE_ERRORS, summary='Edit a plan')
def update_plan(plan_id: Id, body: PlanChange, response: Response, principal: Principal = Depends(writer),
                if_match: str | None = IfMatch):
    with atomic():
        plan = lock(Plan, plan_id) or catalog.find(Plan, 0, 'This plan')
        current = show_plan(plan)
        check_if_match(if_match, current)
        plan = _save_plan(plan.id, _merged(PlanIn, current, body), principal)
    return with_etag(response, show_plan(plan))


# --- catalogs ---------------------------------------------------------------------------------------

class CatalogOut(BaseModel):
    id: int
    name: str
    visibility: str
    product_ids: list[int]
    plan_ids: list[int]
    team_ids: list[int] = Field(description='the teams that see a Custom catalog')
    created_at: datetime


class CatalogPage(BaseModel):
    items: list[CatalogOut]
    next_cursor: str | None


class CatalogIn(Input):
    name: str = Field(max_length=1000)
    visibility: str = Field('public', description='public, private or custom')
    product_ids: list[BodyId] = Field([], max_length=1000)
    plan_ids: list[BodyId] = Field([], max_length=1000)


class CatalogChange(Input):
    name: str | None = Field(None, max_length=1000)
    visibility: str | None = None
    product_ids: list[BodyId] | None = Field(None, max_length=1000)
    plan_ids: list[BodyId] | None = Field(None, max_length=1000)


class TeamGrant(Input):
    team_ids: list[BodyId] = Field(max_length=10_000)


def show_catalog(item: Catalog) -> CatalogOut:
    def ids(model, field):
        return [getattr(row, field.name + '_id') for row in model.select(field).where(model.catalog == item.id)
                .order_by(field)]
    return CatalogOut(id=item.id, name=item.name, visibility=item.visibility,
                      product_ids=ids(CatalogProduct, CatalogProduct.product), plan_ids=ids(CatalogPlan, CatalogPlan.plan),
                      team_ids=ids(CatalogTeam, CatalogTeam.team), created_at=utc(item.created_at))


@router.get('/catalogs', response_model=CatalogPage, responses=READ_ERRORS, summary='List catalogs')
def list_catalogs(paging: Paging = Depends(), _: Principal = Depends(reader)) -> dict:
    return page(Catalog.select(), Catalog.id, paging, show_catalog)


@router.post('/catalogs', response_model=CatalogOut, status_code=201, responses=WRITE_ERRORS, summary='Add a catalog')
def create_catalog(body: CatalogIn, response: Response, principal: Principal = Depends(writer)):
    item = catalog.save_catalog(None, body.name, body.visibility, body.product_ids, body.plan_ids, by=principal.user)
    response.headers['Location'] = f'/api/v1/catalogs/{item.id}'
    return with_etag(response, show_catalog(item))


@router.get('/catalogs/{catalog_id}', response_model=CatalogOut, responses=READ_ERRORS, summary='Get a catalog')
def get_catalog(catalog_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_catalog(catalog.find(Catalog, catalog_id, 'This catalog')))


@router.patch('/catalogs/{catalog_id}', response_model=CatalogOut, responses=WRITE_ERRORS, summary='Edit a catalog')
def update_catalog(catalog_id: Id, body: CatalogChange, response: Response, principal: Principal = Depends(writer),
                   if_match: str | None = IfMatch):
    with atomic():
        item = lock(Catalog, catalog_id) or catalog.find(Catalog, 0, 'This catalog')
        current = show_catalog(item)
        check_if_match(if_match, current)
        merged = {**current.model_dump(), **body.model_dump(exclude_none=True)}
        item = catalog.save_catalog(item.id, merged['name'], merged['visibility'], merged['product_ids'],
                                    merged['plan_ids'], by=principal.user)
    return with_etag(response, show_catalog(item))


@router.put('/catalogs/{catalog_id}/teams', response_model=CatalogOut, responses=WRITE_ERRORS,
            summary='Set the teams that see a Custom catalog')
def grant_teams(catalog_id: Id, body: TeamGrant, response: Response, principal: Principal = Depends(writer),
                if_match: str | None = IfMatch):
    with atomic():
        item = lock(Catalog, catalog_id) or catalog.find(Catalog, 0, 'This catalog')
        check_if_match(if_match, show_catalog(item))
        catalog.grant_teams(item, body.team_ids, by=principal.user)
    return with_etag(response, show_catalog(catalog.find(Catalog, catalog_id, 'This catalog')))


@router.delete('/catalogs/{catalog_id}', status_code=204, responses=WRITE_ERRORS, summary='Delete a catalog')
def delete_catalog(catalog_id: Id, principal: Principal = Depends(writer)) -> Response:
    catalog.delete_catalog(catalog.find(Catalog, catalog_id, 'This catalog'), by=principal.user)
    return Response(status_code=204)
