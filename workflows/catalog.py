"""The provider side: APIs, API products, plans and catalogs (003 "Access an API Product"; 000's note on
publishing: an API submitted by an organisation admin is pending until a portal admin approves it)."""
from __future__ import annotations

import re

from db import clock
from db.connection import database
from db.models import (AccessRequest, AccessRequestProduct, Api, ApiReference, ApiStatus, Catalog, CatalogPlan,
                       CatalogProduct, CatalogTeam, Organisation, Plan, Product, ProductApi, Team, User,
                       Visibility)
from mail import outbox
from permissions import ensure
from domain import events
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from domain.i18n import Lazy, lazy, lazy_number
from workflows import clean_reason, is_clean_text, openapi, settings
from workflows.credentials import retire

MAX_DESCRIPTION = 50_000
MAX_TAG, MAX_TAGS = 40, 300  # characters of a product's tag, and of all its tags
NAME_MAX, SLUG_MAX, SUMMARY_MAX, UPSTREAM_MAX = 100, 100, 300, 2000  # characters
COUNT_MAX = 1_000_000_000  # a plan's limits and quota
KEY_LIFETIME_MAX = 3650  # days
QUOTA_PERIODS = ('day', 'month')
BASE_PATH_MAX = 200  # characters, with its leading and trailing slash
BASE_PATH_CHARS = r'A-Za-z0-9._~\-'  # besides the slashes between its parts
SLUG_RE = re.compile(r'^[a-z0-9]+(?:-[a-z0-9]+)*$')
BASE_PATH_RE = re.compile(rf'^/[{BASE_PATH_CHARS}/]*$')


def _text(value: str | None, label: str | Lazy, field: str, max_length: int, required: bool = True) -> str:
    label = label if isinstance(label, Lazy) else lazy(label)
    value = (value or '').strip()
    if required and not value:
        raise DomainError('Enter the {label}.', field, label=label)
    if len(value) > max_length:
        raise DomainError('The {label} is too long ({limit} characters at most).', field, label=label,
                          limit=max_length)
    if not is_clean_text(value):
        raise DomainError('The {label} contains characters that are not allowed.', field, label=label)
    return value


def _base_path(value: str | None, exclude_id: int | None) -> str:
    path = (value or '').strip()
    if not path:
        raise DomainError('Enter the base path (the listen path on the gateway), like /weather/.', 'base_path')
    if not path.startswith('/'):
        path = '/' + path
    if not path.endswith('/'):
        path += '/'
    if len(path) > BASE_PATH_MAX or not BASE_PATH_RE.match(path) or '//' in path:
        raise DomainError('The base path may contain letters, digits and - . _ ~ / only, like /weather/v1/.',
                          'base_path')
    query = Api.select().where(Api.base_path == path)
    if exclude_id:
        query = query.where(Api.id != exclude_id)
    if query.exists():
        raise Conflict('Another API listens on {path} already.', 'base_path', path=path)
    return path


# --- APIs -------------------------------------------------------------------------------------------

KEEP_DOCUMENT = object()  # save_api's openapi_text when an edit keeps the stored document as it is


def save_api(api_id: int | None, name: str, base_path: str, upstream: str, openapi_text, by: User, *,
             read: openapi.Reference | None = None) -> Api:
    """A portal admin adds or edits an API; it is published at once. Reading a big document takes seconds
    (openapi.read): pages call this off the event loop. `read`: openapi_text as openapi.read returned it, for a
    caller that read it before opening its own transaction (workflows/publish.py: SQLite's BEGIN IMMEDIATE
    would hold the write lock while a big document is read)."""
    ensure(by, 'manage_catalog')
    name = _text(name, lazy('name'), 'name', NAME_MAX)
    upstream = _text(upstream, lazy('upstream description'), 'upstream', UPSTREAM_MAX, required=False)
    keep = openapi_text is KEEP_DOCUMENT and api_id is not None
    reference = None if keep else read if read is not None else openapi.read(openapi_text)
    with database.atomic():
        path = _base_path(base_path, api_id)
        values = dict(name=name, base_path=path, upstream=upstream)
        if not keep:
            values.update(openapi_text=(openapi_text or '').strip(), openapi=reference.document if reference else None)
        if api_id:
            api = find(Api, api_id, 'This API')
            if api.base_path != path:  # the keys of its products now cover another path
                retire(AccessRequest.id.in_(_requests_with_api(api.id)))
                for succeeded in Api.select(Api.id).where(Api.successor == api.id):  # issue 26: their Link names it
                    retire(AccessRequest.id.in_(_requests_with_api(succeeded.id)))
            Api.update(**values).where(Api.id == api.id).execute()
            if not keep:
                store_reference(api, reference, values['openapi_text'])
            events.announce(by, 'api.update', api, name=name)
            return Api.get_by_id(api.id)
        api = Api.create(status=ApiStatus.PUBLISHED, submitted_by=by, **values)
        store_reference(api, reference, values['openapi_text'])
        events.announce(by, 'api.create', api, name=name)
        return api


