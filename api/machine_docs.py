"""Docs for machines (issue 25, item 6): `/llms.txt` (the llms.txt convention: `# name`, a `> summary`, then
`## Products` with one link a product) and `/products/{slug}.md`, each product as Markdown: its summary and
description, its APIs with base URL, operations, reference and OpenAPI document, and its plans. An AI assistant
given the portal's address finds the APIs there.

Who sees what is the product page's rule (workflows/machine_docs.py reads through workflows/browse.py): a visitor
gets the public catalogs' products, a signed-in developer what their organisation's teams may see, and a product
they may not see is absent from the index and "not found" as Markdown. Text written by admins and by API
providers is Markdown put into Markdown: every one-line value is escaped (no link, image, HTML or emphasis of its
own, on one line), and the description keeps its Markdown but no HTML, no script links and no heading above
this page's own sections. Both are sent as plain text that no browser runs (nosniff, a sandboxing CSP).
"""
from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.responses import PlainTextResponse, Response

import config
import session
from api.reference import NOT_FOUND, document_url, reference_url
from workflows import guides, machine_docs, openapi, settings
from workflows.browse import plan_summary

HEADERS = {'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, no-cache', 'Vary': 'Cookie',
           'Content-Security-Policy': "default-src 'none'; sandbox"}


def install(app) -> None:
    """Registered by main.py at each start. The Markdown routes go before the product page's
    `/products/{slug}` and the content page's `/pages/{slug}`, which would otherwise take `weather.md` for a slug."""
    app.add_api_route('/llms.txt', llms_txt, methods=['GET'])
    app.add_api_route('/products/{slug}.md', product_markdown, methods=['GET'])
    app.add_api_route('/pages/{slug}.md', page_markdown, methods=['GET'])
    app.add_api_route(GUIDE_ROUTE, guide_markdown, methods=['GET'])  # issue 25: a guide, before its page's route
    routes = app.router.routes
    mine = [route for route in routes
            if getattr(route, 'path', '') in ('/products/{slug}.md', '/pages/{slug}.md', GUIDE_ROUTE)]
    routes[:] = mine + [route for route in routes if route not in mine]


def markdown_url(slug: str) -> str:
    return f'/products/{quote(slug)}.md'


def llms_txt() -> Response:
    me = session.current_user()
    portal = settings.load()['portal_name'] or 'Portico'
    base = settings.base_url()
    products = machine_docs.products_for(me)
    lines = [f'# {inline(portal)}', '',
             f'> The API products of {inline(portal)}, an API developer portal: each link below is a product as '
             'Markdown, with its APIs (base URL, operations, OpenAPI document) and its plans.', '',
             f'To call an API, sign in at {base}/login, choose a plan with Get access on the product page and send '
             f'the key in the `{openapi.KEY_HEADER}` header. This list shows what '
             + ('you may see, signed in.' if me is not None else 'visitors may see; signing in may show more.'), '',
             '## Products', '']
    for product in products:
        entry = f'- [{inline(product.name)}]({base}{markdown_url(product.slug)})'
        lines.append(f'{entry}: {inline(product.summary)}' if product.summary.strip() else entry)
    if not products:
        lines.append('No products are published here yet.')
    lines += guide_index(me, base)
    pages = machine_docs.pages_for(me)
    if pages:  # the admin's pages (Admin -> Pages) this reader may read
        lines += ['', '## Pages', '']
        lines += [f'- [{inline(page.live.title)}]({base}{page_markdown_url(page.slug)})' for page in pages]
    lines += ['', '## Optional', '', f'- [Catalogs]({base}/catalogs): the same products as web pages', '']
    return _markdown('\n'.join(lines))


PAGE_NOT_FOUND = 'This page was not found, or you cannot see it.'


def page_markdown_url(slug: str) -> str:
    return f'/pages/{quote(slug)}.md'


def page_markdown(slug: str) -> Response:
    """A page of Admin -> Pages as Markdown: its published title and text, kept as the product description's
    Markdown is (no HTML, no script links, headings under the title)."""
    page = machine_docs.page_for(session.current_user(), slug)
    if page is None:
        return PlainTextResponse(PAGE_NOT_FOUND, status_code=404, headers=HEADERS)
    lines = [f'# {inline(page.live.title)}', '']
    if page.live.body.strip():
        lines += [description(page.live.body), '']
    lines += [f'Web page: {settings.base_url()}/pages/{page.slug}', '']
    return _markdown('\n'.join(lines))


def product_markdown(slug: str) -> Response:
    """A plain `def`: FastAPI runs it in a thread (reading a big prepared document takes a moment)."""
    found = machine_docs.product_for(session.current_user(), slug)
    if found is None:
        return PlainTextResponse(NOT_FOUND, status_code=404, headers=HEADERS)
    product, base = found.product, settings.base_url()
    gateway = config.current().gateway_url.rstrip('/')
    lines = [f'# {inline(product.name)}', '']
    if product.summary.strip():
        lines += [f'> {inline(product.summary)}', '']
    if product.description.strip():
        lines += [description(product.description), '']
    lines += [f'Product page: {base}/products/{product.slug}', '', '## APIs', '']
    if not found.apis:
        lines += ['This product has no API yet.', '']
    for docs in found.apis:
        api = docs.api
        lines += [f'### {inline(api.name)}', '', f'- Base URL: {gateway}{api.base_path}',
                  f'- Authentication: your API key in the `{openapi.KEY_HEADER}` header']
        if docs.version is None:
            lines += ['', 'No OpenAPI document was published for this API yet.', '']
            continue
        kind = 'Swagger' if docs.version == '2.0' else 'OpenAPI'
        lines += [f'- API reference: {base}{reference_url(product.slug, api.id)}',
                  f'- {kind} {inline(docs.version)} document: {base}{document_url(product.slug, api.id)}', '',
                  f'Operations ({len(docs.operations) + docs.more}):', '']
        lines += [f'- {operation.method} {inline(operation.path)}'
                  + (f': {inline(operation.summary)}' if operation.summary.strip() else '')
                  for operation in docs.operations]
        if docs.more:
            lines.append(f'- … and {docs.more:,} more: see the OpenAPI document')
        lines.append('')
    lines += product_guides(found.product, base)
    lines += ['## Plans', '']
    plans = [(catalog, plan) for catalog, offered in found.offers for plan in offered]
    for catalog, plan in plans:
        lines.append(f'- {inline(plan.name)} (catalog {inline(catalog.name)}): {plan_summary(plan)}')
    if not plans:
        lines.append('No plans are offered for this product yet.')
    lines += ['', f'To get a key, sign in and choose a plan with Get access on {base}/products/{product.slug}', '']
    return _markdown('\n'.join(lines))


