"""Docs for machines (issue 25, item 6): what `/llms.txt` and a product's Markdown list, read under the same
rule as the product page (workflows/browse.py: who sees which catalogs and products). Nothing here decides
visibility itself; the Markdown is written in api/machine_docs.py."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from db.models import Api, ApiReference, Catalog, ContentPage, Guide, PageRevision, Plan, Product, ProductApi, User
from workflows import browse, content_pages, guides
from workflows.openapi_prepare import METHODS

MAX_PRODUCTS = 1000  # llms.txt is an index, not an export: the first thousand by name
MAX_OPERATIONS = 2000  # per API
MAX_PAGES = 200  # the admin's pages (Admin -> Pages) in llms.txt


@dataclass
class Operation:
    method: str  # upper case; WEBHOOK for a 3.1 webhook
    path: str
    summary: str


@dataclass
class ApiDocs:
    api: Api
    version: str | None  # the OpenAPI (or Swagger) version, None without a document
    operations: list[Operation] = field(default_factory=list)
    more: int = 0  # operations past MAX_OPERATIONS, not listed


@dataclass
class ProductDocs:
    product: Product
    apis: list[ApiDocs]
    offers: list[tuple[Catalog, list[Plan]]]


def products_for(user: User | None) -> list[Product]:
    """The products `user` may see, by name: the catalog's rule, exactly."""
    return list(browse.products_visible_to(user).limit(MAX_PRODUCTS))


def pages_for(user: User | None) -> list[ContentPage]:
    """The published pages `user` may read (Admin -> Pages), by title: the pages' own rule, exactly; each row's
    `live.title` and `live.body` are the published text."""
    return list(content_pages.visible_to(user).order_by(PageRevision.title, ContentPage.id).limit(MAX_PAGES))


def page_for(user: User | None, slug: str) -> ContentPage | None:
    """A published page `user` may read, or None (a draft, or a page for others, is 'not found' here too)."""
    if not content_pages.is_slug(slug):
        return None
    return content_pages.visible_to(user).where(ContentPage.slug == slug).first()


def product_for(user: User | None, slug: str) -> ProductDocs | None:
    """The product with its APIs, their operations and the plans `user` may choose, or None when `user` may
    not see it (the product page's own check; another organisation's product is 'not found')."""
    product = browse.products_visible_to(user).where(Product.slug == slug[:100]).first()
    if product is None:
        return None
    apis = []
    for api in (Api.select(Api.id, Api.name, Api.base_path).join(ProductApi)
                .where(ProductApi.product == product).order_by(Api.name)):
        reference = (ApiReference.select(ApiReference.version, ApiReference.prepared)
                     .where(ApiReference.api == api.id).first())
        docs = ApiDocs(api, reference.version if reference else None)
        if reference is not None:
            found = operations_of(reference.prepared)
            docs.operations, docs.more = found[:MAX_OPERATIONS], max(0, len(found) - MAX_OPERATIONS)
        apis.append(docs)
    return ProductDocs(product, apis, browse.catalogs_of_product(user, product))


def operations_of(prepared: str) -> list[Operation]:
    """Every operation of a prepared document (JSON), in the document's order: paths, then 3.1 webhooks."""
    try:
        document = json.loads(prepared)
    except ValueError:
        return []
    found = []
    for group in ('paths', 'webhooks'):
        for path, item in (document.get(group) or {}).items():
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    summary = operation.get('summary') or operation.get('operationId') or ''
                    found.append(Operation('WEBHOOK' if group == 'webhooks' else method.upper(), str(path),
                                           str(summary)))
    return found


# --- guides (issue 25, item 3) ----------------------------------------------------------------------

MAX_GUIDES = 2000  # listed in llms.txt


@dataclass
class GuideDocs:
    product: Product
    guide: Guide
    values: guides.Values  # the placeholders as this reader's copy fills them


def guides_for(user: User | None) -> list[Guide]:
    """The published guides of the products `user` may see (each with `guide.product.slug` and `.name`)."""
    return list(guides.visible_guides(user).select(Guide.id, Guide.title, Guide.slug, Product.id, Product.slug,
                                                   Product.name).limit(MAX_GUIDES))  # titles: no body


def guide_for(user: User | None, slug: str, guide_slug: str) -> GuideDocs | None:
    """A published guide `user` may read, with the values of its placeholders for them; None otherwise (a
    draft too, even for an admin: what machines read is what developers read)."""
    found = guides.guide_for(user, slug, guide_slug)
    if found is None or not found[1].published:
        return None
    product, guide = found
    return GuideDocs(product, guide, guides.values_for(user, product))