def store_reference(api: Api, reference: openapi.Reference | None, text: str) -> None:
    """Keep the prepared reference of an API's document (none when the document was removed)."""
    ApiReference.delete().where(ApiReference.api == api.id).execute()
    if reference is not None:
        ApiReference.create(api=api.id, prepared=reference.prepared, version=reference.version,
                            operations=reference.operations, size=len(text.encode('utf-8', 'surrogatepass')))
    openapi.index_operations(api.id, reference.document if reference is not None else None)  # the search's rows


def submit_api(name: str, base_path: str, upstream: str, openapi_text: str, by: User) -> Api:
    """An organisation's super admin submits an API; it waits for a portal admin (000's note)."""
    ensure(by, 'submit_api', message=lazy('Only the super admins of an organization can submit APIs.'))
    name = _text(name, lazy('name'), 'name', NAME_MAX)
    upstream = _text(upstream, lazy('upstream description'), 'upstream', UPSTREAM_MAX, required=False)
    reference = openapi.read(openapi_text)
    with database.atomic():
        api = Api.create(name=name, base_path=_base_path(base_path, None), upstream=upstream,
                         openapi_text=(openapi_text or '').strip(), openapi=reference.document if reference else None,
                         status=ApiStatus.PENDING, submitted_by=by)
        store_reference(api, reference, api.openapi_text)
        org = Organisation.get_by_id(by.organisation_id)
        for address in settings.admin_addresses():
            outbox.queue('api_submitted_notice', address, api_name=name, base_path=api.base_path,
                         submitter_name=by.full_name, submitter_email=by.email, organisation_name=org.name,
                         review_link=f'{settings.base_url()}/admin/apis?status={ApiStatus.PENDING}')
        events.announce(by, 'api.submit', api, name=name)
    return api


def decide_api(api: Api, approve: bool, by: User, reason: str = '') -> None:
    """Publish or reject a submitted API; the submitter is emailed either way."""
    ensure(by, 'manage_catalog')
    reason = clean_reason(reason)
    with database.atomic():
        won = (Api.update(status=ApiStatus.PUBLISHED if approve else ApiStatus.REJECTED, decided_by=by,
                          decided_at=clock.now())
               .where((Api.id == api.id) & (Api.status == ApiStatus.PENDING)).execute())
        if not won:
            raise AlreadyDecided('This API')
        submitter = User.get_or_none(User.id == api.submitted_by_id)
        if submitter is not None:
            outbox.queue('api_published' if approve else 'api_rejected', submitter.email,
                         first_name=submitter.first_name, api_name=api.name,
                         reason_part=lazy('\n\nReason: {reason}', reason=reason) if reason else '')
        events.announce(by, 'api.publish' if approve else 'api.reject', api, reason=reason)


def delete_api(api: Api, by: User) -> None:
    ensure(by, 'manage_catalog')
    with database.atomic():
        retire(AccessRequest.id.in_(_requests_with_api(api.id)))
        # issue 26, item 5: the versions it succeeds lose their successor (and their Link header); when the first
        # version of an API goes, the next one heads the group
        for succeeded in Api.select(Api.id).where(Api.successor == api.id):
            retire(AccessRequest.id.in_(_requests_with_api(succeeded.id)))
        others = Api.select(Api.id).where((Api.version_of == api.id) & (Api.id != api.id)).order_by(Api.id)
        head = others.first()
        if head is not None:
            Api.update(version_of=head.id).where((Api.version_of == api.id) & (Api.id != api.id)).execute()
        api.delete_instance(recursive=True)
        events.announce(by, 'api.delete', api, name=api.name)


# --- products ---------------------------------------------------------------------------------------

def slugify(name: str) -> str:
    return re.sub(r'[^a-z0-9]+', '-', (name or '').lower()).strip('-')[:100]