# --- guides (issue 25, item 3): listed in llms.txt and in their product's Markdown, each served as Markdown ------

GUIDE_ROUTE = '/products/{slug}/guides/{guide_slug}.md'


def guide_markdown_url(slug: str, guide_slug: str) -> str:
    return f'/products/{quote(slug)}/guides/{quote(guide_slug)}.md'


def guide_index(me, base: str) -> list[str]:
    """The `## Guides` section of llms.txt: the published guides of the products `me` may see."""
    found = machine_docs.guides_for(me)
    if not found:
        return []
    lines = ['', '## Guides', '']
    for guide in found:
        lines.append(f'- [{inline(guide.product.name)}: {inline(guide.title)}]'
                     f'({base}{guide_markdown_url(guide.product.slug, guide.slug)})')
    return lines


def product_guides(product, base: str) -> list[str]:
    """The `## Guides` section of a product's Markdown (the reader may see the product: its published guides)."""
    found = [guide for guide in guides.guides_visible_to(session.current_user(), product) if guide.published]
    if not found:
        return []
    return ['## Guides', ''] + [f'- [{inline(guide.title)}]({base}{guide_markdown_url(product.slug, guide.slug)})'
                                for guide in found] + ['']


def guide_markdown(slug: str, guide_slug: str) -> Response:
    """A published guide as Markdown, its placeholders filled for this reader (the whole key never: its prefix
    for a developer with a key), under the product's rule. The body keeps its Markdown but no HTML (`description`)."""
    found = machine_docs.guide_for(session.current_user(), slug, guide_slug)
    if found is None:
        return PlainTextResponse('This guide was not found, or you cannot see it.', status_code=404, headers=HEADERS)
    product, guide, base = found.product, found.guide, settings.base_url()
    lines = [f'# {inline(guide.title)}: {inline(product.name)}', '',
             f'Guide page: {base}{guides.url(product.slug, guide.slug)}', '',
             f'Product: {base}{markdown_url(product.slug)}', '']
    if guides.uses_key(guide.body) and not found.values.key_prefix:
        lines += [f'{guides.KEY_HINT} stands for your API key: sign in and choose a plan with Get access on '
                  f'{base}/products/{product.slug}', '']
    body = description(guides.fill(guide.body, found.values, guides.for_markdown))
    return _markdown('\n'.join(lines + [body, '']))


def _markdown(text: str) -> Response:
    return Response(text, media_type='text/markdown; charset=utf-8', headers=HEADERS)


_INLINE_SPECIAL = re.compile(r'([\\`*_\[\]<>])')


def inline(text: str) -> str:
    """One line of plain text inside Markdown: no line breaks (a value never starts a heading, a list item or
    a section of its own), every character Markdown would read as a link, image, HTML or emphasis escaped."""
    return _INLINE_SPECIAL.sub(r'\\\1', ' '.join(str(text).split()))


_FENCE = re.compile(r'^\s{0,3}(`{3,}|~{3,})')
_HEADING = re.compile(r'^\s{0,3}(#{1,6})(\s|$)')
_SETEXT = re.compile(r'^\s{0,3}(=+|-+)\s*$')
_TAG = re.compile(r'<(?=[A-Za-z/!?])')
_SCRIPT_LINK = re.compile(r'(\]\(\s*<?|^\s{0,3}\[[^\]]*\]:\s*<?)\s*(?:javascript|vbscript|data|file):', re.I | re.M)


def description(text: str) -> str:
    """A product's description (Markdown an admin wrote), kept as Markdown inside this page: no raw HTML (a tag's
    `<` is escaped), no javascript:, vbscript:, data: or file: link targets, and its headings start at level 4,
    under this page's own sections (it cannot fake an `## APIs` or `## Plans` of its own)."""
    lines, fence = [], None
    previous = ''
    for line in text.replace('\r\n', '\n').replace('\r', '\n').split('\n'):
        opening = _FENCE.match(line)
        if fence is not None:  # inside a code block: shown as it is, until the same fence closes it
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            lines.append(line)
            previous = ''
            continue
        if opening:
            fence = opening.group(1)
            lines.append(line)
            continue
        line = _TAG.sub('&lt;', line)
        line = _SCRIPT_LINK.sub(lambda match: match.group(1) + '#blocked:', line)
        heading = _HEADING.match(line)
        if heading:
            level = min(6, len(heading.group(1)) + 3)
            line = '#' * level + line[heading.end(1):]
        elif _SETEXT.match(line) and previous.strip():  # `Title` over `===` or `---` would be a heading
            line = '\\' + line.strip()
        lines.append(line)
        previous = line
    if fence is not None:
        lines.append(fence)  # an unclosed code block ends with the description
    return '\n'.join(lines).strip()
