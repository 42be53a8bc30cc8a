"""The catalog: products, plans, catalogs (with their team grants); APIs are in api/v1/apis.py."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from api.v1.auth import Principal, reader, writer
from api.v1.common import (READ_ERRORS, UPDATE_ERRORS, WRITE_ERRORS, BodyId, Id, IfMatch, Input, ReleasingRoute,
                           WholeNumber,
                           changing, clean, created, found, not_blank, says, utc, with_etag)
from api.v1.paging import Page, Paging, page
from db.models import Catalog, CatalogPlan, CatalogProduct, CatalogTeam, Plan, Product, ProductApi, Visibility
from workflows import catalog

router = APIRouter(tags=['catalog'], route_class=ReleasingRoute)


def _merged(model, current: BaseModel, change: BaseModel):
    """The current values with the change's fields that were given (PATCH)."""
    values = {**current.model_dump(), **change.model_dump(exclude_none=True)}
    return model.model_construct(**{name: values[name] for name in model.model_fields})


# --- products ---------------------------------------------------------------------------------------

# what workflows/catalog.py accepts of products, plans and catalogs
NAME = says(maxLength=catalog.NAME_MAX, pattern=not_blank())
SLUG = says(maxLength=catalog.SLUG_MAX, pattern=f'^$|{catalog.SLUG_RE.pattern}')  # empty: made from the name
SUMMARY = says(maxLength=catalog.SUMMARY_MAX, pattern=clean())
DESCRIPTION = says(maxLength=catalog.MAX_DESCRIPTION, pattern=clean())
AT_LEAST_ONE = says(minimum=1, maximum=catalog.COUNT_MAX)
COUNT = says(minimum=0, maximum=catalog.COUNT_MAX)
KEY_LIFETIME = says(minimum=0, maximum=catalog.KEY_LIFETIME_MAX)
QUOTA_PERIOD = says(enum=list(catalog.QUOTA_PERIODS))
VISIBILITY = says(enum=list(Visibility.LABELS))


def _tags(schema: dict) -> None:
    """Tags of at most MAX_TAG characters, without commas (they separate tags)."""
    for option in schema.get('anyOf', [schema]):
        if option.get('type') == 'array':
            option['items'].update(maxLength=catalog.MAX_TAG, pattern=clean(','))


TAGS = _tags

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


class ProductIn(Input):
    name: str = Field(max_length=1000, json_schema_extra=NAME)
    slug: str = Field('', max_length=1000, description='made from the name when left empty', json_schema_extra=SLUG)
    summary: str = Field('', max_length=10_000, json_schema_extra=SUMMARY)
    description: str = Field('', max_length=1_000_000, description='Markdown', json_schema_extra=DESCRIPTION)
    tags: list[str] = Field([], max_length=100, json_schema_extra=TAGS)
    api_ids: list[BodyId] = Field([], max_length=1000)
    catalog_ids: list[BodyId] = Field([], max_length=1000)


class ProductChange(Input):
    name: str | None = Field(None, max_length=1000, json_schema_extra=NAME)
    slug: str | None = Field(None, max_length=1000, json_schema_extra=SLUG)
    summary: str | None = Field(None, max_length=10_000, json_schema_extra=SUMMARY)
    description: str | None = Field(None, max_length=1_000_000, json_schema_extra=DESCRIPTION)
    tags: list[str] | None = Field(None, max_length=100, json_schema_extra=TAGS)
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


@router.get('/products', response_model=Page[ProductOut], responses=READ_ERRORS, summary='List products')
def list_products(paging: Paging = Depends(), _: Principal = Depends(reader)) -> dict:
    return page(Product.select(), Product.id, paging, show_product)


@router.post('/products', response_model=ProductOut, status_code=201, responses=WRITE_ERRORS, summary='Add a product')
def create_product(body: ProductIn, response: Response, principal: Principal = Depends(writer)):
    product = _save_product(None, body, principal)
    return created(response, f'/api/v1/products/{product.id}', show_product(product))


@router.get('/products/{product_id}', response_model=ProductOut, responses=READ_ERRORS, summary='Get a product')
def get_product(product_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_product(found(Product, product_id, 'This product')))


