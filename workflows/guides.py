"""Guides per product (issue 25, item 3): Markdown pages attached to a product (Getting started,
Authentication, Errors, Changelog, or any title), shown as tabs beside its API reference, in the order of their
`position`. A guide is a draft until a portal admin publishes it; drafts are seen by portal admins only.

Who may read a guide is the product's rule (workflows/browse.py): a product the reader cannot see has no guides
for them, and its guide's address is "not found". A guide's body may hold placeholders, filled in for each reader
before the Markdown is converted: `{{gateway_url}}` (the gateway's address, without a trailing slash),
`{{base_path}}` (the base path of the product's first API by name; `{{base_path:API name}}` for another of its
APIs) and `{{api_key_prefix}}` (the first characters of the reader's active key for this product, never the whole
key; `YOUR_API_KEY` for a visitor or a developer without a key). Any other `{{...}}` stays as it is written.

`visible_guides(user)` is the query for searching guides (the site search): the published guides of the products
`user` may see, each with its product's slug and name.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import peewee as pw

import config
from db import clock
from db.connection import database
from db.models import Api, Guide, Product, ProductApi, User
from domain import events
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import N_, lazy_number
from permissions import can, ensure
from workflows import access, browse, is_clean_text
from workflows.catalog import SLUG_RE, slugify

MAX_TITLE = 100
MAX_BODY = 100_000  # characters: a long guide is a few thousand
MAX_GUIDES = 20  # per product: a row of tabs, not a book
SUGGESTED_TITLES = ('Getting started', 'Authentication', 'Errors', 'Changelog')
KEY_HINT = 'YOUR_API_KEY'
SAMPLE_KEY_PREFIX = 'ptc_Sample'  # the admin's preview: what a developer with a key sees in its place
PLACEHOLDERS = {  # the help beside the editor
    '{{gateway_url}}': N_('the gateway\'s address, e.g. https://gateway.example.com'),
    '{{base_path}}': N_('the base path of the product\'s API (the first by name), e.g. /weather/'),
    '{{base_path:API name}}': N_('the base path of the product\'s API of that name'),
    '{{api_key_prefix}}': N_('the first characters of the reader\'s key for this product; YOUR_API_KEY for a visitor '
                             'or a developer without a key'),
}


# --- the admin's changes ----------------------------------------------------------------------------

def _title(value: str | None) -> str:
    title = ' '.join((value or '').split())
    if not title:
        raise DomainError('Enter the title, like Getting started.', 'title')
    if len(title) > MAX_TITLE:
        raise DomainError('The title is too long ({limit} characters at most).', 'title', limit=MAX_TITLE)
    if not is_clean_text(title):
        raise DomainError('The title contains characters that are not allowed.', 'title')
    return title


def _slug(value: str | None, title: str) -> str:
    slug = (value or '').strip().lower() or slugify(title)
    if not slug or len(slug) > 100 or not SLUG_RE.match(slug):
        raise DomainError('The slug may contain lower-case letters, digits and single hyphens, like '
                          'getting-started.', 'slug')
    return slug


def _body(value: str | None) -> str:
    body = (value or '').replace('\r\n', '\n')
    if len(body) > MAX_BODY:
        raise DomainError('The guide is too long ({limit} characters at most; it has {size}).', 'body',
                          limit=lazy_number(MAX_BODY), size=lazy_number(len(body)))
    if not is_clean_text(body):
        raise DomainError('The guide contains characters that are not allowed (control characters).', 'body')
    return body


def save_guide(product_id: int, guide_id: int | None, title: str, slug: str, body: str, by: User) -> Guide:
    """A portal admin adds a guide to a product (a draft, as the last tab) or edits one."""
    ensure(by, 'manage_catalog')
    title = _title(title)
    slug = _slug(slug, title)
    body = _body(body)
    with database.atomic():
        product = Product.get_or_none(Product.id == product_id)
        if product is None:
            raise NotFound('This product')
        guide = find(product, guide_id) if guide_id else None
        taken = Guide.select().where((Guide.product == product) & (Guide.slug == slug)
                                     & (Guide.id != (guide.id if guide else 0)))
        if taken.exists():
            raise Conflict('Another guide of {product} uses the slug "{slug}" already.', 'slug',
                              product=product.name, slug=slug)
        values = dict(title=title, slug=slug, body=body, updated_at=clock.now(), updated_by=by)
        if guide is None:
            if Guide.select().where(Guide.product == product).count() >= MAX_GUIDES:
                raise DomainError('A product has {limit} guides at most; join some of them.', limit=MAX_GUIDES)
            last = Guide.select(pw.fn.MAX(Guide.position)).where(Guide.product == product).scalar()
            guide = Guide.create(product=product, position=(last or 0) + 1, published=False, **values)
            events.announce(by, 'guide.create', guide, product=product.slug, title=title, slug=slug)
            return guide
        Guide.update(**values).where(Guide.id == guide.id).execute()
        events.announce(by, 'guide.update', guide, product=product.slug, title=title, slug=slug)
    return Guide.get_by_id(guide.id)


def set_published(guide: Guide, published: bool, by: User) -> Guide:
    """Publish a draft (readers of the product see its tab) or take a guide back to a draft."""
    ensure(by, 'manage_catalog')
    with database.atomic():
        guide = _again(guide)
        Guide.update(published=bool(published), updated_at=clock.now(), updated_by=by) \
            .where(Guide.id == guide.id).execute()
        events.announce(by, 'guide.publish' if published else 'guide.unpublish', guide, title=guide.title,
                        slug=guide.slug)
    return Guide.get_by_id(guide.id)


def delete_guide(guide: Guide, by: User) -> None:
    ensure(by, 'manage_catalog')
    with database.atomic():
        guide = _again(guide)
        guide.delete_instance()
        events.announce(by, 'guide.delete', guide, title=guide.title, slug=guide.slug)


def reorder(product: Product, guide_ids: list[int], by: User) -> None:
    """The order of a product's tabs: `guide_ids` names each of its guides once, first tab first."""
    ensure(by, 'manage_catalog')
    with database.atomic():
        current = [guide_id for (guide_id,) in Guide.select(Guide.id).where(Guide.product == product.id).tuples()]
        if sorted(current) != sorted(guide_ids or []) or len(set(guide_ids)) != len(guide_ids):
            raise DomainError('The guides changed meanwhile; open the list again.')
        for position, guide_id in enumerate(guide_ids, start=1):
            Guide.update(position=position).where(Guide.id == guide_id).execute()
        events.announce(by, 'guide.reorder', product, order=list(guide_ids))