def save_product(product_id: int | None, name: str, slug: str, summary: str, description: str,
                 api_ids: list[int], tags: str, catalog_ids: list[int], by: User, *,
                 featured: bool | None = None) -> Product:
    """Add or edit a product. `featured`: listed on the default home page (None keeps what it was; a new product
    is not featured)."""
    ensure(by, 'manage_catalog')
    name = _text(name, lazy('name'), 'name', NAME_MAX)
    slug = (slug or '').strip().lower() or slugify(name)
    if not SLUG_RE.match(slug) or len(slug) > SLUG_MAX:
        raise DomainError('The slug may contain lower-case letters, digits and single dashes, like weather-api.',
                          'slug')
    summary = _text(summary, lazy('summary'), 'summary', SUMMARY_MAX, required=False)
    description = _text(description, lazy('description'), 'description', MAX_DESCRIPTION, required=False)
    tag_list = sorted({tag.strip().lower() for tag in (tags or '').split(',') if tag.strip()})
    if any(len(tag) > MAX_TAG or not is_clean_text(tag) for tag in tag_list) or len(','.join(tag_list)) > MAX_TAGS:
        raise DomainError('Tags are short words separated by commas.', 'tags')
    with database.atomic():
        if Product.select().where((Product.slug == slug) & (Product.id != (product_id or 0))).exists():
            raise Conflict('Another product uses the slug "{slug}" already.', 'slug', slug=slug)
        apis = list(Api.select().where(Api.id.in_(api_ids or []) & (Api.status == ApiStatus.PUBLISHED)))
        if len(apis) != len(set(api_ids or [])):
            raise DomainError('Choose published APIs only.', 'apis')
        catalogs = list(Catalog.select().where(Catalog.id.in_(catalog_ids or [])))
        values = dict(name=name, slug=slug, summary=summary, description=description, tags=','.join(tag_list))
        if featured is not None:
            values['featured'] = bool(featured)
        if product_id:
            product = find(Product, product_id, 'This product')
            retire(AccessRequest.id.in_(_requests_with_product(product.id)))  # its APIs or catalogs may change
            Product.update(**values).where(Product.id == product.id).execute()
        else:
            product = Product.create(**values)
        ProductApi.delete().where(ProductApi.product == product).execute()
        for api in apis:
            ProductApi.create(product=product, api=api)
        CatalogProduct.delete().where(CatalogProduct.product == product).execute()
        for catalog in catalogs:
            CatalogProduct.create(catalog=catalog, product=product)
        events.announce(by, 'product.update' if product_id else 'product.create', product, name=name)
    return Product.get_by_id(product.id)


def delete_product(product: Product, by: User) -> None:
    ensure(by, 'manage_catalog')
    with database.atomic():
        retire(AccessRequest.id.in_(_requests_with_product(product.id)))
        product.delete_instance(recursive=True)
        events.announce(by, 'product.delete', product, name=product.name)


# --- plans ------------------------------------------------------------------------------------------

def save_plan(plan_id: int | None, name: str, rate_limit, rate_period, quota, quota_period: str,
              requires_approval: bool, by: User, key_lifetime_days=None, credential_kind=None) -> Plan:
    """`key_lifetime_days`: keys issued from now on stop after that many days (0: never; None: unchanged, or
    never for a new plan); keys issued before keep the end they were given. `credential_kind` (issue 26):
    'api_key' or 'oauth_client', what requests approved from now on get (None: unchanged, or keys)."""
    ensure(by, 'manage_catalog')
    name = _text(name, lazy('name'), 'name', NAME_MAX)
    rate_limit = _count(rate_limit, lazy('rate limit'), 'rate_limit', minimum=1)
    rate_period = _count(rate_period, lazy('rate period'), 'rate_period', minimum=1)
    quota = _count(quota, lazy('quota'), 'quota', minimum=0)
    if key_lifetime_days not in (None, ''):
        key_lifetime_days = _count(key_lifetime_days, lazy('key lifetime'), 'key_lifetime_days', minimum=0)
        if key_lifetime_days > KEY_LIFETIME_MAX:
            raise DomainError('Keys live at most 3650 days (10 years); 0 means they never expire.',
                              'key_lifetime_days')
    if quota_period not in QUOTA_PERIODS:
        raise DomainError('The quota period is a day or a month.', 'quota_period')
    if credential_kind not in (None, 'api_key', 'oauth_client'):  # issue 26
        raise DomainError('Access gives API keys or OAuth clients.', 'credential_kind')
    with database.atomic():
        if Plan.select().where((Plan.name == name) & (Plan.id != (plan_id or 0))).exists():
            raise Conflict('A plan named "{name}" exists already.', 'name', name=name)
        values = dict(name=name, rate_limit=rate_limit, rate_period=rate_period, quota=quota,
                      quota_period=quota_period, requires_approval=bool(requires_approval))
        if key_lifetime_days not in (None, ''):
            values['key_lifetime_days'] = key_lifetime_days
        if credential_kind is not None:
            values['credential_kind'] = credential_kind
        if plan_id:
            plan = find(Plan, plan_id, lazy('This plan'))
            Plan.update(**values).where(Plan.id == plan.id).execute()
            retire(AccessRequest.plan == plan.id)  # gateways pick up the new limits
            events.announce(by, 'plan.update', plan, **values)
        else:
            plan = Plan.create(**values)
            events.announce(by, 'plan.create', plan, **values)
    return Plan.get_by_id(plan.id)