@router.patch('/products/{product_id}', response_model=ProductOut, responses=UPDATE_ERRORS, summary='Edit a product')
def update_product(product_id: Id, body: ProductChange, response: Response, principal: Principal = Depends(writer),
                   if_match: str = IfMatch):
    with changing(Product, product_id, 'This product', if_match, show_product) as (product, current):
        merged = _merged(ProductIn, current, body)
        product = _save_product(product.id, merged, principal)
    return with_etag(response, show_product(product))


@router.delete('/products/{product_id}', status_code=204, responses=WRITE_ERRORS, summary='Delete a product')
def delete_product(product_id: Id, principal: Principal = Depends(writer)) -> Response:
    catalog.delete_product(found(Product, product_id, 'This product'), by=principal.user)
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
    key_lifetime_days: int
    credential_kind: Literal['api_key', 'oauth_client']  # issue 26: what approved access gets
    created_at: datetime


class PlanIn(Input):
    name: str = Field(max_length=1000, json_schema_extra=NAME)
    rate_limit: WholeNumber = Field(60, description='requests per rate_period seconds', json_schema_extra=AT_LEAST_ONE)
    rate_period: WholeNumber = Field(60, json_schema_extra=AT_LEAST_ONE)
    quota: WholeNumber = Field(0, description='requests per quota period; 0: unlimited', json_schema_extra=COUNT)
    quota_period: str = Field('month', description='day or month', json_schema_extra=QUOTA_PERIOD)
    requires_approval: bool = False
    key_lifetime_days: WholeNumber = Field(0, description='keys issued from now on stop after this many days; 0: never',
                                   json_schema_extra=KEY_LIFETIME)
    credential_kind: Literal['api_key', 'oauth_client'] = Field(
        'api_key', description='what access approved from now on gets: an API key, or an OAuth client (issue 26)')


class PlanChange(Input):
    name: str | None = Field(None, max_length=1000, json_schema_extra=NAME)
    rate_limit: WholeNumber | None = Field(None, json_schema_extra=AT_LEAST_ONE)
    rate_period: WholeNumber | None = Field(None, json_schema_extra=AT_LEAST_ONE)
    quota: WholeNumber | None = Field(None, json_schema_extra=COUNT)
    quota_period: str | None = Field(None, json_schema_extra=QUOTA_PERIOD)
    requires_approval: bool | None = None
    key_lifetime_days: WholeNumber | None = Field(None, json_schema_extra=KEY_LIFETIME)
    credential_kind: Literal['api_key', 'oauth_client'] | None = None


def show_plan(plan: Plan) -> PlanOut:
    return PlanOut(id=plan.id, name=plan.name, rate_limit=plan.rate_limit, rate_period=plan.rate_period,
                   quota=plan.quota, quota_period=plan.quota_period, requires_approval=plan.requires_approval,
                   key_lifetime_days=plan.key_lifetime_days, credential_kind=plan.credential_kind,
                   created_at=utc(plan.created_at))


def _save_plan(plan_id: int | None, body: PlanIn, principal: Principal) -> Plan:
    return catalog.save_plan(plan_id, body.name, body.rate_limit, body.rate_period, body.quota, body.quota_period,
                             body.requires_approval, by=principal.user, key_lifetime_days=body.key_lifetime_days,
                             credential_kind=body.credential_kind)


@router.get('/plans', response_model=Page[PlanOut], responses=READ_ERRORS, summary='List plans')
def list_plans(paging: Paging = Depends(), _: Principal = Depends(reader)) -> dict:
    return page(Plan.select(), Plan.id, paging, show_plan)


@router.post('/plans', response_model=PlanOut, status_code=201, responses=WRITE_ERRORS, summary='Add a plan')
def create_plan(body: PlanIn, response: Response, principal: Principal = Depends(writer)):
    plan = _save_plan(None, body, principal)
    return created(response, f'/api/v1/plans/{plan.id}', show_plan(plan))