def move(guide: Guide, step: int, by: User) -> None:
    """One place earlier (`step` -1) or later (+1) in its product's tabs; at either end nothing changes."""
    ensure(by, 'manage_catalog')
    guide = _again(guide)
    order = [guide_id for (guide_id,) in Guide.select(Guide.id).where(Guide.product == guide.product_id)
             .order_by(Guide.position, Guide.id).tuples()]
    index = order.index(guide.id)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        reorder(Product.get_by_id(guide.product_id), order, by)


def find(product: Product, guide_id: int) -> Guide:
    """A guide of this product by ID (an ID of another product's guide is "not found")."""
    guide = Guide.get_or_none((Guide.id == guide_id) & (Guide.product == product.id))
    if guide is None:
        raise NotFound('This guide')
    return guide


def _again(guide: Guide) -> Guide:
    found = Guide.get_or_none(Guide.id == guide.id)
    if found is None:
        raise NotFound('This guide')
    return found


def url(product_slug: str, guide_slug: str) -> str:
    """A guide's own page: the product page with the guide's tab open."""
    return f'/products/{product_slug}/guides/{guide_slug}'


# --- who reads which guide --------------------------------------------------------------------------

def sees_drafts(user: User | None) -> bool:
    return can(user, 'manage_catalog')


def guides_visible_to(user: User | None, product: Product) -> list[Guide]:
    """The tabs of a product's guides for `user`, in order (title, slug, position, published; no body): none when
    `user` may not see the product; drafts for portal admins only."""
    if not browse.products_visible_to(user).where(Product.id == product.id).exists():
        return []
    query = (Guide.select(Guide.id, Guide.product, Guide.title, Guide.slug, Guide.position, Guide.published)
             .where(Guide.product == product.id))
    if not sees_drafts(user):
        query = query.where(Guide.published == True)  # noqa: E712 - SQL, not Python
    return list(query.order_by(Guide.position, Guide.id).limit(MAX_GUIDES))


def guide_for(user: User | None, product_slug: str, guide_slug: str) -> tuple[Product, Guide] | None:
    """The product and its guide when `user` may read it (the product's rule; a draft for admins only), else
    None: a crafted slug, another product's guide or a product the user cannot see are all "not found"."""
    product = browse.products_visible_to(user).where(Product.slug == (product_slug or '')[:100]).first()
    if product is None or not SLUG_RE.match(guide_slug or '') or len(guide_slug) > 100:
        return None
    query = Guide.select().where((Guide.product == product) & (Guide.slug == guide_slug))
    if not sees_drafts(user):
        query = query.where(Guide.published == True)  # noqa: E712
    guide = query.first()
    return (product, guide) if guide is not None else None


def body_of(user: User | None, product: Product, guide_id: int) -> Guide | None:
    """One guide with its body, for a tab opened on the product page (the same rule as `guides_visible_to`)."""
    if not any(guide.id == guide_id for guide in guides_visible_to(user, product)):
        return None
    return Guide.get_or_none(Guide.id == guide_id)


def visible_guides(user: User | None):
    """For searching guides (the site search): a query over the published guides of the products `user` may
    see, drafts never. Each row is a Guide with `title`, `slug`, `body` (as written, placeholders unfilled) and
    `guide.product.slug` / `guide.product.name` selected in the same query; the guide's page is
    `/products/{guide.product.slug}/guides/{guide.slug}`. Add your own `.where(...)` and `.limit(...)`; a list
    that shows no body selects fewer columns with `.select(...)` (the join to Product stays)."""
    products = browse.products_visible_to(user).select(Product.id).order_by()
    return (Guide.select(Guide.id, Guide.title, Guide.slug, Guide.body, Guide.position, Guide.updated_at,
                         Product.id, Product.slug, Product.name)
            .join(Product)
            .where((Guide.published == True) & Guide.product.in_(products))  # noqa: E712
            .order_by(Product.name, Guide.position, Guide.id))


