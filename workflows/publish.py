"""Publish an API in one step (issue 25, item 4): from an OpenAPI document the portal proposes the API, a
product, a plan and a catalog; one confirmation creates them all, in one transaction.

The rules stay where they are: this module calls workflows/catalog.py's save_api (the document read and
validated as on Admin -> APIs, same limits), save_plan, save_catalog and save_product, inside one
`database.atomic()` (theirs nest as savepoints), so a refusal of any of them leaves nothing behind. Their
refusals name their own form's fields ('name', ...); here each is moved next to the field of this form that
holds it ('api_name', 'product_name', ...)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from db.connection import database
from db.models import Catalog, Plan, Product, User, Visibility
from domain.errors import DomainError
from domain.i18n import lazy
from permissions import ensure
from workflows import catalog, openapi

DEFAULT_PLAN = 'Free'
DEFAULT_CATALOG = 'Public'
PLAN_DEFAULTS = dict(rate_limit=60, rate_period=60, quota=0, quota_period='month', requires_approval=False)
MAX_SUMMARY = 300


@dataclass
class Proposal:
    """What the portal proposes for a document; every field is editable before publishing. `plan_id` /
    `catalog_id` None means a new plan / catalog with the name (and settings) given here."""
    document: str
    api_name: str
    base_path: str
    upstream: str
    product_name: str
    summary: str
    description: str
    tags: str
    plan_id: int | None
    plan_name: str
    rate_limit: int
    rate_period: int
    quota: int
    quota_period: str
    requires_approval: bool
    catalog_id: int | None
    catalog_name: str
    catalog_visibility: str

    def fields(self) -> dict:
        return asdict(self)


def propose(document_text: str | None, by: User) -> Proposal:
    """Read and validate the document (as saving an API does; slow for a big one: call it off the event loop)
    and propose what to create. Raises DomainError (field 'document') for an empty or invalid document."""
    ensure(by, 'manage_catalog')
    reference = _read(document_text)
    document = reference.document
    info = document.get('info') if isinstance(document.get('info'), dict) else {}
    title = _line(info.get('title')) or 'My API'
    path, upstream = _server(document)
    if not path.strip('/'):
        path = '/' + (catalog.slugify(title) or 'api') + '/'
    description = info.get('description') if isinstance(info.get('description'), str) else ''
    summary = _line(info.get('summary')) or _first_sentence(description)
    tags = _tags(document)
    plan = Plan.get_or_none(Plan.name == DEFAULT_PLAN)
    public = (Catalog.select().where(Catalog.visibility == Visibility.PUBLIC).order_by(Catalog.name, Catalog.id)
              .first())
    return Proposal(document=(document_text or '').strip(), api_name=title, base_path=path, upstream=upstream,
                    product_name=title, summary=summary, description=description.strip(),
                    tags=', '.join(tags), plan_id=plan.id if plan else None,
                    plan_name=DEFAULT_PLAN, **PLAN_DEFAULTS, catalog_id=public.id if public else None,
                    catalog_name=DEFAULT_CATALOG if public is None else '', catalog_visibility=Visibility.PUBLIC)


def publish(fields: dict, by: User) -> Product:
    """Create the API, the plan (unless an existing one is chosen), the catalog (likewise) and the product in
    it, the plan offered there: all or nothing. `fields` as Proposal.fields() gives them, edited. The document
    is read and validated once, before the transaction (slow for a big one: call this off the event loop)."""
    ensure(by, 'manage_catalog')
    value = fields.get
    reference = _read(value('document'))  # before the transaction: a big document takes seconds to read
    with database.atomic():
        with _fields(name='api_name', openapi='document'):
            api = catalog.save_api(None, value('api_name'), value('base_path'), value('upstream') or '',
                                   value('document'), by=by, read=reference)
        if value('plan_id'):
            with _fields(other='plan_id'):
                plan = catalog.find(Plan, int(value('plan_id')), lazy('This plan'))
        else:
            with _fields(name='plan_name'):
                plan = catalog.save_plan(None, value('plan_name'), value('rate_limit'), value('rate_period'),
                                         value('quota'), value('quota_period') or 'month',
                                         bool(value('requires_approval')), by=by)
        if value('catalog_id'):
            with _fields(other='catalog_id'):
                shelf = catalog.find(Catalog, int(value('catalog_id')), 'This catalog')
                catalog.offer_plan(shelf, plan, by=by)
        else:
            with _fields(name='catalog_name', visibility='catalog_visibility'):
                shelf = catalog.save_catalog(None, value('catalog_name'), value('catalog_visibility'), [],
                                             [plan.id], by=by)
        with _fields(name='product_name', slug='product_name', apis='api_name'):
            product = catalog.save_product(None, value('product_name'), '', value('summary'), value('description'),
                                           [api.id], value('tags'), [shelf.id], by=by)
    return product


@contextmanager
def _fields(other: str | None = None, **moved: str):
    """A refusal inside names this form's field: `moved` maps the called workflow's field names to ours;
    `other` takes a refusal that names no field."""
    try:
        yield
    except DomainError as error:
        error.field = moved.get(error.field, error.field) if error.field else other
        raise


def _read(text: str | None) -> openapi.Reference:
    try:
        reference = openapi.read(text)
    except DomainError as error:
        error.field = 'document'
        raise
    if reference is None:
        raise DomainError('Paste or upload an OpenAPI document.', 'document')
    return reference


def _server(document: dict) -> tuple[str, str]:
    """(base path, upstream) from the first server (3.x, variables at their defaults) or host and basePath (2.0)."""
    if 'swagger' in document:
        base = document.get('basePath') if isinstance(document.get('basePath'), str) else '/'
        host = document.get('host') if isinstance(document.get('host'), str) else ''
        schemes = document.get('schemes') or ['https']
        return base, f'{schemes[0]}://{host}{base.rstrip("/")}' if host else ''
    servers = document.get('servers') or []
    first = servers[0] if servers and isinstance(servers[0], dict) else {}
    url = first.get('url') if isinstance(first.get('url'), str) else ''
    for name, variable in (first.get('variables') or {}).items():
        if isinstance(variable, dict):
            url = url.replace('{' + name + '}', str(variable.get('default', '')))
    parts = urlsplit(url)
    path = re.sub(r'\{[^}]*\}', '', parts.path) or '/'
    upstream = url.rstrip('/') if parts.scheme in ('http', 'https') and parts.netloc else ''
    return path, upstream


def _tags(document: dict) -> list[str]:
    """The document's tag names, as many as a product takes (a document may have dozens; the rest are left out)."""
    kept: list[str] = []
    for tag in document.get('tags') or []:
        name = _line(tag.get('name')) if isinstance(tag, dict) else ''
        if not name or len(name) > catalog.MAX_TAG or name.lower() in {k.lower() for k in kept}:
            continue
        if len(','.join([*kept, name])) > catalog.MAX_TAGS:
            break
        kept.append(name)
    return kept


def _line(value) -> str:
    return ' '.join(value.split()) if isinstance(value, str) else ''


def _first_sentence(text: str) -> str:
    """The description's first sentence, as a one-line summary (cut at a word when it is longer)."""
    text = _line(re.sub(r'[#*_`>\[\]]', '', text or ''))
    match = re.match(r'(.+?[.!?])(\s|$)', text)
    sentence = match.group(1) if match else text
    if len(sentence) > MAX_SUMMARY:
        sentence = sentence[:MAX_SUMMARY - 1].rsplit(' ', 1)[0] + '…'
    return sentence