@router.get('/plans/{plan_id}', response_model=PlanOut, responses=READ_ERRORS, summary='Get a plan')
def get_plan(plan_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_plan(found(Plan, plan_id, 'This plan')))


@router.patch('/plans/{plan_id}', response_model=PlanOut, responses=UPDATE_ERRORS, summary='Edit a plan')
def update_plan(plan_id: Id, body: PlanChange, response: Response, principal: Principal = Depends(writer),
                if_match: str = IfMatch):
    with changing(Plan, plan_id, 'This plan', if_match, show_plan) as (plan, current):
        plan = _save_plan(plan.id, _merged(PlanIn, current, body), principal)
    return with_etag(response, show_plan(plan))


# --- catalogs ---------------------------------------------------------------------------------------

class CatalogOut(BaseModel):
    id: int
    name: str
    visibility: str
    product_ids: list[int]
    plan_ids: list[int]
    team_ids: list[BodyId] = Field(description='the teams that see a Custom catalog', max_length=1000)
    created_at: datetime


class CatalogIn(Input):
    name: str = Field(max_length=1000, json_schema_extra=NAME)
    visibility: str = Field('public', description='public, private or custom', json_schema_extra=VISIBILITY)
    product_ids: list[BodyId] = Field([], max_length=1000)
    plan_ids: list[BodyId] = Field([], max_length=1000)


class CatalogChange(Input):
    name: str | None = Field(None, max_length=1000, json_schema_extra=NAME)
    visibility: str | None = Field(None, json_schema_extra=VISIBILITY)
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


@router.get('/catalogs', response_model=Page[CatalogOut], responses=READ_ERRORS, summary='List catalogs')
def list_catalogs(paging: Paging = Depends(), _: Principal = Depends(reader)) -> dict:
    return page(Catalog.select(), Catalog.id, paging, show_catalog)


@router.post('/catalogs', response_model=CatalogOut, status_code=201, responses=WRITE_ERRORS, summary='Add a catalog')
def create_catalog(body: CatalogIn, response: Response, principal: Principal = Depends(writer)):
    item = catalog.save_catalog(None, body.name, body.visibility, body.product_ids, body.plan_ids, by=principal.user)
    return created(response, f'/api/v1/catalogs/{item.id}', show_catalog(item))


@router.get('/catalogs/{catalog_id}', response_model=CatalogOut, responses=READ_ERRORS, summary='Get a catalog')
def get_catalog(catalog_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show_catalog(found(Catalog, catalog_id, 'This catalog')))


@router.patch('/catalogs/{catalog_id}', response_model=CatalogOut, responses=UPDATE_ERRORS, summary='Edit a catalog')
def update_catalog(catalog_id: Id, body: CatalogChange, response: Response, principal: Principal = Depends(writer),
                   if_match: str = IfMatch):
    with changing(Catalog, catalog_id, 'This catalog', if_match, show_catalog) as (item, current):
        merged = {**current.model_dump(), **body.model_dump(exclude_none=True)}
        item = catalog.save_catalog(item.id, merged['name'], merged['visibility'], merged['product_ids'],
                                    merged['plan_ids'], by=principal.user)
    return with_etag(response, show_catalog(item))


@router.put('/catalogs/{catalog_id}/teams', response_model=CatalogOut, responses=UPDATE_ERRORS,
            summary='Set the teams that see a Custom catalog')
def grant_teams(catalog_id: Id, body: TeamGrant, response: Response, principal: Principal = Depends(writer),
                if_match: str = IfMatch):
    with changing(Catalog, catalog_id, 'This catalog', if_match, show_catalog) as (item, _):
        catalog.grant_teams(item, body.team_ids, by=principal.user)
    return with_etag(response, show_catalog(found(Catalog, catalog_id, 'This catalog')))


@router.delete('/catalogs/{catalog_id}', status_code=204, responses=WRITE_ERRORS, summary='Delete a catalog')
def delete_catalog(catalog_id: Id, principal: Principal = Depends(writer)) -> Response:
    catalog.delete_catalog(found(Catalog, catalog_id, 'This catalog'), by=principal.user)
    return Response(status_code=204)
