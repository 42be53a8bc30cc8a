"""Search across every API (issue 25, item 5): the header's box and /search find products, operations (path,
summary, operationId), guides and pages that this visitor may see, ranked, each with a link.

A word matches the start of a word (db/search.py: 'weath' finds "Weather", 'getfore' finds getForecast,
'/v1/forecast' finds the path), and a result needs every word typed. The ranking, in this order:

0. exact: the operationId (any case) or the path of an operation, or the name (any case) or slug of a product,
   is the whole text typed;
1. in the title: every word starts a word of the product's name or slug, or of the operation's operationId,
   path or method (a guide's or page's title);
2. elsewhere: summaries, tags, bodies.

Within a rank, products come before operations, then guides, then pages; products by name, operations with the
shorter path first. Sources are pluggable (`SOURCES`: per kind a function of (Visible, text, limit) that returns its
best `limit` results, ranked), each a bounded number of statements whatever the number of rows: a word found in a million operations reads the first `CANDIDATES`
matches of the index (in id order) for each rank, and keeps those of APIs the visitor may see (the exact rank is
read along its own indexes, in full). So on a portal where almost none of a very common word's operations are
visible to someone, a rank may show fewer of them than exist; the exact rank and every rare word are complete.

Visible means what the catalogs show (workflows/browse.py): products in catalogs this visitor sees, the
operations of those products' APIs (as the product page lists them), the published guides of those products
(workflows/guides.visible_guides), the published pages they may read, with their published text
(workflows/content_pages.visible_to). The catalogs are read once per search; products and APIs are then tested
row by row against them (EXISTS along the indexes), not listed (thousands of ids, made again for each statement).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import peewee as pw

from domain.i18n import N_
from db import search as index
from db.models import (Api, ApiOperation, Catalog, CatalogProduct, ContentPage, Guide, PageRevision, Product,
                       ProductApi, User)
from workflows import browse, content_pages, guides

MAX_TEXT = 200  # characters of a search; words: db/search.MAX_WORDS
CANDIDATES = 1_000  # matches of the index read per rank of a big source (see the module)
MAX_RESULTS = 200  # what the full results page pages through
KINDS = ('product', 'operation', 'guide', 'page')
LABELS = {'product': N_('Product'), 'operation': N_('Operation'), 'guide': N_('Guide'), 'page': N_('Page')}


@dataclass(frozen=True)
class Visible:
    """Who searches: the user (None: a visitor) and the catalogs they see, what every source filters by."""
    user: User | None
    catalogs: list[int]


@dataclass(frozen=True)
class Result:
    kind: str  # one of KINDS
    title: str
    subtitle: str  # where it is: the operation's method and path and its product, a guide's product
    snippet: str  # the summary or the start of the body
    url: str
    rank: int  # 0 exact, 1 in the title, 2 elsewhere (the module's ranking)
    order: tuple = ()  # within the rank and kind


def clean(text: str | None) -> str:
    """The search as it is run: at most MAX_TEXT characters, surrounding spaces dropped."""
    return (text or '')[:MAX_TEXT].strip()


def has_words(text: str | None) -> bool:
    """Whether the text has a word to search for (spaces and punctuation alone find nothing)."""
    return bool(index.words(clean(text)))


def search(user: User | None, text: str | None, limit: int = 10, kinds: tuple[str, ...] | None = None, *,
           per_kind: int | None = None) -> list[Result]:
    """The `limit` best results for `text` that `user` (None: a visitor) may see, optionally of some kinds only,
    and at most `per_kind` of each kind (the header's dropdown: forty operations leave room for a guide).
    Empty or word-less text finds nothing. Synchronous and database-bound: run it off the event loop."""
    text = clean(text)
    limit = max(1, min(int(limit), MAX_RESULTS + 1))
    if not index.words(text):
        return []
    found: list[Result] = []
    seen = Visible(user, _visible_catalogs(user))
    for kind, source in SOURCES.items():
        if kinds is None or kind in kinds:
            found += source(seen, text, min(limit, per_kind or limit))
    found.sort(key=lambda result: (result.rank, KINDS.index(result.kind), result.order))
    return found[:limit]


# --- who sees what --------------------------------------------------------------------------------------

def _visible_catalogs(user: User | None) -> list[int]:
    """The ids of the catalogs `user` sees (a handful), read once per search."""
    return [catalog_id for (catalog_id,) in browse.catalogs_visible_to(user).select(Catalog.id).tuples()]


def _shown_product(product: pw.Node, catalogs: list[int]) -> pw.Node:
    """`product` is in one of the catalogs: tested row by row along the index (a list of every visible product,
    thousands, made for each statement, cost more than the search itself)."""
    return pw.fn.EXISTS(CatalogProduct.select(pw.SQL('1')).where(
        (CatalogProduct.product == product) & CatalogProduct.catalog.in_(catalogs)))


def _shown_api(api: pw.Node, catalogs: list[int]) -> pw.Node:
    """An API of a product in one of the catalogs (the product page's rule: it lists the product's APIs)."""
    return pw.fn.EXISTS(ProductApi.select(pw.SQL('1'))
                        .join(CatalogProduct, on=(CatalogProduct.product == ProductApi.product))
                        .where((ProductApi.api == api) & CatalogProduct.catalog.in_(catalogs)))


# --- products ---------------------------------------------------------------------------------------------

def _products(seen: Visible, text: str, limit: int) -> list[Result]:
    lowered = text.lower()
    exact = (pw.fn.LOWER(Product.name) == lowered) | (Product.slug == lowered)
    rank = pw.Case(None, [(exact, 0), (Product.id.in_(index.matching_in(Product, text, ('name', 'slug'))), 1)], 2)
    rows = (Product.select(Product.name, Product.slug, Product.summary, Product.tags, rank.alias('rank'))
            .where((exact | Product.id.in_(index.matching_in(Product, text))) & _shown_product(Product.id, seen.catalogs))
            .order_by(pw.SQL('rank'), Product.name, Product.id).limit(limit))
    return [Result('product', row.name, 'Product' + (f' · {row.tags.replace(",", ", ")}' if row.tags else ''),
                   row.summary, f'/products/{row.slug}', row.rank, (row.name.lower(),)) for row in rows]


# --- operations -------------------------------------------------------------------------------------------

TITLE_COLUMNS = ('operation_id', 'path', 'method')


def _operations(seen: Visible, text: str, limit: int) -> list[Result]:
    visible = _shown_api(ApiOperation.api, seen.catalogs)
    columns = (ApiOperation.id, ApiOperation.api, ApiOperation.method, ApiOperation.path, ApiOperation.summary,
               ApiOperation.operation_id, ApiOperation.tag, Api.name.alias('api_name'))
    exact = (ApiOperation.operation_key == text.lower()[:index.MAX_NAME]) | (ApiOperation.path == text)
    ranks = [(0, exact),
             (1, ApiOperation.id.in_(index.matching_in(ApiOperation, text, TITLE_COLUMNS, limit=CANDIDATES))),
             (2, ApiOperation.id.in_(index.matching_in(ApiOperation, text, limit=CANDIDATES)))]
    rows: dict[int, tuple[int, dict]] = {}
    for rank, condition in ranks:  # each rank a statement; the next only while the page is not full
        query = (ApiOperation.select(*columns).join(Api, on=(Api.id == ApiOperation.api))
                 .where(condition & visible)
                 .order_by(pw.fn.LENGTH(ApiOperation.path), ApiOperation.id).limit(limit).dicts())
        for row in query:
            rows.setdefault(row['id'], (rank, row))
        if len(rows) >= limit:
            break
    if not rows:
        return []
    products = _product_of_apis(seen, {row['api'] for _, row in rows.values()})
    found = []
    for rank, row in rows.values():
        if row['api'] not in products:
            continue
        slug, product_name = products[row['api']]
        method, path = row['method'].upper(), row['path']
        found.append(Result('operation', row['operation_id'] or row['summary'] or f'{method} {path}',
                            f'{method} {path} · {row["api_name"]} · {product_name}', row['summary'],
                            operation_url(slug, row['api'], row['tag'], row['operation_id'], method, path),
                            rank, (len(path), row['id'])))
    return found


def _product_of_apis(seen: Visible, api_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Per API, the (slug, name) of the first product by name that shows it (one statement)."""
    chosen: dict[int, tuple[str, str]] = {}
    for api_id, slug, name in (ProductApi.select(ProductApi.api, Product.slug, Product.name).join(Product)
                               .where(ProductApi.api.in_(list(api_ids))
                                      & _shown_product(ProductApi.product, seen.catalogs))
                               .order_by(Product.name, Product.id).tuples()):
        chosen.setdefault(api_id, (slug, name))
    return chosen


def reference_url(slug: str, api_id: int) -> str:
    """api/reference.py's reference_url (the api layer sits above the workflows; a test keeps them equal)."""
    return f'/products/{slug}/reference/{api_id}'


def operation_url(slug: str, api_id: int, tag: str, operation_id: str, method: str, path: str) -> str:
    """The API reference opened at the operation: Swagger UI's deep link `#/{tag}/{operationId}`, which
    static/reference.js scrolls to below its bar. Without a tag Swagger UI lists the operation under "default";
    without an operationId it names it by method and path, every character but letters, digits and _ made _
    (its opId: 'get' + '/v1/forecast' -> get_v1_forecast)."""
    key = operation_id if re.sub(r'\s', '', operation_id) else method.lower() + re.sub(r'\W', '_', path, flags=re.ASCII)
    return f'{reference_url(slug, api_id)}#/{quote(tag or "default", safe="")}/{quote(key, safe="")}'


# --- guides and pages -------------------------------------------------------------------------------------

SNIPPET = 160  # characters of a body shown under its title
_MARKUP = re.compile(r'\{\{[^}]*\}\}|[#*_`>|\[\]()!~]+|<[^>]*>')


def snippet(body: str, text: str) -> str:
    """A line of a Markdown body around the first word searched (its start when the word is not in it), without
    the Markdown's marks or placeholders."""
    plain = ' '.join(_MARKUP.sub(' ', body or '').split())
    first = (index.words(text) or [''])[0]
    at = plain.lower().find(first) if first else -1
    start = max(0, at - SNIPPET // 3) if at > SNIPPET // 2 else 0
    cut = plain[start:start + SNIPPET]
    return ('…' if start else '') + cut + ('…' if start + SNIPPET < len(plain) else '')


def _guides(seen: Visible, text: str, limit: int) -> list[Result]:
    exact = pw.fn.LOWER(Guide.title) == text.lower()
    rank = pw.Case(None, [(exact, 0), (Guide.id.in_(index.matching_in(Guide, text, ('title',))), 1)], 2)
    rows = (guides.visible_guides(seen.user)
            .select(Guide.id, Guide.title, Guide.slug, pw.fn.SUBSTR(Guide.body, 1, 4000).alias('excerpt'),
                    Product.slug.alias('product_slug'), Product.name.alias('product_name'), rank.alias('rank'))
            .where(exact | Guide.id.in_(index.matching_ids(Guide, text)))
            .order_by(pw.SQL('rank'), Product.name, Guide.position, Guide.id).limit(limit).dicts())
    return [Result('guide', row['title'], f'Guide · {row["product_name"]}', snippet(row['excerpt'], text),
                   f'/products/{row["product_slug"]}/guides/{row["slug"]}', row['rank'],
                   (row['product_name'].lower(), row['id'])) for row in rows]


def _pages(seen: Visible, text: str, limit: int) -> list[Result]:
    exact = (pw.fn.LOWER(PageRevision.title) == text.lower()) | (ContentPage.slug == text.lower())
    rank = pw.Case(None, [(exact, 0), (PageRevision.id.in_(index.matching_in(PageRevision, text, ('title',))), 1)],
                   2)
    rows = (content_pages.visible_to(seen.user)
            .select(ContentPage.id, ContentPage.slug, PageRevision.title,
                    pw.fn.SUBSTR(PageRevision.body, 1, 4000).alias('excerpt'), rank.alias('rank'))
            .where(exact | PageRevision.id.in_(index.matching_ids(PageRevision, text)))
            .order_by(pw.SQL('rank'), PageRevision.title, ContentPage.id).limit(limit).dicts())
    found = []
    for row in rows:
        shown = snippet(row['excerpt'], text)
        found.append(Result('page', row['title'], shown or 'Page', shown, f'/pages/{row["slug"]}', row['rank'],
                            (row['title'].lower(), row['id'])))
    return found


SOURCES: dict[str, Callable[[Visible, str, int], list[Result]]] = {
    'product': _products,
    'operation': _operations,
    'guide': _guides,
    'page': _pages,
}