# --- placeholders -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Values:
    """What a reader's copy of a guide fills in."""
    gateway_url: str
    base_paths: tuple[tuple[str, str], ...]  # (API name, base path) of the product's APIs, by name
    key_prefix: str | None  # the first characters of the reader's key; None: no key (KEY_HINT instead)
    key_app: str = ''  # the app whose key it is
    signed_in: bool = False
    sample: bool = False  # the admin's preview: a sample key prefix

    def of(self, name: str, argument: str | None) -> str | None:
        if name == 'gateway_url' and argument is None:
            return self.gateway_url
        if name == 'api_key_prefix' and argument is None:
            return self.key_prefix or KEY_HINT
        if name == 'base_path':
            if argument is None:
                return self.base_paths[0][1] if self.base_paths else None
            wanted = ' '.join(argument.split()).lower()
            return next((path for api, path in self.base_paths if api.lower() == wanted), None)
        return None


def values_for(user: User | None, product: Product, *, sample: bool = False) -> Values:
    """The placeholders' values for `user` reading `product`'s guides: the prefix of the first active key of
    their apps covering the product (never the key); `sample`: the admin's preview, with a sample prefix."""
    apis = tuple(Api.select(Api.name, Api.base_path).join(ProductApi).where(ProductApi.product == product.id)
                 .order_by(Api.name).tuples())
    prefix, app = (SAMPLE_KEY_PREFIX, 'your app') if sample else (None, '')
    if not sample and user is not None:
        credential = access.usable_credentials(user, product).first()
        if credential is not None:
            prefix, app = credential.key_prefix, credential.app.name
    return Values(config.current().gateway_url.rstrip('/'), apis, prefix, app, signed_in=user is not None,
                  sample=sample)


PLACEHOLDER = re.compile(r'\{\{\s*(gateway_url|base_path|api_key_prefix)\s*(?::\s*([^{}\n]{1,100}?)\s*)?\}\}')
_FENCE = re.compile(r'^\s{0,3}(`{3,}|~{3,})')
_CODE_SPAN = re.compile(r'(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)')
_UNSAFE_VALUE = re.compile(r'[`\x00-\x1f\x7f]')


def uses_key(body: str) -> bool:
    """Does the guide show the reader's key prefix (then the page says how to get one)?"""
    return any(match.group(1) == 'api_key_prefix' for match in PLACEHOLDER.finditer(body or ''))


_MARKDOWN_SPECIAL = set('\\`*_[]()<>#!|~&"\'{}')


def for_html(value: str) -> str:
    """A value in the Markdown the page converts: every character Markdown or HTML would read is an entity
    (markdown2 leaves `&#95;` alone; a `_` would start emphasis, a `<` a tag)."""
    return ''.join(f'&#{ord(ch)};' if ch in _MARKDOWN_SPECIAL else ch for ch in value)


def for_markdown(value: str) -> str:
    """A value in Markdown served as text (/products/{slug}/guides/{guide}.md): a backslash before each special
    character."""
    return ''.join('\\' + ch if ch in _MARKDOWN_SPECIAL - {'&', '"', "'"} else ch for ch in value)


def fill(body: str, values: Values, escape: Callable[[str], str] = for_html) -> str:
    """The guide's Markdown with its placeholders filled in. In code (fenced or indented blocks, `spans`) a value
    is written as it is, since code shows its text verbatim; elsewhere `escape(value)`. Unknown placeholders, and
    those without a value (`{{base_path}}` of a product without APIs), stay as written."""
    def filled(text: str, code: bool) -> str:
        def one(match: re.Match) -> str:
            value = values.of(match.group(1), match.group(2))
            if value is None:
                return match.group(0)
            value = _UNSAFE_VALUE.sub('', value)
            return value if code else escape(value)
        return PLACEHOLDER.sub(one, text)

    lines, fence, previous_blank, in_indented = [], None, True, False
    for line in (body or '').split('\n'):
        opening = _FENCE.match(line)
        if fence is not None:  # inside a fenced block, until the same fence closes it
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            lines.append(filled(line, code=True))
            continue
        if opening:
            fence = opening.group(1)
            lines.append(line)
            continue
        # an indented code block starts after a blank line and goes on while the lines stay indented
        in_indented = (in_indented or previous_blank) and line.startswith(('    ', '\t')) and bool(line.strip())
        previous_blank = not line.strip()
        if '{{' not in line or in_indented:
            lines.append(filled(line, code=True) if in_indented else line)
            continue
        parts, last = [], 0
        for span in _CODE_SPAN.finditer(line):
            parts.append(filled(line[last:span.start()], code=False))
            parts.append(filled(span.group(0), code=True))
            last = span.end()
        parts.append(filled(line[last:], code=False))
        lines.append(''.join(parts))
    return '\n'.join(lines)