def _count(value, label: str | Lazy, field: str, minimum: int) -> int:
    label = label if isinstance(label, Lazy) else lazy(label)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError('The {label} must be a whole number.', field, label=label) from None
    if number < minimum or number > 1_000_000_000:
        raise DomainError('The {label} must be between {minimum} and {maximum}.', field, label=label, minimum=minimum,
                          maximum=lazy_number(1_000_000_000))
    return number


# --- catalogs ---------------------------------------------------------------------------------------

def save_catalog(catalog_id: int | None, name: str, visibility: str, product_ids: list[int], plan_ids: list[int],
                 by: User) -> Catalog:
    ensure(by, 'manage_catalog')
    name = _text(name, lazy('name'), 'name', NAME_MAX)
    if visibility not in Visibility.LABELS:
        raise DomainError('Choose Public, Private or Custom.', 'visibility')
    with database.atomic():
        if Catalog.select().where((Catalog.name == name) & (Catalog.id != (catalog_id or 0))).exists():
            raise Conflict('A catalog named "{name}" exists already.', 'name', name=name)
        if catalog_id:
            catalog = find(Catalog, catalog_id, 'This catalog')
            retire(AccessRequest.catalog == catalog.id)  # a product or plan it no longer offers stops working
            Catalog.update(name=name, visibility=visibility).where(Catalog.id == catalog.id).execute()
        else:
            catalog = Catalog.create(name=name, visibility=visibility)
        CatalogProduct.delete().where(CatalogProduct.catalog == catalog).execute()
        for product in Product.select().where(Product.id.in_(product_ids or [])):
            CatalogProduct.create(catalog=catalog, product=product)
        CatalogPlan.delete().where(CatalogPlan.catalog == catalog).execute()
        for plan in Plan.select().where(Plan.id.in_(plan_ids or [])):
            CatalogPlan.create(catalog=catalog, plan=plan)
        events.announce(by, 'catalog.update' if catalog_id else 'catalog.create', catalog, name=name,
                     visibility=visibility)
    return Catalog.get_by_id(catalog.id)


def offer_plan(catalog: Catalog, plan: Plan, by: User) -> None:
    """Add a plan to what a catalog offers, keeping its products and other plans (unlike save_catalog, nothing
    it offered changes, so no key is retired)."""
    ensure(by, 'manage_catalog')
    with database.atomic():
        if CatalogPlan.select().where((CatalogPlan.catalog == catalog) & (CatalogPlan.plan == plan)).exists():
            return
        CatalogPlan.create(catalog=catalog, plan=plan)
        events.announce(by, 'catalog.update', catalog, name=catalog.name, visibility=catalog.visibility)


def grant_teams(catalog: Catalog, team_ids: list[int], by: User) -> None:
    """Which teams see a Custom catalog: a portal admin's act only (000, API access case 1)."""
    ensure(by, 'manage_catalog')
    with database.atomic():
        CatalogTeam.delete().where(CatalogTeam.catalog == catalog).execute()
        teams = list(Team.select().where(Team.id.in_(team_ids or [])))
        for team in teams:
            CatalogTeam.create(catalog=catalog, team=team)
        events.announce(by, 'catalog.grant', catalog, teams=[team.id for team in teams])


def grant_organisation(catalog: Catalog, organisation: Organisation, by: User) -> None:
    """Give every team of an organisation access to a Custom catalog."""
    ensure(by, 'manage_catalog')
    current = [link.team_id for link in CatalogTeam.select().where(CatalogTeam.catalog == catalog)]
    teams = [team.id for team in Team.select().where(Team.organisation == organisation)]
    grant_teams(catalog, sorted(set(current) | set(teams)), by)


def delete_catalog(catalog: Catalog, by: User) -> None:
    ensure(by, 'manage_catalog')
    if AccessRequest.select().where(AccessRequest.catalog == catalog).exists():
        raise Conflict('This catalog has access requests; remove its products instead of deleting it.')
    with database.atomic():
        catalog.delete_instance(recursive=True)
        events.announce(by, 'catalog.delete', catalog, name=catalog.name)


def _requests_with_product(product_id: int):
    return AccessRequestProduct.select(AccessRequestProduct.request).where(AccessRequestProduct.product == product_id)


def _requests_with_api(api_id: int):
    return (AccessRequestProduct.select(AccessRequestProduct.request)
            .join(ProductApi, on=(ProductApi.product == AccessRequestProduct.product)).where(ProductApi.api == api_id))


def find(model, object_id: int, what: str):
    """An API, product, plan or catalog by ID, or NotFound."""
    found = model.get_or_none(model.id == object_id)
    if found is None:
        raise NotFound(what)
    return found
